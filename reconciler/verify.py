"""Is a plan one the planner could have made? Its internal consistency, checked before apply calls.

Apply executes each action by its kind, statuses and source, and reports each version by what the
plan says of it; a plan file edited by hand (or by anyone) could make the two disagree, or reach
outside what the planner would ever ask for. So apply refuses, before any call, a plan that breaks
any of the planner's own invariants:

- kinds vs statuses: a copy's expected and target status are one copyable status and it names a
  source repository (not its own); an update-status moves a version from an updatable status (or an
  Unfinished upload to Published) to another updatable status; a dispose takes an updatable status
  to Disposed; a delete takes an updatable status, or Disposed, to Deleted (the status
  DeletePackageVersions reports; no plan expects a version to be Deleted already, since a deleted
  version is absent); `allow_overwrite` and `include_from_upstream` only on a copy;
- versions: every version's `prior_status` is its action's expected status and its `after` the
  action's target status (a copy arrives as it is); at most 100 versions an action, none twice in
  one action, none twice in one kind of action of one package; a version is copied, updated,
  disposed or deleted, or copied and then settled, never two of these otherwise;
- order: copies, then status updates, then disposes, then deletes;
- sources: a `source_repository` only on a copy and on the update that settles versions copied
  from that repository into the same package by an earlier copy;
- target: every action's package is in one of the plan's targets (the one of its Region; a plan of
  several Regions names the Region of every package, a plan of one names none), its domain is in that
  target's domains, and every action of a domain names the domain owner the target records (or none,
  the caller's account, as the manifests may);
- counts: the summary's `to_copy`, `to_update`, `to_dispose`, `to_delete`, `cannot_converge` and `accepted` are the
  plan's;
- accepted: a version accepted as it is (`accept`) is not changed by any action, and is not as declared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from reconciler.addresses import PackageRef
from reconciler.codeartifact import (
    COPYABLE_STATUSES,
    DELETABLE_STATUSES,
    MAX_VERSIONS_PER_CALL,
    UPDATABLE_STATUSES,
    Status,
)
from reconciler.errors import PlanInconsistentError
from reconciler.plan import Action, ActionKind, Plan, VersionChange

# The problems a refusal lists; the rest are counted.
PROBLEMS_LISTED = 20


def check_plan(plan: Plan) -> None:
    """Raise `PlanInconsistentError`, naming each action and version at fault, unless `plan` is
    consistent (see the module's documentation)."""
    problems = plan_problems(plan)
    if problems:
        listed = problems[:PROBLEMS_LISTED]
        if len(problems) > PROBLEMS_LISTED:
            listed.append(f"... and {len(problems) - PROBLEMS_LISTED} more")
        raise PlanInconsistentError(
            f"refused: the plan file is not consistent ({len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}); nothing was changed",
            "\n".join(
                [*listed, "A plan is applied only as the planner wrote it: plan again, and apply that file."]
            ),
        )


def plan_problems(plan: Plan) -> list[str]:
    """Every way `plan` breaks the planner's invariants, each naming its action (by its place in the
    plan, from 1) and version."""
    problems: list[str] = []
    for number, action in enumerate(plan.actions, 1):
        problems += [f"{_name(number, action)}: {problem}" for problem in _action_problems(action)]
    problems += _order_problems(plan)
    problems += _version_problems(plan)
    problems += _target_problems(plan)
    problems += _count_problems(plan)
    problems += _accepted_problems(plan)
    return problems


def _name(number: int, action: Action) -> str:
    return f"action {number} ({action.kind.value} {action.package})"


# A dispose and a delete: the status each makes, the statuses it takes a version from, and how a
# problem says so.
_REMOVALS = {
    ActionKind.DISPOSE: (
        Status.DISPOSED,
        UPDATABLE_STATUSES,
        "a dispose disposes a Published, Unlisted or Archived version",
    ),
    ActionKind.DELETE: (
        Status.DELETED,
        DELETABLE_STATUSES,
        "a delete deletes a Published, Unlisted, Archived or Disposed version",
    ),
}


def _action_problems(action: Action) -> Iterator[str]:
    kind, expected, target = action.kind, action.expected_status, action.target_status
    statuses = f"{expected.value} -> {target.value}"
    if kind is ActionKind.COPY:
        if expected is not target or expected not in COPYABLE_STATUSES:
            yield f"a copy copies a Published or Unlisted version as it is, not {statuses}"
        if not action.source_repository:
            yield "a copy without a source_repository"
        elif action.source_repository == action.package.repository.repository:
            yield "a copy from its own repository"
    elif kind is ActionKind.UPDATE_STATUS:
        unfinished = expected is Status.UNFINISHED and target is Status.PUBLISHED
        if target not in UPDATABLE_STATUSES or expected is target:
            yield f"an update-status makes a version Published, Unlisted or Archived, not {statuses}"
        elif expected not in UPDATABLE_STATUSES and not unfinished:
            yield f"an update-status cannot move a version {statuses}"
    else:
        makes, takes, what = _REMOVALS[kind]
        if target is not makes or expected not in takes:
            yield f"{what}, not {statuses}"
        if action.source_repository:
            yield f"a source_repository ({action.source_repository}) on a {kind.value}"
    if kind is not ActionKind.COPY and (action.allow_overwrite or action.include_from_upstream):
        yield "allow_overwrite or include_from_upstream on an action that is not a copy"
    yield from _change_problems(action)


def _change_problems(action: Action) -> Iterator[str]:
    expected, target = action.expected_status, action.target_status
    if len(action.versions) > MAX_VERSIONS_PER_CALL:
        yield f"{len(action.versions)} versions, more than the {MAX_VERSIONS_PER_CALL} a call takes"
    seen: set[str] = set()
    for change in action.versions:
        where = f"version {change.version!r}"
        if change.version in seen:
            yield f"{where} twice in the action"
        seen.add(change.version)
        if change.prior_status is not expected:
            yield f"{where}: prior status {change.prior_status.value}, but the action expects {expected.value}"
        if change.after is not target:
            yield f"{where}: after {change.after.value}, but the action makes it {target.value}"


def _order_problems(plan: Plan) -> Iterator[str]:
    """Copies (and the updates that settle them, which apply runs right after), then updates, then
    disposes, then deletes: the order the planner writes and apply's phases assume."""
    latest = 0
    for number, action in enumerate(plan.actions, 1):
        phase = action.kind.phase
        if phase < latest:
            yield (
                f"{_name(number, action)}: out of order (copies, then status updates, then disposes, "
                "then deletes)"
            )
        latest = max(latest, phase)


def _version_problems(plan: Plan) -> Iterator[str]:
    """No version twice in one kind of action of a package; a settling update only of versions an
    earlier copy brings from its source; no version both updated and disposed, nor copied and
    changed any other way."""
    # package -> version -> kind -> action number (the first)
    changed: dict[PackageRef, dict[str, dict[ActionKind, int]]] = {}
    # package -> version -> (source repository, status it arrives with, revision)
    copied: dict[PackageRef, dict[str, tuple[str | None, Status, str]]] = {}
    settling: set[int] = set()  # the numbers of the updates that settle copies
    for number, action in enumerate(plan.actions, 1):
        versions = changed.setdefault(action.package, {})
        arrivals = copied.setdefault(action.package, {})
        kind, settles = action.kind, action.settles_copy
        if settles:
            settling.add(number)
        for change in action.versions:
            kinds = versions.setdefault(change.version, {})
            earlier = kinds.setdefault(kind, number)
            if earlier != number:
                yield (
                    f"{_name(number, action)}: version {change.version!r} is also in action {earlier}, "
                    "of the same kind and package"
                )
                continue
            if kind is ActionKind.COPY:
                arrivals[change.version] = (action.source_repository, change.after, change.prior_revision)
            elif settles:
                yield from _settle_problems(number, action, change, arrivals.get(change.version))
    for package, versions in changed.items():
        for version, kinds in versions.items():
            if len(kinds) < 2:
                continue
            update = kinds.get(ActionKind.UPDATE_STATUS)
            if len(kinds) == 2 and ActionKind.COPY in kinds and update in settling:
                continue
            numbers = ", ".join(str(number) for number in sorted(kinds.values()))
            yield (
                f"{package} version {version!r} is changed by actions {numbers}: a version is copied, "
                "updated, disposed or deleted (or copied, then settled by its update), once"
            )


def _settle_problems(
    number: int, action: Action, change: VersionChange, arrival: tuple[str | None, Status, str] | None
) -> Iterator[str]:
    where = f"{_name(number, action)}: version {change.version!r}"
    source = action.source_repository
    if arrival is None or arrival[0] != source:
        yield (
            f"{where}: source_repository {source} on an update that settles no copy of this version "
            f"from {source} before it"
        )
    elif (arrival[1], arrival[2]) != (change.prior_status, change.prior_revision):
        yield (
            f"{where}: settles a copy that arrives {arrival[1].value} (revision {arrival[2]}), "
            f"not {change.prior_status.value} (revision {change.prior_revision})"
        )


def _target_problems(plan: Plan) -> Iterator[str]:
    for number, action in enumerate(plan.actions, 1):
        for package in (action.package, action.source):
            if package is None:
                continue
            repository = package.repository
            target = plan.target_of(repository)
            if target is None:
                where = f"Region {repository.region}" if repository.region else "no Region"
                yield f"{_name(number, action)}: {package} names {where}, and the plan has no target for it"
                continue
            domains = target.domains
            if repository.domain not in domains:
                yield f"{_name(number, action)}: domain {repository.domain} is not in the plan's target"
            elif (
                repository.domain_owner is not None and repository.domain_owner != domains[repository.domain]
            ):
                yield (
                    f"{_name(number, action)}: domain {repository.domain} owner {repository.domain_owner}, "
                    f"but the plan's target records {domains[repository.domain]}"
                )
    owners: dict[tuple[str, str], set[str | None]] = {}
    for action in plan.actions:
        repository = action.package.repository
        owners.setdefault((repository.region or "", repository.domain), set()).add(repository.domain_owner)
    for (region, domain), named in sorted(owners.items()):
        if len(named) > 1:
            where = f"{region}:{domain}" if region else domain
            yield f"domain {where}: its actions name different owners ({', '.join(sorted(map(str, named)))})"


def _count_problems(plan: Plan) -> Iterator[str]:
    counts: Counter[ActionKind] = Counter()
    for action in plan.actions:
        counts[action.kind] += len(action.versions)
    summary = plan.summary
    for name, stated, actual in (
        ("to_copy", summary.to_copy, counts[ActionKind.COPY]),
        ("to_update", summary.to_update, counts[ActionKind.UPDATE_STATUS]),
        ("to_dispose", summary.to_dispose, counts[ActionKind.DISPOSE]),
        ("to_delete", summary.to_delete, counts[ActionKind.DELETE]),
        ("cannot_converge", summary.errors, len(plan.errors)),
        ("accepted", summary.accepted, len(plan.accepted)),
    ):
        if stated != actual:
            yield f"summary: {name} is {stated}, but the plan holds {actual}"


def _accepted_problems(plan: Plan) -> Iterator[str]:
    """A version the plan accepts as it is, it does not also change."""
    changed = {(action.package, change.version) for action in plan.actions for change in action.versions}
    for item in plan.accepted:
        if (item.package, item.version) in changed:
            yield f"accepted: {item.package} version {item.version!r} is accepted as it is, and changed by an action"
        if item.live is item.declared:
            yield f"accepted: {item.package} version {item.version!r} is accepted, but it is as declared"
