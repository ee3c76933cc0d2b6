"""What `plan`, `apply PATHS` and `drift` share: manifests + live state -> a plan."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.aws.client import Backend, Connection, connect
from reconciler.aws.reader import read_live_state
from reconciler.errors import ReconcilerError
from reconciler.manifest import load_manifests
from reconciler.models import DesiredState
from reconciler.plan import Plan
from reconciler.planner import make_plan
from reconciler.state import LiveState


def backend_for(desired: DesiredState, backend: Backend) -> Backend:
    """The manifests' `target.region`, or --region when they name none; one Region per run, and
    --region may not contradict the manifests."""
    regions = sorted({entry.target.region for entry in desired.entries if entry.target.region})
    if len(regions) > 1:
        raise ReconcilerError(
            f"the manifests target several Regions: {', '.join(regions)}",
            "Plan each Region on its own: give the manifests of one Region, or --region.",
        )
    if regions and backend.region is not None and backend.region != regions[0]:
        raise ReconcilerError(
            f"--region {backend.region} contradicts the manifests' target region {regions[0]}",
            "Drop --region, or plan manifests of that Region.",
        )
    if backend.region is None and regions:
        return dataclasses.replace(backend, region=regions[0])
    return backend


@dataclass
class FreshPlan:
    """A plan with what it was made from; the caller closes `connection`."""

    plan: Plan
    desired: DesiredState
    live: LiveState
    connection: Connection


def read_and_plan(
    paths: Sequence[Path],
    backend: Backend,
    concurrency: int,
    grace_seconds: float | None = None,
) -> FreshPlan:
    """Load, read and plan, keeping the live state the plan was made from."""
    desired = load_manifests(paths)
    connection = connect(backend_for(desired, backend))
    try:
        live = read_live_state(connection.client, desired, time.time(), concurrency, grace_seconds)
        plan = make_plan(desired, live, connection.endpoint, connection.region)
    except BaseException:
        connection.close()
        raise
    return FreshPlan(plan, desired, live, connection)


def make_fresh_plan(
    paths: Sequence[Path],
    backend: Backend,
    concurrency: int,
    grace_seconds: float | None = None,
) -> tuple[Plan, DesiredState, Connection]:
    """Load, read and plan; the caller closes the returned connection."""
    fresh = read_and_plan(paths, backend, concurrency, grace_seconds)
    return fresh.plan, fresh.desired, fresh.connection
