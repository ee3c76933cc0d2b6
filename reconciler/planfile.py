"""Saved plans: one canonical JSON file, versioned, checked on read.

The file is written atomically (a temporary file renamed into place) with sorted keys, so the same
plan always gives the same bytes and a half-written plan can never be applied.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from reconciler.errors import PlanFormatError, ReconcilerError
from reconciler.plan import FORMAT_VERSION, Plan


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json", by_alias=True), indent=2, sort_keys=True) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Write `plan` to `path`; a file that cannot be written is a `ReconcilerError` naming it."""
    text = plan_json(plan)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        # `mkdir(exist_ok=True)` says "File exists" of a file where a folder should be.
        reason = f"{exc.filename} is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
        raise ReconcilerError(
            f"cannot write the plan file {path}: {reason or exc}",
            "Its folder must exist or be creatable, and be writable.",
        ) from None


def read_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFormatError(f"cannot read plan file {path}: {exc.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"{path} is not a plan file", f"not JSON: {exc}") from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanFormatError(f"{path} is not a plan file", "it has no format_version")
    if document["format_version"] != FORMAT_VERSION:
        raise PlanFormatError(
            f"{path} has plan format version {document['format_version']}; this reconciler reads version "
            f"{FORMAT_VERSION}",
            "Make the plan again with this version of the reconciler.",
        )
    try:
        return Plan.model_validate(document)
    except ValidationError as exc:
        problems = "\n".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise PlanFormatError(f"{path} is not a valid plan file", problems) from None
