"""Read and plan: manifests + live state -> a plan (what `plan`, `apply PATHS` and `drift` share)."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reconciler.aws import reads
from reconciler.aws.client import Backend, Connection
from reconciler.aws.spread import Spread
from reconciler.limits import Limits, limit_problems
from reconciler.manifest import load_manifests
from reconciler.models import DesiredState
from reconciler.plan import Plan, TargetIdentity
from reconciler.planner import PlannedAhead, make_plan
from reconciler.state import LiveState
from reconciler.workflows.gcpause import gc_paused, reading_process
from reconciler.workflows.promoting import check_copies
from reconciler.workflows.reading import read_live_state
from reconciler.workflows.regions import Connections, connect_all, each_region, in_region, regional


@dataclass
class FreshPlan:
    """A plan with what it was made from (the manifests with each entry's Region settled); the caller
    closes `connections`, one per Region."""

    plan: Plan
    desired: DesiredState
    live: LiveState
    connections: Connections


def read_and_plan(
    paths: Sequence[Path],
    backend: Backend,
    concurrency: int | None,
    grace_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
    watch: Callable[[Connection], None] | None = None,
) -> FreshPlan:
    """Load, read and plan, keeping the live state the plan was made from; `watch` is shown each
    connection before any call is made on it. Each Region is read with its own client, the Regions
    at once; the plan records a target per Region."""
    desired, backends = regional(load_manifests(paths), backend)
    connections = connect_all(backends)
    try:
        if watch is not None:
            for connection in connections:
                watch(connection)
        now = clock()
        # A state per version read and a change per version planned, kept to the end of the run:
        # see gcpause for why the collector waits meanwhile.
        with gc_paused():
            # When other processes read, each package is planned here as it comes (reading.py).
            ahead = PlannedAhead(now)
            lives = each_region(
                connections,
                lambda region, connection: read_live_state(
                    connection.client,
                    in_region(desired, region),
                    now,
                    connection.workers(concurrency),
                    grace_seconds,
                    Spread(connection, concurrency, reading_process, regions=len(connections.by_region)),
                    ahead,
                ),
            )
            targets = tuple(
                sorted(
                    (
                        TargetIdentity(
                            connection.endpoint,
                            connection.region,
                            dict(sorted(lives[region].domain_owners.items())),
                        )
                        for region, connection in connections.items()
                    ),
                    key=lambda target: target.region,
                )
            )
            live = _merged(now, list(lives.values()))
            plan = make_plan(desired, live, targets[0].endpoint, targets[0].region, targets, ahead)
            plan = check_copies(
                lambda repository: connections.of(repository).client,
                plan,
                desired,
                live,
                connections.workers(concurrency),
            )
    except BaseException:
        connections.close()
        raise
    return FreshPlan(plan, desired, live, connections)


def _merged(now: float, lives: list[LiveState]) -> LiveState:
    """The live states of the Regions as one: their packages and scopes are apart (each names its
    Region), their calls add up. The owners of domains stay with each Region's target."""
    if len(lives) == 1:
        return lives[0]
    merged = LiveState(now=now)
    for live in lives:
        merged.packages.update(live.packages)
        merged.package_names.update(live.package_names)
        merged.upstream_chains.update(live.upstream_chains)
        merged.calls.update(live.calls)
    return merged


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
            estimate_reclaimed(
                fresh.connections,
                fresh.plan,
                fresh.connections.workers(concurrency),
            )
            if estimate_size
            else fresh.plan
        )
    finally:
        fresh.connections.close()
    beyond = tuple(
        f"{APPLY_WILL_REFUSE}{problem}" for problem in limit_problems(made, Limits(), fresh.live.packages)
    )
    return dataclasses.replace(made, warnings=(*beyond, *made.warnings)) if beyond else made


def estimate_reclaimed(connections: Connections, plan: Plan, max_workers: int = 8) -> Plan:
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
        sizes = pool.map(
            lambda job: reads.version_asset_bytes(connections.of(job[0].repository).client, *job), versions
        )
        for (package, _), (size, spent) in zip(versions, sizes, strict=True):
            key = str(package)
            reclaimed[key] = reclaimed.get(key, 0) + size
            calls.update(spent)
    return dataclasses.replace(
        plan, reclaimed_bytes=dict(sorted(reclaimed.items())), api_calls=dict(sorted(calls.items()))
    )
