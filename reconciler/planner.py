"""`make_plan(desired, live) -> Plan`: a pure function, no I/O.

The same manifests and the same live state always give a byte-identical plan: packages are taken
in address order, versions in their format's order, and actions in phases (copies, then status
updates, then disposes, then deletes), each batch holding at most 100 versions of one package with one expected
and one target status (one `BatchKey`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler import __version__
from reconciler.addresses import PackageRef
from reconciler.codeartifact import (
    FINAL_STATUSES,
    MAX_VERSIONS_PER_CALL,
    UPDATABLE_STATUSES,
    Status,
)
from reconciler.diff import Change, in_use_problems, other_changes, package_warnings, protected_problems
from reconciler.models import DesiredState
from reconciler.plan import (
    AcceptedVersion,
    Action,
    ActionKind,
    BatchKey,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.rules import Decision, evaluate
from reconciler.scope import ResolvedEntry, copied_from, resolve_entries
from reconciler.state import LiveState, PackageState, VersionState
from reconciler.versioning import VersionMemo, version_memo, version_sort_key, version_sort_keys

# A package's changes of one batch key, with the place of their batches in the plan.
_Group = tuple[tuple[object, ...], PackageRef, BatchKey, list[VersionChange]]
_NO_VERSIONS: dict[str, VersionState] = {}


@dataclass
class _Tally:
    """What the whole plan accumulates, package by package."""

    groups: list[_Group] = field(default_factory=list)
    kinds: Counter[ActionKind] = field(default_factory=Counter)
    errors: list[VersionProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    accepted: list[AcceptedVersion] = field(default_factory=list)
    unchanged: int = 0
    unmanaged: int = 0

    def absorb(self, other: _Tally) -> None:
        """Add what `other` accumulated, as if its packages had been planned into this tally."""
        self.groups.extend(other.groups)
        self.kinds.update(other.kinds)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.sizes.update(other.sizes)
        self.accepted.extend(other.accepted)
        self.unchanged += other.unchanged
        self.unmanaged += other.unmanaged


class PlannedAhead:
    """Packages planned as their states are read, while other reads are under way: a package whose
    entry copies nothing depends on its own state alone, so its part of the plan is known once that
    state is. `make_plan` takes these parts as they are and plans the rest (the copies, which depend
    on other packages and on what the plan copies). The plan is the same, byte for byte."""

    def __init__(self, now: float) -> None:
        self.now = now
        self._items: dict[PackageRef, ResolvedEntry] = {}
        self.tallies: dict[PackageRef, _Tally] = {}

    def expect(self, resolved: list[ResolvedEntry]) -> None:
        """The entries bound to packages, before their states are read (a Region's at a time)."""
        self._items.update((item.ref, item) for item in resolved if not item.copy_sources)

    def read(self, ref: PackageRef, state: PackageState | None) -> None:
        """`ref` has been read (None: it does not exist): plan it now if it depends on nothing else."""
        item = self._items.get(ref)
        if item is None:
            return
        live = LiveState(now=self.now)
        if state is not None:
            live.packages[ref] = state
        tally = _Tally()
        _PackagePlanner(item, live, frozenset(), tally).plan()
        self.tallies[ref] = tally


def make_plan(
    desired: DesiredState,
    live: LiveState,
    endpoint: str,
    region: str,
    targets: tuple[TargetIdentity, ...] | None = None,
    ahead: PlannedAhead | None = None,
) -> Plan:
    """Diff the declared state against live state into an ordered, batched plan, made against
    `endpoint` in `region` (with the owners of `live.domain_owners`), or against `targets`, one per
    Region, when the run reads several. `ahead`: packages already planned while the reads went on
    (their parts are taken as they are)."""
    resolved = resolve_entries(desired, live.package_names)
    arriving = _arriving(resolved, live)
    tally = _Tally(warnings=[*desired.warnings, *_unmatched(desired, resolved, live)])
    planned = ahead.tallies if ahead is not None and ahead.now == live.now else {}
    for item in resolved:
        part = planned.get(item.ref)
        if part is not None and not item.copy_sources:
            tally.absorb(part)
        else:
            _PackagePlanner(item, live, arriving, tally).plan()
    summary = Summary(
        to_copy=tally.kinds[ActionKind.COPY],
        to_update=tally.kinds[ActionKind.UPDATE_STATUS],
        to_dispose=tally.kinds[ActionKind.DISPOSE],
        to_delete=tally.kinds[ActionKind.DELETE],
        unchanged=tally.unchanged,
        unmanaged=tally.unmanaged,
        errors=len(tally.errors),
        accepted=len(tally.accepted),
    )
    return Plan(
        tool_version=__version__,
        created_at=dt.datetime.fromtimestamp(live.now, dt.UTC).isoformat(timespec="seconds"),
        evaluated_at=live.now,
        manifest_digest=desired.digest,
        manifest_files=desired.files,
        targets=targets
        or (
            TargetIdentity(
                endpoint=endpoint, region=region, domains=dict(sorted(live.domain_owners.items()))
            ),
        ),
        actions=tuple(_batch(tally.groups)),
        errors=tuple(tally.errors),
        warnings=tuple(tally.warnings),
        summary=summary,
        api_calls=dict(sorted(live.calls.items())),
        package_versions=dict(sorted(tally.sizes.items())),
        accepted=tuple(
            sorted(
                tally.accepted,
                key=lambda a: (a.package.sort_key(), version_sort_key(a.package.format, a.version)),
            )
        ),
    )


class _PackagePlanner:
    """The changes of one resolved entry's package, added to the plan's tally."""

    def __init__(
        self,
        item: ResolvedEntry,
        live: LiveState,
        arriving: frozenset[tuple[PackageRef, str]],
        tally: _Tally,
    ) -> None:
        self.item = item
        self.tally = tally
        self.arriving = arriving
        self.target = live.packages.get(item.ref)
        self.searched = {
            repo: live.upstream_chains.get(item.source(repo).repository, ()) for repo in item.upstream_sources
        }
        self.sources = {
            repo: live.packages.get(item.source(repo))
            for repo in item.copy_sources.union(*self.searched.values())
        }
        self.now = live.now
        self.batches: dict[BatchKey, list[VersionChange]] = {}
        # One rule's versions share one decision, and so one reason and, per current status, one key.
        self.reasons: dict[int, str] = {}
        self.keys: dict[tuple[int, Status], BatchKey] = {}

    def plan(self) -> None:
        item, tally, target = self.item, self.tally, self.target
        # Versions not yet Disposed: the base of the per-package share of disposes (limits.py).
        tally.sizes[str(item.ref)] = (
            sum(1 for state in target.versions.values() if state.status not in FINAL_STATUSES)
            if target is not None
            else 0
        )
        # A package too large for the parse cache has its versions read once, for the rules and the
        # order of its changes alike.
        memo = version_memo(item.ref.format, len(target.versions)) if target is not None else None
        evaluation = evaluate(item.declared, target, self.sources, self.now, memo)
        tally.warnings.extend(evaluation.notes)
        decisions = evaluation.decisions
        # The changes in order are needed only to check them against protect and protect_in_use:
        # kept otherwise, they would be a tuple a change at the plan's peak (a package of 100,000).
        in_order = self._changes(decisions, bool(item.declared.entry.protect or item.declared.in_use), memo)
        if item.declared.entry.protect:
            tally.errors.extend(protected_problems(item, in_order))
        if item.declared.in_use:
            tally.errors.extend(in_use_problems(item, in_order))
        tally.warnings.extend(package_warnings(item.ref, target, self.batches))
        ref_key = item.ref.sort_key()
        for key, members in self.batches.items():
            tally.kinds[key.kind] += len(members)
            order = (
                key.kind.phase,
                ref_key,
                key.expected_status.value,
                key.target_status.value,
                key.source_repository or "",
                key.allow_overwrite,
                key.include_from_upstream,
            )
            tally.groups.append((order, item.ref, key, members))
        if target is not None:
            # Counted, not collected: a set of the versions left would be the plan's peak for a
            # package of 100,000 versions (about 40 bytes a version).
            listed = target.versions
            tally.unmanaged += len(listed) - sum(1 for version in decisions if version in listed)

    def _changes(
        self, decisions: Mapping[str, Decision], keep: bool, memo: VersionMemo | None
    ) -> list[Change]:
        """Every change of the package, in version order (read from `memo` when there is one), added
        to its batch; returned too, with `keep`."""
        current_versions = self.target.versions if self.target is not None else _NO_VERSIONS
        in_order: list[Change] = []
        # The loop runs once per version a plan decides (a million for a large rollout): the common
        # change, a status update of a version that is there, finds its key, reason and batch in one
        # lookup by decision and current status, made once per rule's versions.
        updates: dict[tuple[int, Status], tuple[BatchKey, str, list[VersionChange]]] = {}
        unchanged = 0
        if memo is not None:
            ordered = memo.sorted(decisions)
            memo.clear()  # before the changes are made: they are the plan's peak
        else:
            ordered = sorted(decisions, key=version_sort_keys(self.item.ref.format, decisions))
        for version in ordered:
            decision = decisions[version]
            current = current_versions.get(version)
            if current is None:
                others = self._other(version, decision, current)
                if keep:
                    in_order.extend(others)
                continue
            status = current.status
            if status is decision.status:
                unchanged += 1
                continue
            if status in decision.accept:
                # Moved by hand to a status the manifests accept: left as it is, and counted apart.
                accepted = AcceptedVersion(
                    self.item.ref, version, status, decision.status, self._reason(decision)
                )
                self.tally.accepted.append(accepted)
                continue
            if status not in UPDATABLE_STATUSES:
                others = self._other(version, decision, current)
                if keep:
                    in_order.extend(others)
                continue
            update = updates.get((id(decision), status))
            if update is None:
                key = self._update_key(decision, status)
                update = updates[(id(decision), status)] = (
                    key,
                    self._reason(decision),
                    self.batches.setdefault(key, []),
                )
            key, reason, batch = update
            change = VersionChange(version, status, current.revision, decision.status, reason)
            batch.append(change)
            if keep:
                in_order.append((key, change))
        self.tally.unchanged += unchanged
        return in_order

    def _other(self, version: str, decision: Decision, current: VersionState | None) -> list[Change]:
        """A version that is absent, or in a status no update moves it from."""
        outcome = other_changes(
            self.item,
            version,
            decision,
            self._reason(decision),
            current,
            self.sources,
            self.arriving,
            self.searched,
        )
        if isinstance(outcome, VersionProblem):
            self.tally.errors.append(outcome)
            return []
        if not outcome:
            self.tally.unchanged += 1
            if current is None and decision.copy_from and decision.status not in FINAL_STATUSES:
                self.tally.warnings.append(
                    f"{self.item.ref}@{version}: waits for this plan to copy it into {decision.copy_from}; "
                    "plan again after apply to promote it further"
                )
            return []
        for key, change in outcome:
            self.batches.setdefault(key, []).append(change)
        return outcome

    def _update_key(self, decision: Decision, status: Status) -> BatchKey:
        key = self.keys.get((id(decision), status))
        if key is None:
            kind = ActionKind.changing_to(decision.status)
            key = self.keys[(id(decision), status)] = BatchKey(kind, status, decision.status)
        return key

    def _reason(self, decision: Decision) -> str:
        """A change's reason: its decision's, with where it was declared (one string per decision)."""
        why = self.reasons.get(id(decision))
        if why is None:
            why = self.reasons[id(decision)] = f"{decision.reason} at {decision.origin}"
        return why


def _arriving(resolved: list[ResolvedEntry], live: LiveState) -> frozenset[tuple[PackageRef, str]]:
    """(package, version) pairs that pins of this plan copy into a repository where they are missing."""
    found: set[tuple[PackageRef, str]] = set()
    for item in resolved:
        target = live.packages.get(item.ref)
        for version, pin in item.declared.entry.versions.items():
            if copied_from(pin) and (target is None or version not in target.versions):
                found.add((item.ref, version))
    return frozenset(found)


def unmatched_entries(desired: DesiredState, live: LiveState) -> list[str]:
    """The warnings of `make_plan` about entries that speak about nothing (what drift warns about too)."""
    return _unmatched(desired, resolve_entries(desired, live.package_names), live)


def _unmatched(desired: DesiredState, resolved: list[ResolvedEntry], live: LiveState) -> list[str]:
    """Entries that speak about nothing: a typo in a name must not pass for "no changes"."""
    used = {id(item.declared) for item in resolved}
    warnings = []
    for declared in desired.entries:
        entry = declared.entry
        if entry.is_glob and id(declared) not in used:
            warnings.append(
                f"{declared.origin}: glob {entry.name!r} matches no {entry.format.value} package "
                f"in {declared.target.domain}/{declared.target.repository}"
            )
    for item in resolved:
        if not item.declared.entry.is_glob and item.ref not in live.packages and not item.copies:
            warnings.append(f"{item.declared.origin}: no package {item.ref}; the entry changes nothing")
    return warnings


def _batch(groups: list[_Group]) -> list[Action]:
    actions: list[Action] = []
    for _, package, key, members in sorted(groups, key=lambda group: group[0]):
        for start in range(0, len(members), MAX_VERSIONS_PER_CALL):
            actions.append(Action.batch(package, key, tuple(members[start : start + MAX_VERSIONS_PER_CALL])))
    return actions
