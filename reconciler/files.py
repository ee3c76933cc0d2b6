"""Writing the files the reconciler produces (plans, imported manifests): whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, *, replace: bool = True) -> None:
    """Write `text` to `path` through a temporary file moved into place, so that a reader never sees
    half a file. Creates missing folders. With `replace=False` an existing file is kept and
    `FileExistsError` raised (the temporary file is linked, which never overwrites). Other failures
    raise `OSError` for the caller to word."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
