"""The chaos suite's invariants, judged against the service's own record of committed writes.

Pure functions over: the plan file apply was given (JSON), the service's write record
(`reconciler.local.writelog`), apply's JSON report and its journal. Each returns the list of what
breaks the invariant (empty when it holds), worded for the trial's violation detail. The
definitions are in docs/reliability.md ("Chaos").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KINDS = {
    "CopyPackageVersions": "copy",
    "UpdatePackageVersionsStatus": "update-status",
    "DisposePackageVersions": "dispose",
    "DeletePackageVersions": "delete",
}
OPERATIONS = {kind: operation for operation, kind in KINDS.items()}
# The codes with which apply reports a version someone else changed (the guards refused it, or an
# unanswered try could not be told from another writer's change).
MOVED_CODES = frozenset({"MISMATCHED_STATUS", "MISMATCHED_REVISION", "AMBIGUOUS"})


def package_string(params: dict[str, Any], repository_key: str = "repository") -> str:
    """A package as every view names it (`PackageRef.__str__`): domain/repository/format/[ns/]name."""
    namespace = params.get("namespace")
    name = f"{namespace}/{params['package']}" if namespace else params["package"]
    return f"{params['domain']}/{params[repository_key]}/{params['format']}/{name}"


@dataclass(frozen=True)
class Commit:
    """One version a committed write changed (it is in the write's successfulVersions)."""

    seq: int
    principal: str
    kind: str
    package: str  # the package the version is in (a copy's destination)
    version: str
    status: str


@dataclass(frozen=True)
class Planned:
    kind: str
    package: str
    version: str
    expected: str
    target: str
    after: str
    revision: str
    source: str | None


def planned_versions(plan: dict[str, Any]) -> dict[tuple[str, str, str], Planned]:
    """(kind, package, version) -> what the plan says of it."""
    found: dict[tuple[str, str, str], Planned] = {}
    for action in plan["actions"]:
        package = package_string(action["package"])
        for change in action["versions"]:
            found[(action["kind"], package, change["version"])] = Planned(
                action["kind"],
                package,
                change["version"],
                action["expected_status"],
                action["target_status"],
                change["after"],
                change["prior_revision"],
                action.get("source_repository"),
            )
    return found


def requested(record: dict[str, Any]) -> tuple[str, list[str]]:
    """The package a write is about and the versions it asks for."""
    request = record["request"]
    key = "destinationRepository" if record["operation"] == "CopyPackageVersions" else "repository"
    versions = list(request.get("versions") or []) + list(request.get("versionRevisions") or {})
    return package_string(request, key), list(dict.fromkeys(versions))


def commits(records: Iterable[dict[str, Any]]) -> list[Commit]:
    found: list[Commit] = []
    for record in records:
        kind = KINDS.get(record["operation"])
        if kind is None:
            continue
        package, _ = requested(record)
        for version, info in (record["result"].get("successfulVersions") or {}).items():
            found.append(
                Commit(record["seq"], record["principal"], kind, package, version, info.get("status", ""))
            )
    return found


# --- 1. every write guarded


def unguarded(records: Iterable[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for record in records:
        operation, request = record["operation"], record["request"]
        _, versions = requested(record)
        revisions = set(request.get("versionRevisions") or {})
        where = f"write #{record['seq']} {operation}"
        if operation not in KINDS:
            problems.append(f"{where}: apply makes no such call")
        elif operation == "CopyPackageVersions":
            if request.get("allowOverwrite") is not False:
                problems.append(f"{where}: allowOverwrite is {request.get('allowOverwrite')!r}, not false")
            if revisions != set(versions) or not revisions:
                problems.append(f"{where}: versionRevisions {sorted(revisions)} do not guard {versions}")
        else:
            if not request.get("expectedStatus"):
                problems.append(f"{where}: no expectedStatus")
            if operation == "DeletePackageVersions":
                # DeletePackageVersions takes no versionRevisions: expectedStatus is its one guard.
                if revisions:
                    problems.append(f"{where}: versionRevisions {sorted(revisions)}, which it does not take")
            elif revisions != set(versions) or not revisions:
                problems.append(f"{where}: versionRevisions {sorted(revisions)} do not guard {versions}")
    return problems


# --- 2. no write outside the plan


def outside_plan(records: Iterable[dict[str, Any]], plan: dict[str, Any]) -> list[str]:
    planned = planned_versions(plan)
    problems: list[str] = []
    for record in records:
        kind = KINDS.get(record["operation"])
        package, versions = requested(record)
        request = record["request"]
        for version in versions:
            entry = planned.get((kind or record["operation"], package, version))
            where = f"write #{record['seq']} {record['operation']} {package}@{version}"
            if entry is None:
                problems.append(f"{where}: not in the plan")
            elif kind == "copy" and request.get("sourceRepository") != entry.source:
                problems.append(f"{where}: copied from {request.get('sourceRepository')}, not {entry.source}")
            elif kind != "copy" and request.get("expectedStatus") != entry.expected:
                problems.append(
                    f"{where}: expected {request.get('expectedStatus')}, the plan {entry.expected}"
                )
            elif kind == "update-status" and request.get("targetStatus") != entry.target:
                problems.append(f"{where}: to {request.get('targetStatus')}, the plan says {entry.target}")
            elif kind != "delete" and (request.get("versionRevisions") or {}).get(version) != entry.revision:
                problems.append(f"{where}: guarded by another revision than the plan saw")
    return problems


# --- 3. nothing applied twice


def applied_twice(apply_commits: Iterable[Commit], others: list[Commit]) -> tuple[list[str], int]:
    """Changes apply committed twice, and how many second commits another client's change excuses.

    A second commit of the same change is excused only when, between the two, another client
    committed a change to that version (put it back as the plan saw it: its status, and its
    revision, which a status change keeps): the retry then met exactly the state the plan saw,
    which no guard can tell from one where the first try never ran.
    """
    seen: dict[tuple[str, str, str], Commit] = {}
    problems: list[str] = []
    excused = 0
    for commit in sorted(apply_commits, key=lambda c: c.seq):
        key = (commit.kind, commit.package, commit.version)
        first = seen.get(key)
        seen[key] = commit
        if first is None:
            continue
        between = [o for o in others if (o.package, o.version) == key[1:] and first.seq < o.seq < commit.seq]
        if between:
            excused += 1
        else:
            problems.append(f"{key[0]} {key[1]}@{key[2]} committed again (#{first.seq}, #{commit.seq})")
    return problems, excused


# --- 5. report agrees with the service


def _moved_later(commit: Commit, others: list[Commit]) -> bool:
    """Someone else committed a change to the version after this commit."""
    return any(
        o.package == commit.package and o.version == commit.version and o.seq > commit.seq for o in others
    )


def _excused(commit: Commit, outcome: str, code: str, message: str, others: list[Commit], to: str) -> bool:
    """A committed version reported as other than applied, consistently with the record: said to be
    ambiguous (found as planned after an unanswered try, or at the planned status at another
    revision), copied but arrived with its moved source's status, or moved by someone else after."""
    # Its reason says it cannot be told (code AMBIGUOUS, or a guard's refusal of a retry that may
    # have met this apply's own earlier try, when the versions could not be read again).
    if outcome in ("unchanged", "moved") and code in MOVED_CODES and "ambiguous" in message:
        return True
    if outcome != "moved" or code not in MOVED_CODES:
        return False
    if commit.kind == "copy" and message.startswith("copied") and commit.status != to:
        return True  # the copy went through, arriving with the status its (moved) source had
    return _moved_later(commit, others)


def report_disagreements(
    report: dict[str, Any], apply_commits: list[Commit], others: list[Commit]
) -> list[str]:
    entries = {(v["action"], v["package"], v["version"]): v for v in report["versions"]}
    committed: dict[tuple[str, str, str], Commit] = {}
    for commit in apply_commits:
        committed.setdefault((commit.kind, commit.package, commit.version), commit)
    problems: list[str] = []
    for key, entry in entries.items():
        commit = committed.get(key)
        label = f"{key[0]} {key[1]}@{key[2]} reported {entry['outcome']}"
        if entry["outcome"] == "applied":
            if commit is None:
                problems.append(f"{label}, but apply committed no such change")
            elif commit.status != entry["to"]:
                problems.append(f"{label} to {entry['to']}, but apply's commit made it {commit.status}")
        elif commit is not None and not _excused(
            commit, entry["outcome"], entry["code"] or "", entry["message"] or "", others, entry["to"]
        ):
            problems.append(
                f"{label} ({entry['code']}: {entry['message']}), but apply committed it (#{commit.seq})"
            )
    for key, commit in committed.items():
        if key not in entries:
            problems.append(
                f"{key[0]} {key[1]}@{key[2]} committed by apply (#{commit.seq}) is not in the report"
            )
    return problems


# --- 6. journal agrees with the service


def journal_disagreements(
    journal: list[dict[str, Any]], apply_commits: list[Commit], others: list[Commit]
) -> list[str]:
    """What the journal says of each version, by its last word on it (a version SKIPPED in one
    batch is tried again in another): `done` (in a call's `successful`), ambiguous (`as_planned`,
    `ambiguous`), or not done (a failure code, or verified `untouched`). Every version said done
    anywhere must have been committed by apply; none apply committed may be left at not done,
    unless someone else changed it after apply did (the journal then says what it is now)."""
    done, last = _journal_words(journal)
    committed = {(c.kind, c.package, c.version): c for c in reversed(apply_commits)}
    problems = [
        f"journal says {k[0]} {k[1]}@{k[2]} done, but apply committed no such change"
        for k in sorted(done - committed.keys())
    ]
    for key, commit in committed.items():
        said = last.get(key, "nothing")
        if said in ("done", "ambiguous", "nothing"):
            continue  # nothing: killed before any answer, which the journal leaves open
        moved = said.startswith(("MISMATCHED_STATUS", "MISMATCHED_REVISION", "untouched"))
        if moved and _moved_later(commit, others):
            continue  # it says what the version is now, after someone else changed it again
        problems.append(
            f"journal says {key[0]} {key[1]}@{key[2]} not done ({said}), but apply committed it (#{commit.seq})"
        )
    return problems


def _journal_words(
    journal: list[dict[str, Any]],
) -> tuple[set[tuple[str, str, str]], dict[tuple[str, str, str], str]]:
    """Every (kind, package, version) a call line says done, and the journal's last word on each."""
    done: set[tuple[str, str, str]] = set()
    last: dict[tuple[str, str, str], str] = {}
    for line in journal:
        kind = KINDS.get(line.get("operation", ""))
        if kind is None:
            continue
        package = line["package"]
        if line["event"] == "verify":
            for version, verdict in (line.get("verdicts") or {}).items():
                if verdict == "untouched":
                    last[(kind, package, version)] = "untouched: verified as the plan saw it"
        if line["event"] != "call":
            continue
        for version, (code, message) in (line.get("failed") or {}).items():
            if code != "SKIPPED":
                last[(kind, package, version)] = "ambiguous" if code == "AMBIGUOUS" else f"{code}: {message}"
        for version in [*line.get("as_planned", []), *line.get("ambiguous", [])]:
            last[(kind, package, version)] = "ambiguous"
        for version in line.get("successful") or {}:
            done.add((kind, package, version))
            last[(kind, package, version)] = "done"
    return done, last
