"""Blast-radius limits: refuse a plan that would dispose too much, before anything runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reconciler.addresses import PackageRef
from reconciler.errors import LimitExceededError
from reconciler.plan import ActionKind, Plan


@dataclass(frozen=True)
class Limits:
    """Disposing is irreversible, so a plan may dispose at most `max_dispose` versions in all and
    at most `max_dispose_share` of any one package's versions (those not already Disposed)."""

    max_dispose: int = 100
    max_dispose_share: float = 0.5


def check_limits(plan: Plan, limits: Limits) -> None:
    """Raise `LimitExceededError`, naming the flag and value that would allow it, if the plan
    disposes more than `limits` allow."""
    problems = limit_problems(plan, limits)
    if problems:
        raise LimitExceededError(
            "refused: the plan exceeds the blast-radius limits; nothing was changed", "\n".join(problems)
        )


def limit_problems(plan: Plan, limits: Limits) -> list[str]:
    """Each way the plan exceeds `limits`, with the flag and value that would allow it."""
    disposes: Counter[PackageRef] = Counter()
    for action in plan.actions:
        if action.kind is ActionKind.DISPOSE:
            disposes[action.package] += len(action.versions)
    total = sum(disposes.values())
    problems: list[str] = []
    if total > limits.max_dispose:
        problems.append(
            f"the plan disposes {total} versions, more than the limit of {limits.max_dispose}; "
            f"allow it with --max-dispose {total}"
        )
    for package, count in sorted(disposes.items(), key=lambda item: str(item[0])):
        # A package the plan did not count (an older plan file) is taken as all disposed.
        held = max(plan.package_versions.get(str(package), 0), count)
        share = count / held
        if share > limits.max_dispose_share:
            problems.append(
                f"{package}: the plan disposes {count} of its {held} versions ({share:.0%}), more than the "
                f"limit of {limits.max_dispose_share:.0%}; allow it with --max-dispose-share "
                f"{_share_allowing(count, held)}"
            )
    return problems


def _share_allowing(count: int, held: int) -> str:
    """The smallest two-decimal share that is at least count/held: rounding down would refuse again."""
    hundredths = -(-count * 100 // held)
    return f"{hundredths / 100:.2f}"
