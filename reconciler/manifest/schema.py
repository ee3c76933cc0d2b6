"""The manifest schema as tools and people meet it: the JSON Schema that editors and CI linters
check documents against, and the words problems use for the manifest's own keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from reconciler.models import API_VERSION, PATTERN_HINTS, Manifest, PackageEntry, Pin, Rule, Target
from reconciler.problems import KeyPath, Vocabulary

SCHEMA_ID = "urn:reconciler:manifest:v1"

# Keys that take one value or a list of them: "a list" would hide the first, commoner form.
_ONE_OR_MANY = {"match": "a glob or a list of globs", "protect": "a range or a list of ranges"}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one manifest document, for editors (yaml-language-server) and CI linters."""
    schema = Manifest.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"reconciler manifest ({API_VERSION})",
        "description": "The lifecycle of AWS CodeArtifact package versions: one document per target repository.",
        **schema,
    }


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    shape = tuple("#" if isinstance(part, int) else part for part in path)
    if len(shape) == 4 and shape[:3] == ("packages", "#", "versions"):
        return Pin
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): Manifest,
        ("target",): Target,
        ("packages", "#"): PackageEntry,
        ("packages", "#", "rules", "#"): Rule,
    }
    return models.get(shape)


def _expected_at(kind: str, loc: KeyPath) -> str | None:
    if kind == "model_type" and len(loc) >= 2 and loc[-2] == "versions":
        return "a status (Published, Unlisted, Archived, Disposed, Deleted) or a mapping with status"
    if kind == "list_type" and loc and loc[-1] in _ONE_OR_MANY:
        return _ONE_OR_MANY[str(loc[-1])]
    if kind == "list_type" and loc and loc[-1] == "current":
        return "a status or a list of statuses"
    return None


MANIFEST = Vocabulary(model_at=_model_at, expected_at=_expected_at, pattern_hints=PATTERN_HINTS)
"""How problems word the keys of a manifest."""
