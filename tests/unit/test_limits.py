"""Blast-radius limits: how many versions a plan may dispose, in all and per package (against the
packages as they are live, never the plan's own counts)."""

from __future__ import annotations

import pytest

from reconciler.addresses import PackageRef
from reconciler.errors import LimitExceededError
from reconciler.limits import Limits, check_limits
from reconciler.plan import Action, Plan
from reconciler.planner import make_plan as plan_from
from reconciler.state import LiveState, PackageState
from tests.unit.applying import address, dispose, make_plan, update
from tests.unit.planning import NOW, desired, package, ref

APP = "acme/prod/npm/app"
LIB = "acme/prod/npm/lib"


def live_sizes(sizes: dict[str, int], disposed: int = 0) -> dict[PackageRef, PackageState]:
    """Each package of `sizes` (by its text form) with that many versions "0", "1", ... not Disposed,
    and `disposed` more that are."""
    live = {}
    for text, count in sizes.items():
        ref_ = address(text.rsplit("/", 1)[1])
        versions = {str(i): "Published" for i in range(count)}
        versions.update({f"gone-{i}": "Disposed" for i in range(disposed)})
        live[ref_] = package(ref_, versions)
    return live


def check(plan: Plan, plan_limits: Limits, sizes: dict[str, int] | None = None) -> None:
    check_limits(plan, plan_limits, live_sizes(sizes or {}))


def refusal(plan_limits: Limits, *actions: Action, sizes: dict[str, int]) -> str:
    with pytest.raises(LimitExceededError) as caught:
        check(make_plan(*actions), plan_limits, sizes)
    assert caught.value.summary == "refused: the plan exceeds the blast-radius limits; nothing was changed"
    return caught.value.detail


def test_a_plan_within_both_limits_passes() -> None:
    plan = make_plan(dispose("1", "2"), dispose("1", package="lib"))
    check(plan, Limits(max_dispose=3, max_dispose_share=0.5), {APP: 4, LIB: 2})


def test_a_plan_without_disposes_passes_any_limit() -> None:
    check(make_plan(update("1", "2", "3")), Limits(max_dispose=0, max_dispose_share=0.0))


def test_disposing_more_than_max_dispose_is_refused_and_names_the_flag_that_allows_it() -> None:
    detail = refusal(
        Limits(max_dispose=2), dispose("1", "2"), dispose("1", package="lib"), sizes={APP: 10, LIB: 10}
    )
    assert detail == "the plan disposes 3 versions, more than the limit of 2; allow it with --max-dispose 3"


def test_max_dispose_zero_refuses_any_dispose() -> None:
    detail = refusal(Limits(max_dispose=0), dispose("1"), sizes={APP: 10})
    assert "--max-dispose 1" in detail


def test_disposing_more_than_the_share_of_a_package_is_refused_and_names_the_flag_that_allows_it() -> None:
    detail = refusal(
        Limits(max_dispose_share=0.5), dispose("1", "2"), dispose("1", package="lib"), sizes={APP: 3, LIB: 4}
    )
    assert detail == (
        f"{APP}: the plan disposes 2 of its 3 versions (67%), more than the limit of 50%; "
        "allow it with --max-dispose-share 0.67"
    )


@pytest.mark.parametrize(("count", "held"), [(1, 3), (2, 3), (101, 200), (7, 9), (5, 99), (1, 1), (57, 100)])
def test_the_suggested_share_allows_the_plan_it_refused(count: int, held: int) -> None:
    plan = make_plan(dispose(*(str(i) for i in range(count))))
    with pytest.raises(LimitExceededError) as caught:
        check(plan, Limits(max_dispose=1000, max_dispose_share=0.0), {APP: held})
    suggested = float(caught.value.detail.rsplit(" ", 1)[1])
    check(plan, Limits(max_dispose=1000, max_dispose_share=suggested), {APP: held})


def test_exactly_the_share_is_allowed() -> None:
    check(make_plan(dispose("1", "2")), Limits(max_dispose_share=0.5), {APP: 4})


def test_both_limits_are_reported_at_once() -> None:
    detail = refusal(Limits(max_dispose=1, max_dispose_share=0.5), dispose("0", "1"), sizes={APP: 2})
    assert "--max-dispose 2" in detail
    assert "--max-dispose-share 1.00" in detail


def test_the_share_is_taken_from_live_state_so_editing_the_plans_own_counts_does_not_help() -> None:
    """A plan file's `package_versions` claimed 1,000 versions: the package holds 4 now."""
    plan = make_plan(dispose("0", "1", "2"), package_versions={APP: 1000})
    with pytest.raises(LimitExceededError) as caught:
        check(plan, Limits(max_dispose_share=0.5), {APP: 4})
    assert f"{APP}: the plan disposes 3 of its 4 versions (75%)" in caught.value.detail


def test_versions_already_disposed_count_neither_in_the_share_nor_in_its_base() -> None:
    """A resumed apply: two of the plan's three disposes went through; one of the 3 left goes now."""
    statuses = {"0": "Disposed", "1": "Disposed", "2": "Published", "3": "Published"}
    live = {address(): package(address(), statuses)}
    check_limits(make_plan(dispose("0", "1", "2")), Limits(max_dispose_share=0.5), live)
    with pytest.raises(LimitExceededError, match="disposes 1 of its 2 versions"):
        check_limits(make_plan(dispose("0", "1", "2")), Limits(max_dispose_share=0.4), live)


def test_a_package_absent_from_live_state_has_nothing_the_plan_could_dispose() -> None:
    check(make_plan(dispose("1")), Limits(max_dispose_share=0.0), {})


def test_the_share_counts_only_versions_not_already_disposed() -> None:
    live = LiveState(now=NOW)
    versions = {
        "1.0.0": "Disposed",
        "1.1.0": "Disposed",
        "1.2.0": "Disposed",
        "2.0.0": "Published",
        "2.1.0": "Published",
    }
    live.packages[ref("app")] = package(ref("app"), versions)
    plan = plan_from(
        desired({"format": "npm", "name": "app", "versions": {"2.0.0": "Disposed"}}),
        live,
        "local:test",
        "us-east-1",
    )
    assert plan.package_versions == {APP: 2}
    with pytest.raises(LimitExceededError, match="blast-radius"):
        check_limits(plan, Limits(max_dispose_share=0.4), live.packages)
    check_limits(plan, Limits(max_dispose_share=0.5), live.packages)
