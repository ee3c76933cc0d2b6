"""Views: pure functions from plans, apply reports and drift reports to text, Markdown and JSON."""

from reconciler.render.apply import render_apply_report
from reconciler.render.drift import (
    NO_DRIFT,
    render_drift,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)
from reconciler.render.markup import (
    GITHUB_COMMENT_LIMIT,
    MARKDOWN_BUDGET,
    MARKDOWN_ROWS_PER_PACKAGE,
    RenderFormat,
    code_span,
    escape_markdown,
)
from reconciler.render.plan import (
    NO_CHANGES,
    render_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "MARKDOWN_BUDGET",
    "MARKDOWN_ROWS_PER_PACKAGE",
    "NO_CHANGES",
    "NO_DRIFT",
    "RenderFormat",
    "code_span",
    "escape_markdown",
    "render_apply_report",
    "render_drift",
    "render_drift_json",
    "render_drift_markdown",
    "render_drift_text",
    "render_plan",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
]
