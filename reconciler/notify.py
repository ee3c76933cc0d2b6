"""`--notify URL`: a short JSON summary posted to chat webhooks when drift or apply needs someone.

The payload carries a Slack-compatible `text` (Slack's incoming webhooks, and the many services that
accept their format, show it as the message) and the same facts as structured fields for anything
else: command, outcome, exit status, targets, counts, the plan digest for apply, and the run's link
when GitHub Actions provides one.

A webhook URL is a secret (it is the only credential a chat webhook has): it is never printed,
logged or put in a message; a failure is named by its position, "webhook 1 of 2 failed: HTTP 500".
Posting never changes a command's exit code: failures come back as warnings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.httpcall import HttpClient, HttpFailure

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class RunSummary:
    """What happened, for people in a chat channel. `outcome` is drift's `drift` or apply's result
    (`incomplete`, `refused`, `failed`, `interrupted`)."""

    command: str
    outcome: str
    exit_status: int
    headline: str
    targets: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    digest: str | None = None
    run_url: str | None = None

    def text(self) -> str:
        where = f" in {', '.join(self.targets)}" if self.targets else ""
        text = f"reconciler {self.command}{where}: {self.headline} (exit {self.exit_status})"
        return f"{text}\nRun: {self.run_url}" if self.run_url else text

    def payload(self) -> dict[str, Any]:
        return {
            "text": self.text(),
            "version": PAYLOAD_VERSION,
            "command": self.command,
            "outcome": self.outcome,
            "exit_status": self.exit_status,
            "targets": list(self.targets),
            "counts": dict(self.counts),
            "digest": self.digest,
            "run_url": self.run_url,
        }


def post_summary(urls: Sequence[str], summary: RunSummary, http: HttpClient | None = None) -> list[str]:
    """Post `summary` to every webhook; the warnings of those that failed, which never name a URL."""
    client = http or HttpClient(timeout=10.0, attempts=3, max_wait=30.0)
    payload = summary.payload()
    warnings = []
    for index, url in enumerate(urls, start=1):
        position = f"webhook {index} of {len(urls)}"
        try:
            response = client.request("POST", url, {"User-Agent": "reconciler"}, payload)
        except HttpFailure as failure:
            warnings.append(f"{position} failed: {_scrubbed(str(failure), url)}")
            continue
        except ValueError:
            warnings.append(f"{position} failed: not an http(s) URL")
            continue
        if not 200 <= response.status < 300:
            warnings.append(f"{position} failed: HTTP {response.status}")
    return warnings


def _scrubbed(message: str, url: str) -> str:
    """A belt to the braces of `httpcall`, whose messages hold no URL: never let one through."""
    return message.replace(url, "<webhook URL>")
