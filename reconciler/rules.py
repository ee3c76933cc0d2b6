"""Pure evaluation of one package entry against live state: the declared status of each version, and why.

Pins come first; then rules, top to bottom, each taking some of the versions no pin or earlier rule
took; then `otherwise`. A rule with `copy_from` evaluates its selectors against the source
repository's versions. Unless `current` names them, no rule (nor `otherwise`) takes versions that
are Unfinished (an upload in progress) or Disposed (gone).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from reconciler.codeartifact import Format, Status
from reconciler.models import DeclaredEntry, Pin, Rule
from reconciler.state import PackageState, VersionState
from reconciler.versioning import ORDERING, parse_range, parse_version

_CLOSED = frozenset({Status.UNFINISHED, Status.DISPOSED, Status.DELETED})


@dataclass(frozen=True)
class Decision:
    """The declared state of one version. `copy_from` names the repository to promote it from."""

    version: str
    status: Status
    reason: str
    origin: str
    copy_from: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False


@dataclass(frozen=True)
class Evaluation:
    decisions: dict[str, Decision]
    notes: tuple[str, ...]  # things a reviewer should know (unparsable versions a ranking skipped)


def time_thresholds(rule: Rule, now: float) -> set[float]:
    """The publish-time thresholds (epoch seconds) a rule's age selectors compare against."""
    return {now - age.total_seconds() for age in (rule.older_than, rule.newer_than) if age is not None}


def needs_time_order(rule: Rule, format: Format) -> bool:
    ranks_by_time = rule.keep_latest is not None and (rule.by == "published" or format is Format.GENERIC)
    return ranks_by_time or rule.older_than is not None or rule.newer_than is not None


def evaluate(
    declared: DeclaredEntry,
    target: PackageState | None,
    sources: dict[str, PackageState | None],
    now: float,
) -> Evaluation:
    """Decide every version the entry speaks about; versions it does not decide are unmanaged."""
    entry = declared.entry
    decisions: dict[str, Decision] = {}
    notes: list[str] = []
    for version, pin in entry.versions.items():
        origin = str(declared.pin_origins.get(version, declared.origin))
        decisions[version] = _from_pin(version, pin, origin)

    for index, rule in enumerate(entry.rules):
        origin = f"{declared.origin} rules[{index}]"
        state = sources.get(rule.copy_from) if rule.copy_from else target
        if state is None:
            continue
        candidates = [
            v
            for v in state.versions.values()
            if v.version not in decisions and _selects(rule, entry.format, state, v, now)
        ]
        taken, skipped = _rank(rule, entry.format, candidates)
        if skipped:
            notes.append(
                f"{origin}: keep_latest ranked by {ORDERING[entry.format]}; {len(skipped)} version(s) that do not "
                f"parse were left to the next rule: {', '.join(sorted(skipped)[:5])}"
                + (" ..." if len(skipped) > 5 else "")
            )
        why = _describe(rule, entry.format)
        for version_state in taken:
            decisions[version_state.version] = Decision(
                version=version_state.version,
                status=Status(rule.status),
                reason=f"rule {index + 1} ({why})",
                origin=origin,
                copy_from=rule.copy_from,
                allow_overwrite=rule.allow_overwrite,
                include_from_upstream=rule.include_from_upstream,
            )

    if entry.otherwise != "ignore" and target is not None:
        for version_state in target.versions.values():
            if version_state.version not in decisions and version_state.status not in _CLOSED:
                decisions[version_state.version] = Decision(
                    version=version_state.version,
                    status=Status(entry.otherwise),
                    reason=f"otherwise: {entry.otherwise}",
                    origin=str(declared.origin),
                )
    return Evaluation(decisions, tuple(notes))


def _from_pin(version: str, pin: Pin, origin: str) -> Decision:
    return Decision(
        version=version,
        status=Status(pin.status),
        reason="pinned",
        origin=origin,
        copy_from=pin.copy_from,
        allow_overwrite=pin.allow_overwrite,
        include_from_upstream=pin.include_from_upstream,
    )


def _selects(rule: Rule, format: Format, state: PackageState, version: VersionState, now: float) -> bool:
    if rule.current is not None:
        if version.status not in rule.current:
            return False
    elif version.status in _CLOSED:
        return False
    text = version.version
    if rule.match is not None and not any(fnmatch.fnmatchcase(text, glob) for glob in rule.match):
        return False
    if rule.regex is not None and re.fullmatch(rule.regex, text) is None:
        return False
    if rule.range is not None and not parse_range(format, rule.range).contains(text):
        return False
    if rule.prerelease is not None:
        parsed = parse_version(format, text)
        if parsed is None or parsed.is_prerelease != rule.prerelease:
            return False
    if rule.older_than is not None:
        older = state.is_older_than(version, now - rule.older_than.total_seconds())
        if older is not True:
            return False
    if rule.newer_than is not None:
        older = state.is_older_than(version, now - rule.newer_than.total_seconds())
        if older is not False:
            return False
    return True


def _rank(rule: Rule, format: Format, candidates: list[VersionState]) -> tuple[list[VersionState], list[str]]:
    """(versions the rule takes, versions skipped because they do not parse in the format)."""
    if rule.keep_latest is None:
        return candidates, []
    by_time = rule.by == "published" or format is Format.GENERIC
    skipped: list[str] = []
    groups: dict[str, list[tuple[object, VersionState]]] = {}
    for candidate in candidates:
        parsed = parse_version(format, candidate.version)
        if (rule.per is not None or not by_time) and parsed is None:
            skipped.append(candidate.version)
            continue
        group = parsed.group(rule.per) if rule.per is not None and parsed is not None else ""
        # Newest first: lowest time rank, or highest version.
        key: object = candidate.time_rank if by_time else parsed
        groups.setdefault(group, []).append((key, candidate))
    taken: list[VersionState] = []
    for members in groups.values():
        if by_time:
            members.sort(key=lambda pair: (pair[0] is None, pair[0] if pair[0] is not None else 0))
        else:
            members.sort(key=lambda pair: pair[0], reverse=True)  # type: ignore[arg-type,return-value]
        taken.extend(candidate for _, candidate in members[: rule.keep_latest])
    return taken, skipped


def _describe(rule: Rule, format: Format) -> str:
    parts: list[str] = []
    if rule.match is not None:
        parts.append("match " + " | ".join(rule.match))
    if rule.regex is not None:
        parts.append(f"regex {rule.regex}")
    if rule.range is not None:
        parts.append(f"range {rule.range}")
    if rule.prerelease is not None:
        parts.append("pre-release" if rule.prerelease else "release")
    if rule.current is not None:
        parts.append("current " + "|".join(status.value for status in rule.current))
    if rule.older_than is not None:
        parts.append(f"older than {_age(rule.older_than.total_seconds())}")
    if rule.newer_than is not None:
        parts.append(f"newer than {_age(rule.newer_than.total_seconds())}")
    if rule.copy_from is not None:
        parts.append(f"from {rule.copy_from}")
    if rule.keep_latest is not None:
        by_time = rule.by == "published" or format is Format.GENERIC
        ordering = "publish time" if by_time else ORDERING[format]
        per = f" per {rule.per}" if rule.per else ""
        parts.append(f"newest {rule.keep_latest}{per} by {ordering}")
    return ", ".join(parts) if parts else "every open version"


def _age(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
