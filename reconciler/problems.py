"""How validation problems in user files are worded."""

from __future__ import annotations

from pydantic import ValidationError


def problem_lines(exc: ValidationError) -> list[str]:
    """`field.path: message` for each error of a document validated as a whole."""
    return [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()]
