"""Each document of a manifest file checked on its own: its structure, then the schema.

A file may hold several documents separated by `---`: empty documents are skipped, and so are
documents of a kind in `SKIPPED_KINDS` (example data for the local CodeArtifact service, see
`reconciler.local.seed`), so that one folder can hold both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import ValidationError

from reconciler.manifest.report import Report
from reconciler.manifest.schema import MANIFEST
from reconciler.manifest.yamlsource import TOO_LARGE, LineLoader, LoadedDocument, error_line, yaml_problem
from reconciler.models import API_VERSION, KIND, Manifest, PackageEntry, Target
from reconciler.problems import describe, error_path, humanize, render_path

# Kinds of documents that live next to manifests but are read by other commands.
SKIPPED_KINDS = frozenset({"LocalSeed"})

# A document's target and its entries (with their positions in `packages`) that are valid.
Parts = tuple[Target, list[tuple[int, PackageEntry]]]


def validate_file(
    display: str, raw: bytes, index: int, report: Report
) -> Iterator[tuple[LoadedDocument, Parts | None]]:
    """Every manifest document of the file `display` (the `index`th read), with its valid parts (None
    when not even its target is valid); every problem goes to `report`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add(index, 0, f"{display}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})")
        return
    loader = LineLoader(text)
    try:
        for document in loader.documents():
            if document.too_large:
                report.add(index, document.line, f"{display}:{document.line}: {TOO_LARGE}")
                continue
            data = document.data
            if data is None or (isinstance(data, dict) and data.get("kind") in SKIPPED_KINDS):
                continue
            for line, problem in document.problems:
                report.add(index, line, f"{display}:{line}: {problem}")
            yield document, _validate_document(display, document, index, report)
    except yaml.YAMLError as exc:
        line = error_line(exc, text)
        report.add(index, line, f"{display}:{line}: invalid YAML: {yaml_problem(exc)}")
    finally:
        loader.dispose()


def _validate_document(display: str, document: LoadedDocument, index: int, report: Report) -> Parts | None:
    data = document.data
    if not isinstance(data, dict):
        report.add(
            index,
            document.line,
            f"{display}:{document.line}: a manifest is a mapping with apiVersion, kind, target and packages, "
            f"not {describe(data)}",
        )
        return None
    if not _is_this_kind(display, document, index, report):
        return None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error_path(error)
            if any(loc[: len(broken)] == broken for broken in document.broken):
                continue
            line = document.line_of(loc)
            report.add(index, line, f"{display}:{line}: {render_path(loc)}: {humanize(error, loc, MANIFEST)}")
        return _valid_parts(data)
    return manifest.target, list(enumerate(manifest.packages))


def _is_this_kind(display: str, document: LoadedDocument, index: int, report: Report) -> bool:
    """Structural checks first: a document of another kind or version would only drown in schema errors."""
    structural = False
    for key, expected in (("apiVersion", API_VERSION), ("kind", KIND)):
        if key not in document.data:
            message = "missing required key"
        elif document.data[key] != expected:
            message = f"expected {expected}, got {describe(document.data[key])}"
        else:
            continue
        line = document.line_of((key,))
        report.add(index, line, f"{display}:{line}: {key}: {message}")
        structural = True
    return not structural


def _valid_parts(data: dict[Any, Any]) -> Parts | None:
    # The entries of an invalid document that are valid on their own still take part in the
    # cross-document checks, so that one run reports a duplicate entry along with a typo.
    try:
        target = Target.model_validate(data.get("target"))
    except ValidationError:
        return None
    entries: list[tuple[int, PackageEntry]] = []
    packages = data.get("packages")
    for position, item in enumerate(packages if isinstance(packages, list) else []):
        try:
            entries.append((position, PackageEntry.model_validate(item)))
        except ValidationError:
            continue
    return target, entries
