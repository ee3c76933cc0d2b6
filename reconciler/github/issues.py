"""One GitHub issue per drifted target repository, kept by `reconciler drift --github-issue`.

An issue is found by a hidden marker in its body, `<!-- reconciler:drift-issue target=T -->` (T is
`domain/owner/repository`), among the issues that carry the label `reconciler-drift`: the REST
API's issue listing answers at once, where the search API is eventually consistent and could let
two runs open two issues. A second hidden line holds a digest of the drifted versions, so the issue
is only edited when the drift itself changes (not the time it was checked).

The lifecycle: drift and no issue -> open one; drift and a closed issue -> reopen it with the new
report; drift that changed -> update the body in place; no drift and an open issue -> comment and
close it. Errors are `GitHubError`/`HttpFailure` values for the caller to warn about: a
notification problem never changes drift's exit code.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.github.env import GitHubEnv
from reconciler.httpcall import HttpClient, HttpResponse

LABEL = "reconciler-drift"
LABEL_COLOR = "d93f0b"
# The REST API version these calls are written against (GitHub's documented header).
API_VERSION = "2022-11-28"

# Issues listed at most (100 a page): a repository with more drift issues than this has a bigger problem.
MAX_PAGES = 10
_MARKER = re.compile(r"<!-- reconciler:drift-issue target=(\S+) -->")
_DIGEST = re.compile(r"<!-- reconciler:drift-digest (\S+) -->")


class GitHubError(Exception):
    """The API answered, but not with what the call needed."""


def marker(target: str) -> str:
    return f"<!-- reconciler:drift-issue target={target} -->"


@dataclass(frozen=True)
class GitHubSettings:
    """Where the API is and who calls it: GITHUB_API_URL (GitHub Enterprise sets it), GITHUB_REPOSITORY
    (owner/name, where the issues go) and GITHUB_TOKEN."""

    api_url: str
    repository: str
    token: str

    @classmethod
    def from_env(cls, env: GitHubEnv) -> GitHubSettings | list[str]:
        """The settings, or the names of the variables that are missing."""
        missing = [
            name
            for name, value in (("GITHUB_TOKEN", env.token), ("GITHUB_REPOSITORY", env.repository))
            if not value
        ]
        if missing:
            return missing
        return cls(env.api_url, env.repository, env.token)


class IssueAction(StrEnum):
    OPENED = "opened"
    REOPENED = "reopened"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CLOSED = "closed"
    NONE = "none"  # in sync, and no open issue to close


@dataclass(frozen=True)
class IssueOutcome:
    target: str
    action: IssueAction
    number: int | None = None

    def __str__(self) -> str:
        if self.action is IssueAction.NONE:
            return f"{self.target}: in sync, no open drift issue"
        return f"{self.target}: issue #{self.number} {self.action}"


@dataclass(frozen=True)
class DriftState:
    """What the issue of one target should say: `body` (the drift Markdown) and `digest` (of the drifted
    versions) when there is drift, None for both when the target is in sync."""

    target: str
    title: str
    body: str | None
    digest: str | None
    closing_comment: str = ""


class DriftIssues:
    """The drift issues of one GitHub repository, listed once per run."""

    def __init__(self, settings: GitHubSettings, http: HttpClient) -> None:
        self.settings = settings
        self.http = http
        self._issues: dict[str, dict[str, Any]] | None = None
        self._label_made = False

    def sync(self, state: DriftState) -> IssueOutcome:
        issue = self._existing().get(state.target)
        if state.body is None:
            if issue is None or issue["state"] != "open":
                return IssueOutcome(state.target, IssueAction.NONE, issue["number"] if issue else None)
            number = issue["number"]
            self._call("POST", f"issues/{number}/comments", {"body": state.closing_comment})
            self._call("PATCH", f"issues/{number}", {"state": "closed", "state_reason": "completed"})
            return IssueOutcome(state.target, IssueAction.CLOSED, number)
        body = f"{marker(state.target)}\n<!-- reconciler:drift-digest {state.digest} -->\n\n{state.body}"
        if issue is None:
            self._ensure_label()
            made = self._call("POST", "issues", {"title": state.title, "body": body, "labels": [LABEL]})
            return IssueOutcome(state.target, IssueAction.OPENED, int(made["number"]))
        number = issue["number"]
        if issue["state"] != "open":
            self._call("PATCH", f"issues/{number}", {"state": "open", "title": state.title, "body": body})
            return IssueOutcome(state.target, IssueAction.REOPENED, number)
        found = _DIGEST.search(issue.get("body") or "")
        if found is not None and found.group(1) == state.digest and issue.get("title") == state.title:
            return IssueOutcome(state.target, IssueAction.UNCHANGED, number)
        self._call("PATCH", f"issues/{number}", {"title": state.title, "body": body})
        return IssueOutcome(state.target, IssueAction.UPDATED, number)

    def _existing(self) -> dict[str, dict[str, Any]]:
        """Every drift issue of the repository by target, open or closed; of two for one target, the
        open one, else the newest."""
        if self._issues is not None:
            return self._issues
        found: dict[str, dict[str, Any]] = {}
        query = urllib.parse.urlencode({"labels": LABEL, "state": "all", "per_page": 100})
        url: str | None = f"{self._base()}/issues?{query}"
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._send("GET", url)
            for issue in response.json() or []:
                if not isinstance(issue, dict) or "pull_request" in issue:
                    continue
                match = _MARKER.search(issue.get("body") or "")
                if match is None:
                    continue
                target = match.group(1)
                other = found.get(target)
                if other is None or _preferred(issue, other):
                    found[target] = issue
            url = _next_page(response.headers.get("link", ""))
        self._issues = found
        return found

    def _ensure_label(self) -> None:
        if self._label_made:
            return
        self._send(
            "POST",
            f"{self._base()}/labels",
            {"name": LABEL, "color": LABEL_COLOR, "description": "Drift found by reconciler drift"},
            accept=(201, 422),  # 422: the label is there already
        )
        self._label_made = True

    def _call(self, method: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self._send(method, f"{self._base()}/{path}", payload).json()
        if not isinstance(answer, dict):
            raise GitHubError(f"{method} {path}: the answer is not a JSON object")
        return answer

    def _send(
        self, method: str, url: str, payload: Any = None, accept: tuple[int, ...] = (200, 201)
    ) -> HttpResponse:
        response = self.http.request(method, url, self._headers(), payload)
        if response.status not in accept:
            raise GitHubError(f"{method} {_path(url)}: HTTP {response.status}{_message(response)}")
        return response

    def _base(self) -> str:
        return f"{self.settings.api_url}/repos/{self.settings.repository}"

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.settings.token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "reconciler",
        }


def _preferred(issue: dict[str, Any], other: dict[str, Any]) -> bool:
    return (issue.get("state") == "open", int(issue.get("number", 0))) > (
        other.get("state") == "open",
        int(other.get("number", 0)),
    )


_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _next_page(link: str) -> str | None:
    found = _LINK_NEXT.search(link)
    return found.group(1) if found else None


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _message(response: HttpResponse) -> str:
    """GitHub's own words about a refusal (`Resource not accessible by integration`), when it gave any."""
    try:
        data = response.json()
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return f": {message}" if isinstance(message, str) and message else ""
