"""`--annotations` and the step summary: what validate, plan, apply and drift also tell GitHub Actions.

With annotations on (`--annotations github`, or `auto` inside a GitHub Actions job), every
validation problem, plan error and warning, and the error a run stops with, is also printed on
stderr as a workflow command, which the runner reads from stdout and stderr alike: stderr keeps
stdout for the view or the plan file a job redirects. When the job names a step summary file
(`$GITHUB_STEP_SUMMARY`), plan, apply and drift append their Markdown to it; a summary that
cannot be written is a warning, never a change of the exit code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import click

from reconciler.boundary import ON_ERROR
from reconciler.errors import ManifestError, ReconcilerError
from reconciler.github.commands import Annotation, Level, annotate
from reconciler.github.env import GitHubEnv, github_env
from reconciler.github.summary import append_step_summary
from reconciler.plan import VersionProblem

AnnotationMode = Literal["auto", "github", "none"]
REPORTING = "reconciler.github"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class GitHubReporting:
    """The GitHub side of one run: whether to annotate, and the job's environment."""

    env: GitHubEnv
    annotating: bool
    title: str  # the annotations' title: the command that found them

    def annotate(self, texts: Iterable[str], level: Level) -> None:
        """Each `FILE:LINE: message` (or any text) as an annotation, when annotating."""
        if not self.annotating:
            return
        for line in annotate(texts, level, self.title, self.env.workspace):
            click.echo(line, err=True)

    def annotate_problems(self, problems: Iterable[VersionProblem]) -> None:
        """The plan's versions that cannot converge, each on the manifest line that decided it."""
        self.annotate((f"{p.origin}: {p.package}@{p.version}: {p.message}" for p in problems), "error")

    def annotate_error(self, exc: ReconcilerError) -> None:
        """The error a run stops with: every manifest problem on its line, anything else on the run."""
        if isinstance(exc, ManifestError):
            self.annotate(exc.problems, "error")
        else:
            self.annotate([f"{exc.summary}\n{exc.detail}" if exc.detail else exc.summary], "error")

    def append_summary(self, markdown: Callable[[], str]) -> None:
        """Append `markdown()` to the job's step summary, when it has one (rendered only then: a large
        plan's Markdown costs time); a failure is a warning on stderr."""
        path = self.env.step_summary
        if path is None:
            return
        problem = append_step_summary(path, markdown())
        if problem is not None:
            click.echo(f"Warning: {' '.join(problem.splitlines())}", err=True)
            if self.annotating:
                click.echo(Annotation("warning", problem, self.title).command(), err=True)


def github_reporting(
    mode: AnnotationMode, command: str, environ: Mapping[str, str] | None = None
) -> GitHubReporting:
    """The reporting of a run of `command` (`reconciler plan`, ...) in `environ` (the process's by default)."""
    env = github_env(os.environ if environ is None else environ)
    annotating = mode == "github" or (mode == "auto" and env.actions)
    return GitHubReporting(env=env, annotating=annotating, title=command)


def _remember(ctx: click.Context, param: click.Parameter, value: AnnotationMode) -> None:
    reporting = github_reporting(value, f"reconciler {ctx.info_name}")
    ctx.meta[REPORTING] = reporting
    ctx.meta[ON_ERROR] = reporting.annotate_error


def annotations_option(command: F) -> F:
    """`--annotations [auto|github|none]`; the command reads its choice with `current_reporting()`, and
    the error boundary annotates the error a run stops with."""
    return click.option(
        "--annotations",
        type=click.Choice(["auto", "github", "none"]),
        default="auto",
        show_default=True,
        expose_value=False,
        callback=_remember,
        help="Also print problems, errors and warnings as GitHub workflow commands on stderr, so they "
        "show on the pull request's diff; auto: when GITHUB_ACTIONS=true.",
    )(command)


def current_reporting() -> GitHubReporting:
    """The reporting the running command's `--annotations` chose."""
    reporting = click.get_current_context().meta.get(REPORTING)
    if not isinstance(reporting, GitHubReporting):  # a command without the option: nothing to annotate
        return github_reporting("none", "reconciler")
    return reporting
