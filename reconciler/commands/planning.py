"""What `plan`, `apply PATHS` and `drift` share: manifests + live state -> a plan."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from reconciler.aws.client import Backend, Connection, connect
from reconciler.aws.reader import read_live_state
from reconciler.errors import ReconcilerError
from reconciler.manifest import load_manifests
from reconciler.models import DesiredState
from reconciler.plan import Plan
from reconciler.planner import make_plan


def backend_for(desired: DesiredState, backend: Backend) -> Backend:
    """The manifests' `target.region` applies unless the command line gives one; one Region per run."""
    regions = sorted({entry.target.region for entry in desired.entries if entry.target.region})
    if len(regions) > 1:
        raise ReconcilerError(
            f"the manifests target several Regions: {', '.join(regions)}",
            "Plan each Region on its own: give the manifests of one Region, or --region.",
        )
    if backend.region is None and regions:
        return dataclasses.replace(backend, region=regions[0])
    return backend


def make_fresh_plan(
    paths: Sequence[Path],
    backend: Backend,
    concurrency: int,
    grace_seconds: float | None = None,
) -> tuple[Plan, DesiredState, Connection]:
    """Load, read and plan; the caller closes the returned connection."""
    desired = load_manifests(paths)
    connection = connect(backend_for(desired, backend))
    try:
        live = read_live_state(connection.client, desired, time.time(), concurrency, grace_seconds)
        plan = make_plan(desired, live, connection.endpoint, connection.region)
    except BaseException:
        connection.close()
        raise
    return plan, desired, connection
