"""Read and plan: manifests + live state -> a plan (what `plan`, `apply PATHS` and `drift` share)."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.aws import reads
from reconciler.aws.client import Backend, Connection, connect
from reconciler.errors import ReconcilerError
from reconciler.limits import Limits, limit_problems
from reconciler.manifest import load_manifests
from reconciler.models import DesiredState
from reconciler.plan import Plan
from reconciler.planner import make_plan
from reconciler.state import LiveState
from reconciler.workflows.gcpause import gc_paused
from reconciler.workflows.reading import read_live_state


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
    concurrency: int | None,
    grace_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
    watch: Callable[[Connection], None] | None = None,
) -> FreshPlan:
    """Load, read and plan, keeping the live state the plan was made from; `watch` is shown the
    connection before any call is made on it."""
    desired = load_manifests(paths)
    connection = connect(backend_for(desired, backend))
    try:
        if watch is not None:
            watch(connection)
        # A state per version read and a change per version planned, kept to the end of the run:
        # see gcpause for why the collector waits meanwhile.
        with gc_paused():
            workers = connection.workers(concurrency)
            live = read_live_state(connection.client, desired, clock(), workers, grace_seconds)
            plan = make_plan(desired, live, connection.endpoint, connection.region)
    except BaseException:
        connection.close()
        raise
    return FreshPlan(plan, desired, live, connection)


APPLY_WILL_REFUSE = "apply will refuse this plan unless allowed: "


def refused_by_default_limits(plan: Plan) -> bool:
    """Whether `plan_for_review` found that apply's default blast-radius limits refuse the plan."""
    return any(warning.startswith(APPLY_WILL_REFUSE) for warning in plan.warnings)


def plan_for_review(
    paths: Sequence[Path], backend: Backend, concurrency: int | None, estimate_size: bool = False
) -> Plan:
    """A fresh plan, warning a reviewer of every way apply's default blast-radius limits will refuse
    it: the pull request, not the merge, is where to learn it. With `estimate_size`, the plan also
    says how many bytes of assets its disposes delete (`estimate_reclaimed`)."""
    fresh = read_and_plan(paths, backend, concurrency)
    try:
        made = (
            estimate_reclaimed(fresh.connection.client, fresh.plan, fresh.connection.workers(concurrency))
            if estimate_size
            else fresh.plan
        )
    finally:
        fresh.connection.close()
    beyond = tuple(
        f"{APPLY_WILL_REFUSE}{problem}" for problem in limit_problems(made, Limits(), fresh.live.packages)
    )
    return dataclasses.replace(made, warnings=(*beyond, *made.warnings)) if beyond else made


def estimate_reclaimed(client: Any, plan: Plan, max_workers: int = 8) -> Plan:
    """`plan` with the bytes of assets each package's destructive changes delete: the assets of every
    such version are listed (ListPackageVersionAssets, counted in the plan's calls like every read),
    several versions at once."""
    versions = [
        (action.package, change.version)
        for action in plan.actions
        if action.kind.is_destructive
        for change in action.versions
    ]
    reclaimed: dict[str, int] = {}
    calls: Counter[str] = Counter(plan.api_calls)
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        sizes = pool.map(lambda job: reads.version_asset_bytes(client, *job), versions)
        for (package, _), (size, spent) in zip(versions, sizes, strict=True):
            key = str(package)
            reclaimed[key] = reclaimed.get(key, 0) + size
            calls.update(spent)
    return dataclasses.replace(
        plan, reclaimed_bytes=dict(sorted(reclaimed.items())), api_calls=dict(sorted(calls.items()))
    )
