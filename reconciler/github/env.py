"""What a GitHub Actions job tells a step through its environment (the GITHUB_* variables).

Read from a mapping given by the caller (the process environment at the command line, a plain dict
in tests), never from `os.environ` behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER_URL = "https://github.com"
DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True, slots=True)
class GitHubEnv:
    """The job's GITHUB_* values that the tool uses; empty strings for what the job did not set."""

    actions: bool  # GITHUB_ACTIONS=true: running as a step of a GitHub Actions job
    sha: str = ""
    server_url: str = DEFAULT_SERVER_URL
    api_url: str = DEFAULT_API_URL
    repository: str = ""  # owner/name
    run_id: str = ""
    token: str = ""  # GITHUB_TOKEN, only when the workflow passes it to the step
    workspace: str = ""
    step_summary: Path | None = None  # the file the job's step summary is appended to

    @property
    def run_url(self) -> str | None:
        """The link to this run, when the job says which one it is."""
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"


def github_env(environ: Mapping[str, str]) -> GitHubEnv:
    """The GitHub Actions values of `environ` (GitHub Enterprise included: its server and API URLs)."""
    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    return GitHubEnv(
        actions=environ.get("GITHUB_ACTIONS", "") == "true",
        sha=environ.get("GITHUB_SHA", ""),
        server_url=environ.get("GITHUB_SERVER_URL", "") or DEFAULT_SERVER_URL,
        api_url=environ.get("GITHUB_API_URL", "") or DEFAULT_API_URL,
        repository=environ.get("GITHUB_REPOSITORY", ""),
        run_id=environ.get("GITHUB_RUN_ID", ""),
        token=environ.get("GITHUB_TOKEN", ""),
        workspace=environ.get("GITHUB_WORKSPACE", ""),
        step_summary=Path(summary) if summary else None,
    )
