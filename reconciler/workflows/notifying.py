"""Telling people: drift's GitHub issues (`--github-issue`) and the webhook summaries of drift and apply
(`--notify`). Every failure here comes back as a warning: a notification problem never changes a
command's exit code."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence

from reconciler.addresses import RepositoryRef
from reconciler.drift import DriftItems, DriftReport
from reconciler.github.env import github_env
from reconciler.github.issues import DriftIssues, DriftState, GitHubError, GitHubSettings, IssueOutcome
from reconciler.httpcall import HttpClient, HttpFailure
from reconciler.notify import RunSummary, post_summary
from reconciler.plan import target_of
from reconciler.render.drift import counts_json, render_drift_markdown
from reconciler.workflows.applyrun import ApplyResult


def target_name(repository: RepositoryRef, report: DriftReport) -> str:
    """`domain/owner/repository`, the owner as the run found it (the manifests may not name it); in a
    run of several Regions, after its Region (`eu-west-1:domain/owner/repository`)."""
    target = target_of(report.targets, repository)
    owner = (
        repository.domain_owner
        or (target.domains.get(repository.domain) if target else None)
        or "unknown-owner"
    )
    name = f"{repository.domain}/{owner}/{repository.repository}"
    return f"{repository.region}:{name}" if repository.region else name


def drift_states(
    report: DriftReport, repositories: Sequence[RepositoryRef], environ: Mapping[str, str]
) -> list[DriftState]:
    """What each target repository's issue should say: its own drifted versions, or in sync."""
    link = github_env(environ).run_url
    states = []
    for repository in repositories:
        target = target_name(repository, report)
        # A repository is one of a Region: acme/prod of eu-west-1 is not acme/prod of us-east-1.
        # Judged a package at a time, and kept as the report keeps them (its views never make an
        # item per version).
        items = DriftItems(
            [
                drift
                for drift in report.packages_as_listed()
                if (
                    drift.package.repository.region,
                    drift.package.repository.domain,
                    drift.package.repository.repository,
                )
                == (repository.region, repository.domain, repository.repository)
            ]
        )
        title = f"Drift in {repository} (reconciler)"
        if not items:
            closing = f"Drift is gone: live state matches the manifests (checked {report.checked_at})."
            states.append(
                DriftState(target, title, None, None, closing + (f"\n\nRun: {link}" if link else ""))
            )
            continue
        digest = hashlib.sha256(
            "\n".join(
                f"{item.kind}|{item.package}|{item.version}|{item.live}|{item.declared}" for item in items
            ).encode()
        ).hexdigest()[:16]
        body = render_drift_markdown(report.with_items(items))
        if link:
            body += f"\n\nFound by run {link}."
        states.append(DriftState(target, title, body, digest))
    return states


def sync_drift_issues(
    states: Sequence[DriftState], settings: GitHubSettings, http: HttpClient | None = None
) -> tuple[list[IssueOutcome], list[str]]:
    """Open, update, reopen or close each target's issue; what was done, and the warnings."""
    issues = DriftIssues(settings, http or HttpClient(timeout=10.0, attempts=3, max_wait=60.0))
    outcomes: list[IssueOutcome] = []
    warnings: list[str] = []
    for state in states:
        try:
            outcomes.append(issues.sync(state))
        except (HttpFailure, GitHubError) as failure:
            warnings.append(f"drift issue for {state.target} not updated: {failure}")
    return outcomes, warnings


def drift_summary(
    report: DriftReport, repositories: Sequence[RepositoryRef], exit_status: int, environ: Mapping[str, str]
) -> RunSummary | None:
    """The webhook summary of a drift run, or None when all is well (no drift)."""
    if not report.has_drift:
        return None
    drifted = sorted({target_name(drift.package.repository, report) for drift in report.drifted()})
    kinds = ", ".join(f"{count} {kind.label}" for kind, count in report.counts().items() if count)
    return RunSummary(
        command="drift",
        outcome="drift",
        exit_status=exit_status,
        headline=f"{len(report.items)} version(s) differ from the manifests ({kinds})",
        targets=tuple(drifted or [target_name(r, report) for r in repositories]),
        counts=counts_json(report),
        run_url=github_env(environ).run_url,
    )


def apply_summary(result: ApplyResult, exit_status: int, environ: Mapping[str, str]) -> RunSummary | None:
    """The webhook summary of an apply, or None when it applied everything."""
    if result.succeeded:
        return None
    outcomes = Counter(str(item.outcome) for item in result.report.outcomes)
    targets = sorted({str(item.package.repository) for item in result.report.outcomes})
    headline = {
        "refused": "the plan was refused; nothing was changed",
        "failed": "the apply failed",
        "interrupted": "the apply was interrupted",
        "incomplete": "some versions were not applied",
    }.get(result.result, result.result)
    if isinstance(result.stopped, Exception) and str(result.stopped):
        headline += f": {str(result.stopped).splitlines()[0]}"
    return RunSummary(
        command="apply",
        outcome=result.result,
        exit_status=exit_status,
        headline=headline,
        targets=tuple(targets),
        counts=dict(sorted(outcomes.items())),
        digest=result.digest,
        run_url=github_env(environ).run_url,
    )


def notify(urls: Sequence[str], summary: RunSummary | None, http: HttpClient | None = None) -> list[str]:
    """Post `summary` to every webhook (nothing when there is none); the warnings."""
    if not urls or summary is None:
        return []
    return post_summary(urls, summary, http)


def failure_summary(command: str, error: BaseException, environ: Mapping[str, str]) -> RunSummary:
    """The webhook summary of a run that stopped with an error (exit 1)."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return RunSummary(command, "failed", 1, f"failed: {first}", run_url=github_env(environ).run_url)


def http_client() -> HttpClient:
    """The client of every notification: 10 s per attempt, 3 attempts, at most 60 s of rate-limit wait."""
    return HttpClient(timeout=10.0, attempts=3, max_wait=60.0)
