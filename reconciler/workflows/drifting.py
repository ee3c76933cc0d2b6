"""Drift: read and plan, then report the plan's differences as drift, changing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.aws.client import Backend
from reconciler.drift import DriftReport, detect_drift
from reconciler.workflows.planning import read_and_plan


def detect(
    paths: Sequence[Path], backend: Backend, concurrency: int, grace_seconds: float | None = None
) -> DriftReport:
    fresh = read_and_plan(paths, backend, concurrency, grace_seconds)
    fresh.connection.close()
    return detect_drift(fresh.plan, fresh.live, grace_seconds)
