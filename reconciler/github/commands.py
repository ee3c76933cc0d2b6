"""Workflow commands: the `::error file=F,line=L,title=T::message` lines a GitHub Actions runner
reads from a step's output (stdout and stderr alike) and shows as annotations on the diff.

Everything in such a line can come from untrusted input (package names, versions, messages,
file names), so every value is escaped as GitHub's own toolkit escapes it: `%`, CR and LF in the
message; those and `:` and `,` in a property. An escaped line has no line break, so nothing in it
can start a command of its own, and no property can end early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning", "notice"]

# `FILE:LINE: message`, the wording of every problem with a place (reconciler.problems), and
# `FILE: message` for a file as a whole (a missing one, say): a file is known by its suffix there.
_AT_LINE = re.compile(r"(?P<file>[^\r\n]+?):(?P<line>[0-9]+): (?P<message>.*)", re.DOTALL)
_AT_FILE = re.compile(r"(?P<file>[^\r\n:]+\.(?:ya?ml|json)): (?P<message>.*)", re.DOTALL | re.IGNORECASE)


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF percent-encoded (the runner decodes them back)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property's value: as a message, and `:` and `,` too, which end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotation: on a file's line when known, else on the run."""

    level: Level
    message: str
    title: str
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        """The workflow command, one line, every value escaped."""
        props: list[tuple[str, str]] = []
        if self.file is not None:
            props.append(("file", self.file))
            if self.line is not None:
                props.append(("line", str(self.line)))
        props.append(("title", self.title))
        rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
        return f"::{self.level} {rendered}::{escape_data(self.message)}"


def locate(text: str, level: Level, title: str, workspace: str = "") -> Annotation:
    """The annotation of a problem or warning worded `FILE:LINE: message` (or `FILE: message`, or
    anything else, which goes on the run). A file under `workspace` is named relative to it, as
    GitHub places annotations by their path in the repository."""
    found = _AT_LINE.fullmatch(text)
    if found is not None:
        return Annotation(
            level, found["message"], title, _relative(found["file"], workspace), int(found["line"])
        )
    found = _AT_FILE.fullmatch(text)
    if found is not None:
        return Annotation(level, found["message"], title, _relative(found["file"], workspace))
    return Annotation(level, text, title)


def _relative(file: str, workspace: str) -> str:
    path = Path(file)
    if workspace and path.is_absolute():
        try:
            return path.relative_to(workspace).as_posix()
        except ValueError:
            return file
    return path.as_posix()


def annotate(texts: Iterable[str], level: Level, title: str, workspace: str = "") -> list[str]:
    """One workflow command per problem or warning, in the order given."""
    return [locate(text, level, title, workspace).command() for text in texts]
