"""Read a set of manifests into the desired state: discover, read, check each document, check across."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from reconciler.errors import ManifestError
from reconciler.manifest.crossfile import Documents, declared_entries
from reconciler.manifest.discovery import discover, read
from reconciler.manifest.documents import validate_file
from reconciler.manifest.inuse import InUseReader
from reconciler.manifest.report import Report
from reconciler.models import KIND, DesiredState, Origin


def load_manifests(paths: Sequence[Path]) -> DesiredState:
    """Read, validate and cross-check every manifest under `paths`; raise `ManifestError` with all
    problems, in file and line order, if there is any."""
    report = Report()
    sources = discover(paths, report)
    digest = hashlib.sha256()
    files: list[str] = []
    documents: Documents = []
    starts: list[Origin] = []
    for index, source in enumerate(sources):
        raw = read(source, index, report)
        if raw is None:
            continue
        found = list(validate_file(source.display, raw, index, report))
        if not found:
            continue  # no manifest in it (example data for the local service, say): not part of the digest
        digest.update(b"%s\0%d\0" % (source.relative.encode(), len(raw)))
        digest.update(raw)
        files.append(source.display)
        for document, parts in found:
            starts.append(Origin(source.display, document.line))
            if parts is not None:
                documents.append((source.display, document, parts))
    file_index = {source.display: i for i, source in enumerate(sources)}
    in_use = InUseReader(report, file_index, {source.display: source.relative for source in sources})
    entries = declared_entries(documents, file_index, report, in_use)
    for name, raw in sorted(in_use.read.items()):
        digest.update(b"protect_in_use\0%s\0%d\0" % (name.encode(), len(raw)))
        digest.update(raw)
    if not starts and not report.problems:
        names = ", ".join(str(path) for path in paths) or "no path"
        report.add(-1, 0, f"no manifest found in {names} (*.yaml and *.yml files of kind {KIND})")
    if report.problems:
        raise ManifestError(report.sorted())
    return DesiredState(
        entries=tuple(entries),
        digest=digest.hexdigest(),
        files=tuple(files),
        manifests=tuple(starts),
        warnings=tuple(in_use.warnings),
    )
