"""The pull-request comment's surroundings: what the CI environment says (`GITHUB_*`), where the
manifests are in the repository, and `--comment-dir`'s files."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.files import unwritable_reason, write_output
from reconciler.github.env import github_env
from reconciler.render.comment import CommentContext

COMMENT_FILE = "comment-{}.md"
_COMMENT_FILE = re.compile(r"comment-([0-9]+)\.md")


def comment_context(
    manifest_files: Sequence[str],
    plan_path: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> CommentContext:
    """The links the environment allows. A manifest file is named in links by its path from the
    repository's root: `GITHUB_WORKSPACE` (the checkout in GitHub Actions), else git's top level;
    files outside it, or with neither, are named as plain text."""
    env = github_env(os.environ if environ is None else environ)
    bare = CommentContext.from_github(env, plan_path=plan_path)
    if not (bare.server_url and bare.repository and bare.sha):
        return bare  # no line can be linked: no need to look for the repository
    here = cwd or Path.cwd()
    root = env.workspace or _git_top_level(here)
    if not root:
        return bare
    top = Path(os.path.realpath(root))
    sources = {}
    for name in manifest_files:
        try:
            sources[name] = Path(os.path.realpath(here / name)).relative_to(top).as_posix()
        except ValueError:
            continue  # outside the repository: no line of it to link to
    return CommentContext.from_github(env, sources, plan_path)


def _git_top_level(cwd: Path) -> str | None:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            check=False,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if found.returncode != 0:
        return None
    return found.stdout.strip() or None


def write_comment_parts(directory: Path, parts: Sequence[str]) -> None:
    """`DIR/comment-1.md` ... one file per part, each written whole; files of an earlier, longer
    comment (`comment-N.md` beyond these) are removed, so a step posting every file posts this one."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for number, part in enumerate(parts, start=1):
            write_output(directory / COMMENT_FILE.format(number), part)
        for stale in directory.iterdir():
            found = _COMMENT_FILE.fullmatch(stale.name)
            if found and int(found.group(1)) > len(parts) and stale.is_file():
                stale.unlink()
    except OSError as exc:
        raise ReconcilerError(
            f"cannot write the comment into {directory}: {unwritable_reason(exc)}",
            "--comment-dir names a folder that must exist or be creatable, and be writable.",
        ) from None
