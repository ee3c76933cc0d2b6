"""What a GitHub Actions job tells a step through its environment (the GITHUB_* variables).

Read from a mapping given by the caller (the process environment at the command line, a plain dict
in tests), never from `os.environ` behind the caller's back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_URL = "https://api.github.com"

# The shapes the values that go into links must have: one of another shape (a mistake, or a value
# crafted to inject Markdown) is read as unset rather than put into a link.
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~-]+)*/?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{7,64}")
_RUN_ID = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True, slots=True)
class GitHubEnv:
    """The job's GITHUB_* values that the tool uses; empty strings for what the job did not set."""

    actions: bool  # GITHUB_ACTIONS=true: running as a step of a GitHub Actions job
    sha: str = ""
    server_url: str = ""
    api_url: str = DEFAULT_API_URL
    repository: str = ""  # owner/name
    run_id: str = ""
    token: str = ""  # GITHUB_TOKEN, only when the workflow passes it to the step
    workspace: str = ""
    step_summary: Path | None = None  # the file the job's step summary is appended to

    @property
    def run_url(self) -> str | None:
        """The link to this run, when the job says which one it is."""
        if not (self.server_url and self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"


def github_env(environ: Mapping[str, str]) -> GitHubEnv:
    """The GitHub Actions values of `environ` (GitHub Enterprise included: its server and API URLs);
    a value of an unexpected shape counts as unset."""

    def valid(name: str, shape: re.Pattern[str]) -> str:
        value = environ.get(name, "").strip()
        return value if shape.fullmatch(value) else ""

    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    return GitHubEnv(
        actions=environ.get("GITHUB_ACTIONS", "") == "true",
        sha=valid("GITHUB_SHA", _SHA),
        # No default: a link is only made to the server the job names (GitHub Enterprise has its own).
        server_url=valid("GITHUB_SERVER_URL", _URL).rstrip("/"),
        api_url=(valid("GITHUB_API_URL", _URL) or DEFAULT_API_URL).rstrip("/"),
        repository=valid("GITHUB_REPOSITORY", _REPOSITORY),
        run_id=valid("GITHUB_RUN_ID", _RUN_ID),
        token=environ.get("GITHUB_TOKEN", ""),
        workspace=environ.get("GITHUB_WORKSPACE", ""),
        step_summary=Path(summary) if summary else None,
    )
