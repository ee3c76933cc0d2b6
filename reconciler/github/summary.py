"""The job's step summary: Markdown appended to the file `$GITHUB_STEP_SUMMARY` names.

The summary is a courtesy: a file that cannot be written is a warning for the caller to print,
never a failure of the command.
"""

from __future__ import annotations

from pathlib import Path


def append_step_summary(path: Path, markdown: str) -> str | None:
    """Append `markdown` (ending in a newline) to the step summary; the warning to print if it fails."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        return f"could not append to the step summary {path}: {exc.strerror or exc}"
    return None
