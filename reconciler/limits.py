"""Blast-radius limits: refuse a plan that would destroy too much, before anything changes.

What a plan destroys is what it disposes and what it deletes (`ActionKind.is_destructive`): both are
irreversible, and both count toward the same two limits. A plan that deletes anything is refused
unless deletes are allowed (`apply --allow-delete`), whatever the limits.

The limits are computed from the plan's actions and from live state, never from counts the plan
file states of itself (its `summary` or `package_versions`), which an edit could change: the share
of a package is the versions the plan still disposes or deletes that are not Disposed, over the
versions the package holds now that are not Disposed, as read before any change (deleting a version
already Disposed counts toward the total, not the share: its assets are already gone).
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
from reconciler.text import plural


@dataclass(frozen=True)
class Limits:
    """Disposing and deleting are irreversible, so a plan may dispose or delete at most `max_dispose`
    versions in all and at most `max_dispose_share` of any one package's versions (those not already
    Disposed); and it may delete only when `allow_delete`."""

    max_dispose: int = 100
    max_dispose_share: float = 0.5
    allow_delete: bool = False


def check_limits(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> None:
    """Raise `LimitExceededError`, naming the flag and value that would allow it, if the plan
    disposes or deletes more than `limits` allow of the packages as they are in `live`."""
    problems = limit_problems(plan, limits, live)
    if problems:
        raise LimitExceededError(
            "refused: the plan exceeds the blast-radius limits; nothing was changed", "\n".join(problems)
        )


def limit_problems(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> list[str]:
    """Each way the plan exceeds `limits`, with the flag and value that would allow it: the total
    (from the plan's actions), then each package's share (against `live`, the packages as read now)."""
    return total_problems(plan, limits) + share_problems(plan, limits, live)


def deleted_count(plan: Plan) -> int:
    """The versions the plan deletes."""
    return sum(len(action.versions) for action in plan.actions if action.kind is ActionKind.DELETE)


def delete_refusal(plan: Plan, limits: Limits) -> str | None:
    """Why the plan may not be applied as `limits` stand: it deletes and deletes are not allowed."""
    deletes = deleted_count(plan)
    if not deletes or limits.allow_delete:
        return None
    return f"refused: the plan deletes {plural(deletes, 'version')}, and deletes are not allowed; nothing was changed"


def total_problems(plan: Plan, limits: Limits) -> list[str]:
    """The total the plan disposes and deletes, counted from its actions (decidable before any call)."""
    kinds: Counter[ActionKind] = Counter()
    for action in plan.actions:
        if action.kind.is_destructive:
            kinds[action.kind] += len(action.versions)
    total = kinds.total()
    if total > limits.max_dispose:
        return [
            f"the plan {_destroys(kinds[ActionKind.DISPOSE], kinds[ActionKind.DELETE])} {total} versions, "
            f"more than the limit of {limits.max_dispose}; allow it with --max-dispose {total}"
        ]
    return []


def share_problems(plan: Plan, limits: Limits, live: Mapping[PackageRef, PackageState]) -> list[str]:
    """Each package of which the plan disposes or deletes more than the share allows. The count is
    the versions the plan disposes or deletes that are live and not yet Disposed; the base, the
    versions the package holds now that are not Disposed. A package not in `live` holds none the
    plan could destroy."""
    destroying: dict[PackageRef, dict[ActionKind, set[str]]] = {}
    for action in plan.actions:
        if action.kind.is_destructive:
            kinds = destroying.setdefault(action.package, {})
            kinds.setdefault(action.kind, set()).update(change.version for change in action.versions)
    problems: list[str] = []
    for package in sorted(destroying, key=str):
        state = live.get(package)
        if state is None:
            continue
        open_versions = {v for v, s in state.versions.items() if s.status not in FINAL_STATUSES}
        counts = {kind: len(versions & open_versions) for kind, versions in destroying[package].items()}
        count, base = sum(counts.values()), len(open_versions)
        if not count:
            continue
        share = count / base
        if share > limits.max_dispose_share:
            verb = _destroys(counts.get(ActionKind.DISPOSE, 0), counts.get(ActionKind.DELETE, 0))
            problems.append(
                f"{package}: the plan {verb} {count} of its {base} versions ({share:.0%}), more than the "
                f"limit of {limits.max_dispose_share:.0%}; allow it with --max-dispose-share "
                f"{_share_allowing(count, base)}"
            )
    return problems


def _destroys(disposed: int, deleted: int) -> str:
    """The verb of a count of destroyed versions: `disposes`, `deletes`, or `disposes or deletes`."""
    if not deleted:
        return "disposes"
    return "deletes" if not disposed else "disposes or deletes"


def _share_allowing(count: int, held: int) -> str:
    """The smallest two-decimal share that is at least count/held: rounding down would refuse again."""
    hundredths = -(-count * 100 // held)
    return f"{hundredths / 100:.2f}"
