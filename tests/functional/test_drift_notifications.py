"""`drift --github-issue` and `--notify URL` (drift and apply) against a fake GitHub and fake webhooks
on 127.0.0.1, with the local CodeArtifact service in process."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.httpcall import HttpClient
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.workflows import notifying
from tests.functional.fakegithub import REPOSITORY, FakeGitHub, serving

WEB_SDK = {"domain": "acme", "format": "npm", "namespace": "acme", "package": "web-sdk"}
TARGET = "acme/111122223333/prod"
MARKER = f"<!-- reconciler:drift-issue target={TARGET} -->"
NOW = 1_000_000.0


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken-for-tests")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
        monkeypatch.setenv("GITHUB_RUN_ID", "42")
        yield fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the notification client asks for, made at once: no test waits for a clock."""
    waited: list[float] = []
    monkeypatch.setattr(
        notifying, "http_client", lambda: HttpClient(timeout=5.0, sleep=waited.append, clock=lambda: NOW)
    )
    return waited


@pytest.fixture
def writer(db: Path) -> Iterator[Any]:
    with LocalCodeArtifact(db) as service:
        yield local_client(service)


def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\n"
        "target: {domain: acme, repository: prod}\npackages:\n"
        "  - format: npm\n    namespace: acme\n    name: web-sdk\n    versions:\n"
        '      "2.3.12": Published\n      "1.1.0": Published\n'
    )
    return path


def set_status(writer: Any, version: str, status: str) -> None:
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=[version], targetStatus=status
    )


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def test_the_drift_issue_is_opened_kept_updated_closed_and_reopened(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    path = manifest(tmp_path)
    drift = ("drift", path, "--local", db, "--github-issue")

    set_status(writer, "2.3.12", "Unlisted")
    opened = run(*drift)
    assert opened.exit_code == 2, opened.output
    assert "GitHub issue: acme/111122223333/prod: issue #1 opened" in opened.stderr
    issue = github.issues[0]
    assert issue["state"] == "open" and issue["labels"] == [{"name": "reconciler-drift"}]
    assert issue["body"].startswith(MARKER + "\n")
    assert "2.3.12" in issue["body"] and "1.1.0" not in issue["body"]
    assert "https://github.example/acme/infra/actions/runs/42" in issue["body"]
    assert github.labels == {"reconciler-drift"}
    listing = github.calls("GET")[0]
    assert listing.query == {"labels": ["reconciler-drift"], "state": ["all"], "per_page": ["100"]}
    for request in github.requests:
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["authorization"] == "Bearer t0ken-for-tests"

    again = run(*drift)
    assert again.exit_code == 2
    assert "issue #1 unchanged" in again.stderr
    assert github.calls("PATCH") == []

    set_status(writer, "1.1.0", "Archived")
    updated = run(*drift)
    assert updated.exit_code == 2
    assert "issue #1 updated" in updated.stderr
    assert "1.1.0" in github.issues[0]["body"] and len(github.issues) == 1

    set_status(writer, "2.3.12", "Published")
    set_status(writer, "1.1.0", "Published")
    closed = run(*drift)
    assert closed.exit_code == 0, closed.output
    assert "issue #1 closed" in closed.stderr
    assert github.issues[0]["state"] == "closed"
    assert github.comments[0][0] == 1 and github.comments[0][1].startswith("Drift is gone")

    quiet = run(*drift)
    assert quiet.exit_code == 0
    assert "in sync, no open drift issue" in quiet.stderr
    assert len(github.comments) == 1

    set_status(writer, "2.3.12", "Archived")
    reopened = run(*drift)
    assert reopened.exit_code == 2
    assert "issue #1 reopened" in reopened.stderr
    assert github.issues[0]["state"] == "open" and "Archived" in github.issues[0]["body"]
    assert len(github.issues) == 1 and sleeps == []


def test_the_issue_is_found_by_its_marker_among_labelled_issues_and_pull_requests(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.page_size = 1
    github.add_issue("someone else's", "no marker here", labels=("reconciler-drift",))
    github.add_issue(
        "another target",
        "<!-- reconciler:drift-issue target=acme/1/staging -->",
        labels=("reconciler-drift",),
    )
    github.issues.append(
        {
            "number": 3,
            "title": "a PR",
            "body": MARKER,
            "state": "open",
            "pull_request": {},
            "labels": [{"name": "reconciler-drift"}],
        }
    )
    github.add_issue("ours", f"{MARKER}\nold", state="closed", labels=("reconciler-drift",))
    set_status(writer, "2.3.12", "Unlisted")

    result = run("drift", manifest(tmp_path), "--local", db, "--github-issue")

    assert result.exit_code == 2, result.output
    assert "issue #4 reopened" in result.stderr
    assert len(github.calls("GET")) == 4  # one page per issue, following the Link header
    assert [issue["state"] for issue in github.issues] == ["open", "open", "open", "open"]
    assert github.issues[1]["body"].endswith("staging -->")


def test_rate_limits_are_waited_out_as_the_server_asks(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.canned = [
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}),
        (429, {"retry-after": "7"}),
    ]
    set_status(writer, "2.3.12", "Unlisted")

    result = run("drift", manifest(tmp_path), "--local", db, "--github-issue")

    assert result.exit_code == 2, result.output
    assert sleeps == [31.0, 7.0]
    assert "issue #1 opened" in result.stderr
    assert [r.method for r in github.requests[:3]] == ["GET", "GET", "GET"]


def test_a_rate_limit_longer_than_the_bound_is_a_warning_and_changes_no_exit_code(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.canned = [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)})]
    set_status(writer, "2.3.12", "Unlisted")

    result = run("drift", manifest(tmp_path), "--local", db, "--github-issue")

    assert result.exit_code == 2
    assert (
        "Warning: drift issue for acme/111122223333/prod not updated: HTTP 403 (rate limited)"
        in result.stderr
    )
    assert sleeps == [] and github.issues == []


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_github_down_is_a_warning_and_the_exit_code_is_drifts(
    tmp_path: Path, db: Path, writer: Any, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_API_URL", _closed_port())
    path = manifest(tmp_path)

    in_sync = run("drift", path, "--local", db, "--github-issue")
    set_status(writer, "2.3.12", "Unlisted")
    drifted = run("drift", path, "--local", db, "--github-issue")

    assert (in_sync.exit_code, drifted.exit_code) == (0, 2)
    for result in (in_sync, drifted):
        assert "Warning: drift issue for acme/111122223333/prod not updated: cannot connect" in result.stderr
        assert "after 3 attempts" in result.stderr
    assert sleeps == [1.0, 2.0, 1.0, 2.0]  # bounded: three attempts each run


def test_github_issue_without_a_token_is_a_usage_error_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)

    result = run("drift", manifest(tmp_path), "--local", tmp_path / "no.db", "--github-issue")

    assert result.exit_code == 1
    assert "--github-issue needs GITHUB_TOKEN in the environment" in result.stderr
    assert not (tmp_path / "no.db").exists()


def test_notify_posts_a_summary_of_drift_and_never_shows_the_url(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    good, bad = f"{github.url}/hooks/s3cret-good", f"{github.url}/hooks/s3cret-bad"
    github.webhook_status["/hooks/s3cret-bad"] = 500
    path = manifest(tmp_path)

    in_sync = run("drift", path, "--local", db, "--notify", good, "--notify", bad)
    assert in_sync.exit_code == 0 and github.webhooks == {}

    set_status(writer, "2.3.12", "Unlisted")
    result = run("drift", path, "--local", db, "--notify", good, "--notify", bad)

    assert result.exit_code == 2
    (payload,) = github.webhooks["/hooks/s3cret-good"]
    assert payload["command"] == "drift" and payload["outcome"] == "drift"
    assert payload["exit_status"] == 2
    assert payload["targets"] == [TARGET]
    assert payload["counts"]["wrong_status"] == 1
    assert payload["run_url"] == "https://github.example/acme/infra/actions/runs/42"
    assert payload["text"].startswith(f"reconciler drift in {TARGET}: 1 version(s) differ")
    assert len(github.webhooks["/hooks/s3cret-bad"]) == 3  # retried, bounded
    assert "Warning: webhook 2 of 2 failed: HTTP 500 after 3 attempts" in result.stderr
    assert "s3cret" not in result.output and "s3cret" not in result.stderr


def test_notify_with_a_webhook_down_warns_and_keeps_the_exit_code(
    tmp_path: Path, db: Path, writer: Any, sleeps: list[float]
) -> None:
    set_status(writer, "2.3.12", "Unlisted")
    url = f"{_closed_port()}/hooks/s3cret"

    result = run("drift", manifest(tmp_path), "--local", db, "--notify", url)

    assert result.exit_code == 2
    assert "Warning: webhook 1 of 1 failed: cannot connect" in result.stderr
    assert "s3cret" not in result.output and "s3cret" not in result.stderr


def test_a_notify_url_that_is_not_http_is_refused_without_showing_it(tmp_path: Path) -> None:
    result = run("drift", manifest(tmp_path), "--notify", "file:///etc/s3cret")

    assert result.exit_code == 1
    assert "webhook 1 of 1 is not an http(s) URL" in result.stderr
    assert "s3cret" not in result.stderr


def test_notify_tells_of_a_refused_apply_with_its_outcome(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    set_status(writer, "2.3.12", "Unlisted")
    url = f"{github.url}/hooks/s3cret"

    result = run("apply", manifest(tmp_path), "--local", db, "--notify", url)

    assert result.exit_code == 1
    (payload,) = github.webhooks["/hooks/s3cret"]
    assert (payload["command"], payload["outcome"], payload["exit_status"]) == ("apply", "refused", 1)
    assert "refusing to apply without confirmation" in payload["text"]
    assert "s3cret" not in result.output and "s3cret" not in result.stderr


def test_notify_is_silent_when_apply_applies_everything(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    set_status(writer, "2.3.12", "Unlisted")
    url = f"{github.url}/hooks/s3cret"

    result = run("apply", manifest(tmp_path), "--local", db, "--auto-approve", "--notify", url)

    assert result.exit_code == 0, result.output
    assert github.webhooks == {} and github.requests == []


def test_notify_tells_of_a_drift_run_that_failed(
    tmp_path: Path, db: Path, github: FakeGitHub, sleeps: list[float]
) -> None:
    path = manifest(tmp_path)
    path.write_text(path.read_text().replace("domain: acme", "domain: nowhere"))
    url = f"{github.url}/hooks/s3cret"

    result = run("drift", path, "--local", db, "--notify", url)

    assert result.exit_code == 1
    (payload,) = github.webhooks["/hooks/s3cret"]
    assert (payload["command"], payload["outcome"], payload["exit_status"]) == ("drift", "failed", 1)
    assert "s3cret" not in result.output and "s3cret" not in result.stderr


def test_notify_names_the_digest_of_a_refused_plan_file_and_journals_no_url(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    set_status(writer, "2.3.12", "Unlisted")
    plan_file = tmp_path / "pr.plan.json"
    assert run("plan", manifest(tmp_path), "--local", db, "-o", plan_file).exit_code == 0
    url = f"{github.url}/hooks/s3cret"

    result = run("apply", plan_file, "--expect-digest", "0" * 64, "--notify", url)

    assert result.exit_code == 1
    (payload,) = github.webhooks["/hooks/s3cret"]
    assert (payload["command"], payload["outcome"]) == ("apply", "refused")
    assert payload["digest"] == hashlib.sha256(plan_file.read_bytes()).hexdigest()
    assert "s3cret" not in result.output and "s3cret" not in result.stderr
    for written in tmp_path.rglob("*"):
        if written.is_file() and written.suffix in (".jsonl", ".json", ".md"):
            assert b"s3cret" not in written.read_bytes(), written


def test_each_regions_drift_issue_holds_that_regions_drift_alone(
    tmp_path: Path, db: Path, writer: Any, github: FakeGitHub, sleeps: list[float]
) -> None:
    # acme/prod of us-east-1 and acme/prod of eu-west-1 are two repositories: drift in one is not
    # the other's, and each issue's title says which.
    folder = manifest(tmp_path).parent
    us = (
        (folder / "prod.yaml")
        .read_text()
        .replace("repository: prod}", "repository: prod, region: us-east-1}")
    )
    (folder / "prod.yaml").write_text(us)
    (folder / "emea.yaml").write_text(
        us.replace("us-east-1", "eu-west-1").replace(
            '"2.3.12": Published\n      "1.1.0": Published', '"2.6.2": Published'
        )
    )
    with LocalCodeArtifact(db) as service:
        local_client(service, "eu-west-1").update_package_versions_status(
            **WEB_SDK, repository="prod", versions=["2.6.2"], targetStatus="Archived"
        )

    drifted = run("drift", folder, "--local", db, "--github-issue")

    assert drifted.exit_code == 2, drifted.output
    assert "GitHub issue: eu-west-1:acme/111122223333/prod: issue #1 opened" in drifted.stderr
    assert "GitHub issue: us-east-1:acme/111122223333/prod: in sync, no open drift issue" in drifted.stderr
    [issue] = github.issues
    assert issue["title"] == "Drift in eu-west-1:acme/prod (reconciler)"
    assert "2.6.2" in issue["body"]
