"""Writing the files the reconciler produces (plans, imported manifests): whole or not at all, from
one text or streamed; and reading the files a user names, bounded.

Only a regular file (or a new one) is written through a temporary file renamed into place: a
rename replaces whatever is at the path, so a device, a FIFO or a socket there would be replaced by
a file (run as root, `-o /dev/null` would replace the system's /dev/null). Those are written
directly instead, and a symbolic link is followed: its target is what gets written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

# The most read from one file a user names (a manifest, a lockfile, a plan file). Far above any the
# reconciler writes (a plan of a million versions is about 230 MB, an imported manifest of as many
# 26 MB), it stops `validate /dev/zero` or a runaway file from reading until memory runs out.
INPUT_LIMIT = 1 << 30
_CHUNK = 1 << 20


class InputTooLarge(OSError):
    """A file a user named holds more than `INPUT_LIMIT` bytes (or is a device without end)."""


def resolved(path: Path) -> Path:
    """`path.resolve()`, which Python raises RuntimeError for on a symbolic link loop: such a path is
    kept absolute as it is, for reading it to fail with its own reason (too many levels of links)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def read_input(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path`, at most `limit` of them; `InputTooLarge` (an OSError, whose `strerror`
    says why) past that. A regular file of a size within the limit is read whole at once; anything
    else (a device, a FIFO, /dev/stdin) a chunk at a time, counted as it comes."""
    limit = INPUT_LIMIT if limit is None else limit
    with open(path, "rb") as stream:
        status = os.fstat(stream.fileno())
        if stat.S_ISREG(status.st_mode):
            # At most one byte past the limit: a file growing after fstat is still bounded.
            data = stream.read(limit + 1) if status.st_size <= limit else b""
            size = max(len(data), status.st_size)
        else:
            chunks: list[bytes] = []
            size = 0
            while size <= limit and (chunk := stream.read(min(_CHUNK, limit + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks) if size <= limit else b""
    if size > limit:
        raise InputTooLarge(
            errno.EFBIG, f"larger than {limit:,} bytes, the most read from one file", str(path)
        )
    return data


def same_file(one: str | Path, other: str | Path) -> bool:
    """Whether two paths a user gave are one file (through links and `..` too)."""
    return os.path.realpath(one) == os.path.realpath(other)


def input_named(output: str | Path | None, inputs: Iterable[str | Path]) -> str | Path | None:
    """The first of `inputs` (files a run reads) that the output file `output` is: written or
    appended to, it would corrupt what the run reads. None for no output, or `-` (a standard stream)."""
    if output is None or str(output) == "-":
        return None
    return next((name for name in inputs if same_file(output, name)), None)


def unwritable_reason(exc: OSError) -> str:
    """Why a file or folder could not be written, in words: `mkdir(exist_ok=True)` says "File
    exists" of a file (or a device) where a folder should be, which is that it is not a directory."""
    if isinstance(exc, FileExistsError):
        return f"{exc.filename} is not a directory"
    return exc.strerror or str(exc)


def write_output(path: Path, text: str, *, replace: bool = True) -> None:
    """Write `text` to `path` as users expect of an output file: see `output_stream`."""
    with output_stream(path, replace=replace) as stream:
        stream.write(text)


@contextlib.contextmanager
def output_stream(path: Path, *, replace: bool = True) -> Iterator[TextIO]:
    """A text stream whose writes become `path` when the block ends without an exception.

    A regular or new file (after following symbolic links) is written atomically by
    `atomic_stream`: a block that fails or is interrupted leaves nothing. Anything else that is there
    (a character device such as /dev/null or /dev/stdout, a FIFO) is opened and written directly, and
    never needs `replace`: nothing is overwritten. Failures raise `OSError` (`FileExistsError` for a
    regular file kept by `replace=False`) for the caller to word.
    """
    if is_special(path):
        with open(path, "w", encoding="utf-8") as stream:
            yield stream
        return
    try:
        if stat.S_ISDIR(os.stat(path).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    except FileNotFoundError:
        pass  # a new file, or a link to one
    with atomic_stream(Path(os.path.realpath(path)), replace=replace) as stream:
        yield stream


def is_special(path: Path) -> bool:
    """Whether `path` (links followed) is there and is neither a regular file nor a folder: what
    `write_output` writes into directly rather than replacing. (Following a link with `os.stat`,
    not by resolving it: /dev/stdout leads to /proc/self/fd/1, whose target is no path.)"""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_atomically(path: Path, text: str, *, replace: bool = True) -> None:
    """Write `text` to `path` through a temporary file moved into place: see `atomic_stream`.
    Callers with a path a user gave use `write_output`."""
    with atomic_stream(path, replace=replace) as stream:
        stream.write(text)


@contextlib.contextmanager
def atomic_stream(path: Path, *, replace: bool = True) -> Iterator[TextIO]:
    """A stream into a temporary file next to `path`, moved into place when the block ends without an
    exception, so that a reader never sees half a file, and a block that fails or is interrupted
    leaves nothing. Creates missing folders. With `replace=False` an existing file is kept and
    `FileExistsError` raised (the temporary file is linked, which never overwrites). Other failures
    raise `OSError` for the caller to word."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            yield stream
        # mkstemp makes the file private (0600); the result keeps the mode of the file it replaces,
        # or gets the one any new file would (0666 less the umask).
        os.chmod(temporary, mode)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
