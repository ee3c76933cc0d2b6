"""Drift: read and plan, then report the plan's differences as drift, changing nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from reconciler.aws.client import Backend
from reconciler.drift import DriftReport, detect_drift
from reconciler.planner import unmatched_entries
from reconciler.workflows.planning import read_and_plan


def detect(
    paths: Sequence[Path], backend: Backend, concurrency: int, grace_seconds: float | None = None
) -> DriftReport:
    fresh = read_and_plan(paths, backend, concurrency, grace_seconds)
    fresh.connection.close()
    report = detect_drift(fresh.plan, fresh.live, grace_seconds)
    # Only the warnings about what the manifests match: the plan's others are about changes drift
    # does not make.
    return dataclasses.replace(report, warnings=tuple(unmatched_entries(fresh.desired, fresh.live)))
