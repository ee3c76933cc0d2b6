"""Pure evaluation of one package entry against live state: the declared status of each version, and why.

Pins come first; then rules, top to bottom, each taking some of the versions no pin or earlier rule
took; then `otherwise`. A rule with `copy_from` evaluates its selectors against the source
repository's versions. Unless `current` names them, no rule (nor `otherwise`) takes versions that
are Unfinished (an upload in progress) or Disposed (gone).

A rule's `regex` is the one pattern a manifest author writes that runs against live data, and a
pattern with nested repetition can backtrack for longer than anyone waits. It runs with the `regex`
library, which sees through most such patterns (`((.*)*)*x` fails at once) and takes a time bound
for the rest: a version that one pattern cannot decide within `REGEX_TIMEOUT` seconds stops the run
with a `RegexTimeoutError` naming the rule's line, the pattern and the version.
"""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex as regex_engine

from reconciler.codeartifact import CLOSED_STATUSES, FINAL_STATUSES, Format, Status
from reconciler.errors import ManifestError
from reconciler.models import DeclaredEntry, Pin, Rule
from reconciler.state import PackageState, VersionState
from reconciler.text import format_duration
from reconciler.versioning import ORDERING, ParsedVersion, VersionMemo, parse_range, version_parser

_OPEN = frozenset(Status) - CLOSED_STATUSES

# Seconds one `regex` may take on one version. A plain pattern decides a version string (at most a
# few hundred characters) in microseconds: the bound leaves a thousandfold margin for a loaded
# machine and still stops a run on a runaway pattern within a fraction of a second.
REGEX_TIMEOUT = 0.1
# A pattern or version longer than this is shown by its start in an error (one line a problem).
_SHOWN = 80


class RegexTimeoutError(ManifestError):
    """A rule's `regex` ran out of time on a version: a pattern that backtracks without bound."""

    def __init__(self, origin: str, pattern: str, version: str, timeout: float) -> None:
        super().__init__(
            [
                f"{origin}.regex: the regular expression {_shown(pattern)} did not finish within "
                f"{timeout:g} s on version {_shown(version)}; it backtracks without bound (nested "
                "repetition such as (a|aa)+ or (x+)+): write it so that each character can be matched "
                "one way only"
            ]
        )
        self.origin = origin
        self.pattern = pattern
        self.version = version


def _shown(text: str) -> str:
    return repr(text) if len(text) <= _SHOWN else f"{text[:_SHOWN]!r}... ({len(text)} characters)"


@dataclass(frozen=True)
class Decision:
    """The declared state of the versions it is given for. `copy_from` names the repository to promote
    them from. Every version one rule (or `otherwise`) takes shares one `Decision`."""

    status: Status
    reason: str
    origin: str
    copy_from: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False
    # Live statuses left as they are (`accept` of the entry, and of the rule that decided).
    accept: frozenset[Status] = frozenset()


@dataclass(frozen=True)
class Evaluation:
    decisions: dict[str, Decision]  # version -> its declared state
    notes: tuple[str, ...]  # things a reviewer should know (unparsable versions a ranking skipped)


def evaluate(
    declared: DeclaredEntry,
    target: PackageState | None,
    sources: dict[str, PackageState | None],
    now: float,
    memo: VersionMemo | None = None,
) -> Evaluation:
    """Decide every version the entry speaks about; versions it does not decide are unmanaged.
    `memo`: the target's versions read once for every rule (`versioning.version_memo`)."""
    entry = declared.entry
    decisions: dict[str, Decision] = {}
    notes: list[str] = []
    accepted = _statuses(entry.accept)
    for version, pin in entry.versions.items():
        origin = str(declared.pin_origins.get(version, declared.origin))
        decisions[version] = _from_pin(pin, origin, accepted)

    for index, rule in enumerate(entry.rules):
        rule_origin = declared.rule_origins[index] if index < len(declared.rule_origins) else declared.origin
        origin = f"{rule_origin} rules[{index}]"
        state = sources.get(rule.copy_from) if rule.copy_from else target
        if state is None:
            continue
        parse = memo.parse if memo is not None and state is target else version_parser(entry.format)
        where = f"{rule_origin}: rules[{index}]"
        candidates = _candidates(rule, entry.format, state, now, decisions, where, parse)
        if rule.copy_from and target is not None:
            # Selectors read the source; a version already gone for good in the target stays out of
            # reach of a promotion, as it is out of reach of every other rule.
            candidates = [c for c in candidates if not _is_final_in(target, c.version)]
        taken, skipped = _rank(rule, entry.format, candidates, parse)
        if skipped:
            notes.append(
                f"{origin}: keep_latest ranked by {ORDERING[entry.format]}; {len(skipped)} version(s) that do not "
                f"parse were left to the next rule: {', '.join(sorted(skipped)[:5])}"
                + (" ..." if len(skipped) > 5 else "")
            )
        if not taken:
            continue
        decision = Decision(
            status=Status(rule.status),
            reason=f"rule {index + 1} ({_describe(rule, entry.format)})",
            origin=origin,
            copy_from=rule.copy_from,
            allow_overwrite=rule.allow_overwrite,
            include_from_upstream=rule.include_from_upstream,
            accept=accepted | _statuses(rule.accept),
        )
        decisions.update(dict.fromkeys([version_state.version for version_state in taken], decision))

    if entry.otherwise != "ignore" and target is not None:
        otherwise = Decision(
            status=Status(entry.otherwise),
            reason=f"otherwise: {entry.otherwise}",
            origin=str(declared.otherwise_origin or declared.origin),
            accept=accepted,
        )
        decisions.update(
            {
                version_state.version: otherwise
                for version_state in target.versions.values()
                if version_state.status in _OPEN and version_state.version not in decisions
            }
        )
    return Evaluation(decisions, tuple(notes))


def _is_final_in(state: PackageState, version: str) -> bool:
    found = state.versions.get(version)
    return found is not None and found.status in FINAL_STATUSES


def _from_pin(pin: Pin, origin: str, accept: frozenset[Status]) -> Decision:
    return Decision(
        status=Status(pin.status),
        reason="pinned",
        origin=origin,
        copy_from=pin.copy_from,
        allow_overwrite=pin.allow_overwrite,
        include_from_upstream=pin.include_from_upstream,
        accept=accept,
    )


def _statuses(names: Sequence[str] | None) -> frozenset[Status]:
    return frozenset(Status(name) for name in names) if names else frozenset()


_Parse = Callable[[str], ParsedVersion | None]


def _candidates(
    rule: Rule,
    format: Format,
    state: PackageState,
    now: float,
    decided: dict[str, Decision],
    where: str,
    parse: _Parse,
) -> list[VersionState]:
    """The versions of `state` that no pin or earlier rule decided and that every selector of `rule` takes
    (`where` names the rule in an error: `FILE:LINE: rules[N]`; `parse` reads `state`'s versions)."""
    # Runs once per rule over every version of a package: the status test is a set lookup, and each
    # selector the rule has narrows the list in one comprehension.
    statuses = frozenset(rule.current) if rule.current is not None else _OPEN
    versions = [v for v in state.versions.values() if v.status in statuses and v.version not in decided]
    for narrow in _selectors(rule, format, state, now, where, parse):
        versions = narrow(versions)
    return versions


_Narrow = Callable[[list[VersionState]], list[VersionState]]


def _selectors(
    rule: Rule, format: Format, state: PackageState, now: float, where: str, parse: _Parse
) -> list[_Narrow]:
    """One filter per selector the rule has (beyond `current`), in the order they are written in `Rule`."""
    narrows: list[_Narrow] = []
    if rule.match is not None:
        globs = rule.match
        narrows.append(lambda vs: [v for v in vs if any(fnmatch.fnmatchcase(v.version, g) for g in globs)])
    if rule.regex is not None:
        matches = _bounded_fullmatch(rule.regex, where)
        narrows.append(lambda vs: [v for v in vs if matches(v.version)])
    if rule.range is not None:
        contains = parse_range(format, rule.range).contains
        # Parsed as the other selectors and the ranking parse (a large package's memo): once.
        narrows.append(lambda vs: [v for v in vs if (p := parse(v.version)) is not None and contains(p)])
    if rule.prerelease is not None:
        wanted = rule.prerelease
        narrows.append(
            lambda vs: [v for v in vs if (p := parse(v.version)) is not None and p.is_prerelease == wanted]
        )
    if rule.origin is not None:
        origins = frozenset(origin.value for origin in rule.origin)
        narrows.append(lambda vs: [v for v in vs if v.origin_type in origins])
    if rule.older_than is not None:
        before = now - rule.older_than.total_seconds()
        narrows.append(lambda vs: [v for v in vs if state.is_older_than(v, before) is True])
    if rule.newer_than is not None:
        after = now - rule.newer_than.total_seconds()
        narrows.append(lambda vs: [v for v in vs if state.is_older_than(v, after) is False])
    return narrows


def _bounded_fullmatch(pattern: str, where: str) -> Callable[[str], bool]:
    """Whether a version fully matches `pattern`, within `REGEX_TIMEOUT` seconds or a `RegexTimeoutError`."""
    compiled = regex_engine.compile(pattern)
    timeout = REGEX_TIMEOUT

    def matches(version: str) -> bool:
        try:
            return compiled.fullmatch(version, timeout=timeout) is not None
        except TimeoutError as exc:
            raise RegexTimeoutError(where, pattern, version, timeout) from exc

    return matches


def _rank(
    rule: Rule, format: Format, candidates: list[VersionState], parse: _Parse
) -> tuple[list[VersionState], list[str]]:
    """(versions the rule takes, versions skipped because they do not parse in the format)."""
    if rule.keep_latest is None:
        return candidates, []
    by_time = rule.by == "published" or format is Format.GENERIC
    skipped: list[str] = []
    # Groups are keyed by (epoch, major[, minor]), or the major alone when there is no epoch (every
    # format but pypi).
    groups: dict[object, list[tuple[object, VersionState]]] = {}
    whole = ()
    group: object
    per = rule.per
    key: object
    for candidate in candidates:
        # Newest first: lowest time rank, or highest version.
        if per is None and by_time:
            group, key = whole, candidate.time_rank  # no need to parse
        else:
            parsed = parse(candidate.version)
            if parsed is None:
                skipped.append(candidate.version)
                continue
            if per is None:
                group = whole
            elif per == "major":
                group = (parsed.epoch, parsed.major) if parsed.epoch else parsed.major
            else:
                group = (parsed.epoch, parsed.major, parsed.minor)
            key = candidate.time_rank if by_time else parsed.sort_key
        members = groups.get(group)
        if members is None:
            members = groups[group] = []
        members.append((key, candidate))
    taken: list[VersionState] = []
    for members in groups.values():
        if by_time:
            members.sort(key=lambda pair: (pair[0] is None, pair[0] if pair[0] is not None else 0))
        else:
            members.sort(key=operator.itemgetter(0), reverse=True)
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
    if rule.origin is not None:
        parts.append("origin " + "|".join(origin.value for origin in rule.origin))
    if rule.older_than is not None:
        parts.append(f"older than {format_duration(rule.older_than.total_seconds())}")
    if rule.newer_than is not None:
        parts.append(f"newer than {format_duration(rule.newer_than.total_seconds())}")
    if rule.copy_from is not None:
        parts.append(f"from {rule.copy_from}")
    if rule.keep_latest is not None:
        by_time = rule.by == "published" or format is Format.GENERIC
        ordering = "publish time" if by_time else ORDERING[format]
        per = f" per {rule.per}" if rule.per else ""
        parts.append(f"newest {rule.keep_latest}{per} by {ordering}")
    return ", ".join(parts) if parts else "every open version"
