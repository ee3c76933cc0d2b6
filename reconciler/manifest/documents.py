"""Each document of a manifest file checked on its own: its structure, then the schema.

A file may hold several documents separated by `---`: empty documents are skipped, and so are
documents of a kind in `SKIPPED_KINDS` (example data for the local CodeArtifact service, see
`reconciler.local.seed`), so that one folder can hold both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from reconciler.manifest.report import Report
from reconciler.manifest.schema import MANIFEST
from reconciler.manifest.yamlsource import (
    TOO_DEEP,
    LineLoader,
    LoadedDocument,
    error_line,
    load_fast,
    yaml_problem,
)
from reconciler.models import (
    API_VERSION,
    KIND,
    Declarable,
    InUseFile,
    Manifest,
    PackageEntry,
    Pin,
    Target,
)
from reconciler.problems import describe, error_path, humanize, render_path

# Kinds of documents that live next to manifests but are read by other commands.
SKIPPED_KINDS = frozenset({"LocalSeed"})

# A document's target, its entries (with their positions in `packages`) that are valid, and its
# document-wide protect_in_use.
Parts = tuple[Target, list[tuple[int, PackageEntry]], list[str | InUseFile]]


def validate_file(
    display: str, raw: bytes, index: int, report: Report
) -> Iterator[tuple[LoadedDocument, Parts | None]]:
    """Every manifest document of the file `display` (the `index`th read), with its valid parts (None
    when not even its target is valid); every problem goes to `report`."""
    text = _decoded(display, raw, index, report)
    if text is None:
        return
    fast = load_fast(text)
    if fast is not None:
        yield from _checked(display, iter(fast), index, report)
        return
    loader: LineLoader | None = None
    position = [1]  # the line of the document being read, for an error that names none
    try:
        # PyYAML checks the whole text for characters YAML forbids as the loader is built.
        loader = LineLoader(text)
        yield from _checked(display, loader.documents(), index, report, position)
    except yaml.YAMLError as exc:
        line = error_line(exc, text)
        report.add(index, line, f"{display}:{line}: invalid YAML: {yaml_problem(exc, text)}")
    except RecursionError:
        # The loader bounds nesting well below Python's stack; this is the net below that bound.
        report.add(index, position[0], f"{display}:{position[0]}: {TOO_DEEP}")
    finally:
        if loader is not None:
            loader.dispose()


def _checked(
    display: str,
    documents: Iterator[LoadedDocument],
    index: int,
    report: Report,
    position: list[int] | None = None,
) -> Iterator[tuple[LoadedDocument, Parts | None]]:
    for document in documents:
        if position is not None:
            position[0] = document.line
        if document.refused:
            report.add(index, document.line, f"{display}:{document.line}: {document.refused}")
            continue
        data = document.data
        if isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"] in SKIPPED_KINDS:
            continue
        for problem_line, problem in document.problems:
            report.add(index, problem_line, f"{display}:{problem_line}: {problem}")
        if data is None:
            if document.problems:  # a document that is only a tag, say: it was meant to say something
                yield document, None
            continue
        yield document, _validate_document(display, document, index, report)


def _decoded(display: str, raw: bytes, index: int, report: Report) -> str | None:
    """The text of a file, or None and a problem at the line of its first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        hint = " (it looks like UTF-16)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        report.add(
            index,
            line,
            f"{display}:{line}: not UTF-8 text{hint}: byte {raw[exc.start]:#04x} at offset {exc.start}; "
            "save the file as UTF-8",
        )
        return None


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
        manifest = Manifest.model_validate(_with_shared_pins(data))
    except ValidationError as exc:
        for error in exc.errors():
            loc = error_path(error)
            if any(loc[: len(broken)] == broken for broken in document.broken):
                continue
            line = document.line_of(loc)
            report.add(index, line, f"{display}:{line}: {render_path(loc)}: {humanize(error, loc, MANIFEST)}")
        return _valid_parts(data)
    return manifest.target, list(enumerate(manifest.packages)), manifest.protect_in_use


# One frozen `Pin` per declarable status, for the pins written `"1.0.0": Published`.
_SHARED_PINS = {status: Pin(status=status) for status in get_args(Declarable)}


def _with_shared_pins(data: dict[Any, Any]) -> dict[Any, Any]:
    """`data` with each pin written as a bare declarable status replaced by the one `Pin` of that
    status. pydantic takes a model instance as it is (models are frozen and never revalidated), so the
    document validates to equal models and fails with the same errors (a pin that is not a valid
    status is left for pydantic to word), but without building and checking 100,000 equal pins one by
    one: an imported manifest is nearly all such pins."""
    packages = data.get("packages")
    if not isinstance(packages, list):
        return data
    shared = []
    for entry in packages:
        versions = entry.get("versions") if isinstance(entry, dict) else None
        if isinstance(versions, dict):
            pins = {
                version: _SHARED_PINS.get(pin, pin) if isinstance(pin, str) else pin
                for version, pin in versions.items()
            }
            shared.append({**entry, "versions": pins})
        else:
            shared.append(entry)
    return {**data, "packages": shared}


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
    return target, entries, []  # the document is refused: its own protect_in_use waits for it
