"""Blast-radius limits: refuse a plan that would dispose too much, before anything changes.

The limits are computed from the plan's actions and from live state, never from counts the plan
file states of itself (its `summary` or `package_versions`), which an edit could change: the share
of a package is the versions the plan still disposes over the versions the package holds now that
are not Disposed (or Deleted), as read before any change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.addresses import PackageRef
from reconciler.codeartifact import FINAL_STATUSES
from reconciler.errors import LimitExceededError
from reconciler.plan import ActionKind, Plan
from reconciler.state import PackageState


@dataclass(frozen=True)
class Limits:
    """Disposing is irreversible, so a plan may dispose at most `max_dispose` versions in all and
    at most `max_dispose_share` of any one package's versions (those not already Disposed)."""

    max_dispose: int = 100
    max_dispose_share: float = 0.5


def check_limits(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> None:
    """Raise `LimitExceededError`, naming the flag and value that would allow it, if the plan
    disposes more than `limits` allow of the packages as they are in `live`."""
    problems = limit_problems(plan, limits, live)
    if problems:
        raise LimitExceededError(
            "refused: the plan exceeds the blast-radius limits; nothing was changed", "\n".join(problems)
        )


def limit_problems(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> list[str]:
    """Each way the plan exceeds `limits`, with the flag and value that would allow it: the total
    (from the plan's actions), then each package's share (against `live`, the packages as read now)."""
    return total_problems(plan, limits) + share_problems(plan, limits, live)


def total_problems(plan: Plan, limits: Limits) -> list[str]:
    """The total the plan disposes, counted from its actions (decidable before any call)."""
    total = sum(len(action.versions) for action in plan.actions if action.kind is ActionKind.DISPOSE)
    if total > limits.max_dispose:
        return [
            f"the plan disposes {total} versions, more than the limit of {limits.max_dispose}; "
            f"allow it with --max-dispose {total}"
        ]
    return []


def share_problems(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> list[str]:
    """Each package of which the plan disposes more than the share allows. The count is the
    versions the plan disposes that are live and not yet Disposed; the base, the versions the
    package holds now that are not Disposed. A package not in `live` holds none the plan could
    dispose."""
    disposing: dict[PackageRef, set[str]] = {}
    for action in plan.actions:
        if action.kind is ActionKind.DISPOSE:
            disposing.setdefault(action.package, set()).update(change.version for change in action.versions)
    problems: list[str] = []
    counts: Counter[PackageRef] = Counter()
    held: dict[PackageRef, int] = {}
    for package, versions in disposing.items():
        state = live.get(package)
        if state is None:
            continue
        open_versions = {v for v, s in state.versions.items() if s.status not in FINAL_STATUSES}
        counts[package] = len(versions & open_versions)
        held[package] = len(open_versions)
    for package in sorted(counts, key=str):
        count, base = counts[package], held[package]
        if not count:
            continue
        share = count / base
        if share > limits.max_dispose_share:
            problems.append(
                f"{package}: the plan disposes {count} of its {base} versions ({share:.0%}), more than the "
                f"limit of {limits.max_dispose_share:.0%}; allow it with --max-dispose-share "
                f"{_share_allowing(count, base)}"
            )
    return problems


def _share_allowing(count: int, held: int) -> str:
    """The smallest two-decimal share that is at least count/held: rounding down would refuse again."""
    hundredths = -(-count * 100 // held)
    return f"{hundredths / 100:.2f}"
