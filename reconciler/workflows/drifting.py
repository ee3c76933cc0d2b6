"""Drift: read and plan, then report the plan's differences as drift, changing nothing; and accepting
that drift into the manifests (`--accept`), which changes only manifest files."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.accept import AcceptRefused, Pin, edit_file, entry_copy, pins_for
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.client import Backend
from reconciler.drift import DriftItem, DriftReport, detect_drift
from reconciler.errors import ReconcilerError
from reconciler.files import write_atomically
from reconciler.models import DeclaredEntry, Origin
from reconciler.planner import unmatched_entries
from reconciler.scope import repository_of, resolve_entries
from reconciler.text import plural
from reconciler.workflows.gcpause import gc_paused
from reconciler.workflows.planning import read_and_plan


@dataclass(frozen=True)
class DriftRun:
    """A drift report with what it was made from: the entry that decides each package, and every
    target repository the manifests speak about (drifted or not)."""

    report: DriftReport
    deciders: Mapping[PackageRef, DeclaredEntry]
    repositories: tuple[RepositoryRef, ...]


def detect(
    paths: Sequence[Path], backend: Backend, concurrency: int | None, grace_seconds: float | None = None
) -> DriftReport:
    return detect_run(paths, backend, concurrency, grace_seconds).report


def detect_run(
    paths: Sequence[Path], backend: Backend, concurrency: int | None, grace_seconds: float | None = None
) -> DriftRun:
    fresh = read_and_plan(paths, backend, concurrency, grace_seconds)
    fresh.connections.close()
    with gc_paused():  # a drift item per version, as the plan's changes: see gcpause
        report = detect_drift(fresh.plan, fresh.live, grace_seconds)
    # Only the warnings about what the manifests match (entries, and protect_in_use globs that match
    # no file): the plan's others are about changes drift does not make.
    warnings = (*fresh.desired.warnings, *unmatched_entries(fresh.desired, fresh.live))
    report = dataclasses.replace(report, warnings=warnings)
    deciders = {item.ref: item.declared for item in resolve_entries(fresh.desired, fresh.live.package_names)}
    repositories = {repository_of(declared): None for declared in fresh.desired.entries}
    return DriftRun(report, deciders, tuple(sorted(repositories, key=str)))


@dataclass
class Accepted:
    """The pins written, per file, and the drifted versions no pin describes (with why)."""

    written: dict[str, list[Pin]] = field(default_factory=dict)
    left: list[tuple[DriftItem, str]] = field(default_factory=list)


def accept_drift(run: DriftRun, into: Path | None = None) -> Accepted:
    """Write a pin of its live status for every drifted version a pin can describe, into the exact
    entry that decides it; a package a glob decides gets, with `into`, an exact entry in that file,
    copied from the glob's (without `into` it is refused: a pin in a glob entry would apply to every
    package it matches). Nothing is written unless every pin can be."""
    acceptance = pins_for(run.report.items, run.deciders)
    accepted = Accepted(left=acceptance.left)
    texts: dict[str, str] = {}
    per_file: dict[str, list[Pin]] = {}
    problems: list[str] = []
    into_display = str(into) if into is not None else None
    copied: dict[PackageRef, DeclaredEntry] = {}
    for pin in acceptance.pins:
        declared = pin.entry
        if into is None or into_display is None or not declared.entry.is_glob:
            # An exact entry takes its pins wherever it is: a second exact entry would conflict with it.
            per_file.setdefault(declared.origin.path, []).append(pin)
            continue
        if pin.package not in copied:
            copy, problem = _copy_into(into, into_display, declared, pin.package, texts)
            if problem is not None:
                problems.append(problem)
                continue
            copied[pin.package] = copy
        per_file.setdefault(into_display, []).append(dataclasses.replace(pin, entry=copied[pin.package]))
    edited: dict[str, str] = {}
    for display, pins in sorted(per_file.items()):
        text = texts[display] if display in texts else _read(display)
        result, found = edit_file(display, text, pins)
        problems += [problem for problem in found if problem not in problems]
        edited[display] = result
    if problems:
        raise AcceptRefused(problems)
    for display, text in edited.items():
        try:
            write_atomically(Path(os.path.realpath(display)), text)
        except OSError as exc:
            raise ReconcilerError(
                f"cannot write {display}: {exc.strerror or exc}", _written_so_far(accepted, edited)
            ) from None
        accepted.written[display] = per_file[display]
    return accepted


def _written_so_far(accepted: Accepted, edited: Mapping[str, str]) -> str:
    """What a write that failed part-way leaves: each file is written whole or not at all, but the
    files before it are written, and must be said to be."""
    written = [f"{display} ({plural(len(pins), 'pin')})" for display, pins in accepted.written.items()]
    left = [display for display in edited if display not in accepted.written]
    return (
        f"Written before it: {', '.join(written) or 'no file'}. Not written: {', '.join(left)}. "
        "Run it again once every file can be written: the versions pinned are no longer drift."
    )


def _copy_into(
    into: Path, display: str, declared: DeclaredEntry, package: PackageRef, texts: dict[str, str]
) -> tuple[DeclaredEntry, str | None]:
    """Append to the text of `into` a document with an exact entry for `package`, copied from the glob
    entry `declared`; the entry as declared there."""
    if display not in texts:
        texts[display] = _read(display) if into.exists() else ""
    document, problem = entry_copy(declared.origin.path, _read(declared.origin.path), declared, package)
    if problem is not None:
        return declared, problem
    text = texts[display]
    if text and not text.endswith("\n"):
        text += "\n"
    # The entry's first line is the line after the document's `packages:`.
    line = text.count("\n") + document.split("\n").index("packages:") + 2
    texts[display] = text + document
    exact = declared.entry.model_copy(update={"name": package.package})
    return dataclasses.replace(declared, entry=exact, origin=Origin(display, line)), None


def _read(display: str) -> str:
    try:
        with open(display, encoding="utf-8", newline="") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcilerError(f"cannot read {display}: {exc}") from None
