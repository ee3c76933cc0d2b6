"""Views: pure functions from plans, apply reports and drift reports to text, Markdown and JSON."""

from reconciler.render.apply import render_apply_report
from reconciler.render.comment import CommentContext, join_parts, marker, targets_id
from reconciler.render.drift import (
    NO_DRIFT,
    drift_comment,
    render_drift,
    render_drift_chunks,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)
from reconciler.render.markup import (
    GITHUB_COMMENT_LIMIT,
    RenderFormat,
    code_span,
    escape_markdown,
)
from reconciler.render.plan import (
    NO_CHANGES,
    plan_comment,
    render_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "NO_CHANGES",
    "NO_DRIFT",
    "CommentContext",
    "RenderFormat",
    "code_span",
    "drift_comment",
    "escape_markdown",
    "join_parts",
    "marker",
    "plan_comment",
    "render_apply_report",
    "render_drift",
    "render_drift_chunks",
    "render_drift_json",
    "render_drift_markdown",
    "render_drift_text",
    "render_plan",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
    "targets_id",
]
