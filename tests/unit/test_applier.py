"""`apply_plan`: per-version outcomes from batch answers, SKIPPED retries, phases, and the report."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest

from reconciler.addresses import PackageRef
from reconciler.applier import AMBIGUOUS, ApplyReport, BatchResult, Outcome, apply_plan
from reconciler.codeartifact import Status
from reconciler.plan import Action, ActionKind, Plan
from reconciler.render.apply import apply_report_json
from tests.refs import package_ref
from tests.unit.applying import FakeCodeArtifact, address, copy, dispose, make_plan, update


def outcomes(report: ApplyReport) -> dict[tuple[str, str], tuple[Outcome, str]]:
    return {(item.kind.value, item.version): (item.outcome, item.code) for item in report.outcomes}


def planned_keys(plan: Plan) -> Counter[tuple[ActionKind, PackageRef, str]]:
    return Counter((a.kind, a.package, c.version) for a in plan.actions for c in a.versions)


def reported_keys(report: ApplyReport) -> Counter[tuple[ActionKind, PackageRef, str]]:
    return Counter((item.kind, item.package, item.version) for item in report.outcomes)


def test_skipped_versions_are_retried_in_a_new_guarded_batch_without_the_version_that_failed() -> None:
    service = FakeCodeArtifact()
    service.seed("prod", "app", "1.0.0", "1.1.0", "1.2.0")
    service.versions[("prod", "app", "1.1.0")] = ("Unlisted", "rev-1.1.0")  # moved since the plan
    report = apply_plan(make_plan(update("1.0.0", "1.1.0", "1.2.0")), service)

    first, retry = service.calls_of(ActionKind.UPDATE_STATUS)
    assert first["versions"] == ["1.0.0", "1.1.0", "1.2.0"]
    assert retry["versions"] == ["1.0.0", "1.2.0"]
    assert retry["expectedStatus"] == "Published"
    assert retry["targetStatus"] == "Archived"
    assert retry["versionRevisions"] == {"1.0.0": "rev-1.0.0", "1.2.0": "rev-1.2.0"}
    assert outcomes(report) == {
        ("update-status", "1.0.0"): (Outcome.APPLIED, ""),
        ("update-status", "1.1.0"): (Outcome.MOVED, "MISMATCHED_STATUS"),
        ("update-status", "1.2.0"): (Outcome.APPLIED, ""),
    }
    assert report.calls == 2
    assert service.versions[("prod", "app", "1.0.0")][0] == "Archived"
    assert service.versions[("prod", "app", "1.1.0")][0] == "Unlisted"


def test_mismatched_status_and_revision_are_reported_as_moved_and_never_retried() -> None:
    service = FakeCodeArtifact()
    service.seed("prod", "app", "1.0.0", "1.1.0", "1.2.0")
    service.versions[("prod", "app", "1.1.0")] = ("Unlisted", "rev-1.1.0")
    service.versions[("prod", "app", "1.2.0")] = ("Published", "republished")
    report = apply_plan(make_plan(update("1.0.0", "1.1.0", "1.2.0")), service)

    calls = service.calls_of(ActionKind.UPDATE_STATUS)
    assert [call["versions"] for call in calls] == [["1.0.0", "1.1.0", "1.2.0"], ["1.0.0"]]
    moved = {item.version: item for item in report.outcomes if item.outcome is Outcome.MOVED}
    assert set(moved) == {"1.1.0", "1.2.0"}
    assert moved["1.1.0"].code == "MISMATCHED_STATUS"
    assert moved["1.1.0"].message == "current status: Unlisted, expected status: Published"
    assert moved["1.2.0"].code == "MISMATCHED_REVISION"
    assert not report.succeeded


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ALREADY_EXISTS", "Version 1.1.0 already exists"),
        ("NOT_FOUND", "Could not find version 1.1.0"),
        ("NOT_ALLOWED", "version 1.1.0 is Disposed; its status is final"),
    ],
)
def test_other_per_version_errors_are_failures_with_their_code_and_message(code: str, message: str) -> None:
    def script(action: Action) -> BatchResult | None:
        if "1.1.0" not in [c.version for c in action.versions]:
            return None
        return BatchResult(
            failed={
                c.version: (code, message) if c.version == "1.1.0" else ("SKIPPED", "skipped")
                for c in action.versions
            }
        )

    service = FakeCodeArtifact(script=script)
    service.seed("prod", "app", "1.0.0", "1.1.0")
    report = apply_plan(make_plan(update("1.0.0", "1.1.0")), service)

    failed = [item for item in report.outcomes if item.outcome is Outcome.FAILED]
    assert [(f.version, f.code, f.message) for f in failed] == [("1.1.0", code, message)]
    assert outcomes(report)[("update-status", "1.0.0")] == (Outcome.APPLIED, "")
    assert len(service.requests) == 2


def test_an_error_of_the_whole_call_fails_each_of_its_versions_with_the_aws_code() -> None:
    service = FakeCodeArtifact(
        script=lambda action: BatchResult(error=("AccessDeniedException", "not allowed to update"))
    )
    report = apply_plan(make_plan(update("1.0.0", "1.1.0"), dispose("0.9.0")), service)

    assert [(item.version, item.outcome, item.code, item.message) for item in report.outcomes] == [
        ("1.0.0", Outcome.FAILED, "AccessDeniedException", "not allowed to update"),
        ("1.1.0", Outcome.FAILED, "AccessDeniedException", "not allowed to update"),
        ("0.9.0", Outcome.FAILED, "AccessDeniedException", "not allowed to update"),
    ]
    assert report.calls == 2  # a failed call is not retried by the applier


def test_copied_versions_in_neither_map_were_already_there_and_are_unchanged() -> None:
    service = FakeCodeArtifact()
    service.seed("staging", "app", "2.0.0", "2.1.0")
    service.seed("prod", "app", "2.0.0")  # identical copy already in the destination
    report = apply_plan(make_plan(copy("2.0.0", "2.1.0")), service)

    assert outcomes(report) == {
        ("copy", "2.0.0"): (Outcome.UNCHANGED, ""),
        ("copy", "2.1.0"): (Outcome.APPLIED, ""),
    }
    assert report.succeeded


def test_a_status_change_the_answer_does_not_mention_is_a_failure() -> None:
    service = FakeCodeArtifact(script=lambda action: BatchResult(successful={"1.0.0": "Archived"}))
    report = apply_plan(make_plan(update("1.0.0", "1.1.0")), service)

    assert outcomes(report) == {
        ("update-status", "1.0.0"): (Outcome.APPLIED, ""),
        ("update-status", "1.1.0"): (Outcome.FAILED, "NO_RESULT"),
    }


def test_a_copy_that_arrives_with_another_status_than_planned_is_reported_as_moved() -> None:
    service = FakeCodeArtifact()
    service.seed("staging", "app", "2.0.0", "2.1.0")
    service.versions[("staging", "app", "2.1.0")] = ("Unlisted", "rev-2.1.0")  # same revision, new status
    report = apply_plan(make_plan(copy("2.0.0", "2.1.0"), update("2.1.0", after=Status.UNLISTED)), service)

    result = outcomes(report)
    assert result[("copy", "2.0.0")] == (Outcome.APPLIED, "")
    assert result[("copy", "2.1.0")] == (Outcome.MOVED, "MISMATCHED_STATUS")
    assert result[("update-status", "2.1.0")] == (Outcome.NOT_ATTEMPTED, "")


def test_a_version_whose_copy_failed_is_not_attempted_in_the_update_phase() -> None:
    service = FakeCodeArtifact()
    service.seed("staging", "app", "2.0.0")  # 2.1.0 is missing from the source
    plan = make_plan(
        copy("2.0.0", "2.1.0"),
        update("2.0.0", "2.1.0", after=Status.UNLISTED),
    )
    report = apply_plan(plan, service)

    result = outcomes(report)
    assert result[("copy", "2.1.0")] == (Outcome.FAILED, "NOT_FOUND")
    assert result[("copy", "2.0.0")] == (Outcome.APPLIED, "")
    assert result[("update-status", "2.1.0")] == (Outcome.NOT_ATTEMPTED, "")
    assert result[("update-status", "2.0.0")] == (Outcome.APPLIED, "")
    assert [call["versions"] for call in service.calls_of(ActionKind.UPDATE_STATUS)] == [["2.0.0"]]
    held = next(item for item in report.outcomes if item.outcome is Outcome.NOT_ATTEMPTED)
    assert held.message == "an earlier action on this version did not go through"


def test_versions_given_as_skip_are_not_attempted_and_cost_no_call() -> None:
    service = FakeCodeArtifact()
    service.seed("prod", "app", "1.0.0", "1.1.0")
    report = apply_plan(make_plan(update("1.0.0", "1.1.0")), service, skip={(address("app"), "1.1.0")})

    assert outcomes(report)[("update-status", "1.1.0")] == (Outcome.NOT_ATTEMPTED, "")
    assert [call["versions"] for call in service.calls_of(ActionKind.UPDATE_STATUS)] == [["1.0.0"]]
    assert report.outcomes[1].message == "this version moved since the plan"


def test_a_batch_skipped_entirely_with_no_version_failing_is_not_retried_forever() -> None:
    service = FakeCodeArtifact(
        script=lambda action: BatchResult(failed={c.version: ("SKIPPED", "skipped") for c in action.versions})
    )
    report = apply_plan(make_plan(update("1.0.0", "1.1.0")), service)

    assert report.calls == 1
    assert {item.outcome for item in report.outcomes} == {Outcome.FAILED}


def test_phases_run_in_order_while_packages_run_in_parallel() -> None:
    service = FakeCodeArtifact(delay=0.02)
    packages = [f"pkg{i}" for i in range(6)]
    actions: list[Action] = []
    for name in packages:
        service.seed("staging", name, "2.0.0")
        service.seed("prod", name, "1.0.0", "1.1.0", "0.9.0")
        actions += [copy("2.0.0", package=name), update("1.0.0", package=name)]
        actions += [update("1.1.0", package=name, after=Status.UNLISTED), dispose("0.9.0", package=name)]
    plan = make_plan(*sorted(actions, key=lambda a: a.kind.phase))
    report = apply_plan(plan, service, max_workers=6)

    phases = [kind.phase for kind, _ in service.requests]
    assert phases == sorted(phases)
    assert service.most_active > 1  # packages did overlap
    for name in packages:  # one package's two updates went one after the other, in plan order
        mine = [
            r["targetStatus"] for k, r in service.requests if r["package"] == name and "targetStatus" in r
        ]
        assert mine == ["Archived", "Unlisted"]
    assert report.succeeded
    assert report.count(Outcome.APPLIED) == 4 * len(packages)


def test_every_version_of_the_plan_appears_exactly_once_in_the_report_in_plan_order() -> None:
    service = FakeCodeArtifact(delay=0.005)
    service.seed("staging", "app", "3.0.0")
    service.seed("prod", "app", "1.0.0", "1.1.0", "1.2.0", "0.1.0", "0.2.0")
    service.seed("prod", "lib", "1.0.0", "2.0.0")
    service.versions[("prod", "app", "1.1.0")] = ("Archived", "rev-1.1.0")
    plan = make_plan(
        copy("3.0.0", "3.1.0"),  # 3.1.0 is not in the source: both fail, 3.0.0 skipped then applied
        update("1.0.0", "1.1.0", "1.2.0"),
        update("3.0.0", "3.1.0", after=Status.UNLISTED),
        update("1.0.0", "2.0.0", package="lib"),
        dispose("0.1.0", "0.2.0"),
    )
    report = apply_plan(plan, service, max_workers=4, skip={(address("app"), "0.2.0")})

    assert reported_keys(report) == planned_keys(plan)
    order = [(a.kind, a.package, c.version) for a in plan.actions for c in a.versions]
    assert [(item.kind, item.package, item.version) for item in report.outcomes] == order
    assert report.count(Outcome.MOVED) == 1
    assert report.count(Outcome.FAILED) == 1
    assert report.count(Outcome.NOT_ATTEMPTED) == 2
    versions = apply_report_json(report)["versions"]
    assert isinstance(versions, list)
    assert len(versions) == sum(planned_keys(plan).values())


def test_an_exception_in_one_package_stops_further_calls_and_propagates() -> None:
    started = threading.Event()

    def script(action: Action) -> BatchResult | None:
        if action.package.package == "pkg0":
            started.wait(1)
            raise KeyboardInterrupt
        started.set()
        return None

    service = FakeCodeArtifact(script=script, delay=0.01)
    actions = []
    for i in range(20):
        service.seed("prod", f"pkg{i}", "1.0.0", "1.1.0")
        actions += [update("1.0.0", package=f"pkg{i}"), update("1.1.0", package=f"pkg{i}")]
    with pytest.raises(KeyboardInterrupt):
        apply_plan(make_plan(*actions), service, max_workers=2)

    assert len(service.requests) < 10  # neither the queued packages nor later actions went out


def test_a_plan_without_actions_makes_no_call_and_succeeds() -> None:
    service = FakeCodeArtifact()
    report = apply_plan(make_plan(), service)
    assert (report.outcomes, report.calls, report.succeeded) == ([], 0, True)


def test_a_failed_promotion_keeps_its_source_version_from_being_disposed() -> None:
    from reconciler.codeartifact import Format
    from reconciler.plan import VersionChange

    def address(repository: str) -> PackageRef:
        return package_ref(domain="acme", repository=repository, format=Format.NPM, package="cli")

    change = VersionChange(
        version="1.0.0",
        prior_status=Status.PUBLISHED,
        prior_revision="r",
        after=Status.PUBLISHED,
        reason="pinned",
    )
    disposed = change._replace(after=Status.DISPOSED)
    promote = Action(
        kind=ActionKind.COPY,
        package=address("prod"),
        expected_status=Status.PUBLISHED,
        target_status=Status.PUBLISHED,
        versions=(change,),
        source_repository="staging",
    )
    retire = Action(
        kind=ActionKind.DISPOSE,
        package=address("staging"),
        expected_status=Status.PUBLISHED,
        target_status=Status.DISPOSED,
        versions=(disposed,),
    )
    calls: list[str] = []

    class Refusing:
        def execute(self, action: Action) -> BatchResult:
            calls.append(action.kind.value)
            return BatchResult(error=("AccessDeniedException", "no"))

    report = apply_plan(make_plan(promote, retire), Refusing())
    assert calls == ["copy"]
    assert [(o.kind.value, o.outcome) for o in report.outcomes] == [
        ("copy", Outcome.FAILED),
        ("dispose", Outcome.NOT_ATTEMPTED),
    ]


def test_the_update_that_settles_a_copy_runs_right_after_it_before_other_updates() -> None:
    promote = copy("2.0.0", package="app")
    settle = dataclasses.replace(update("2.0.0", package="app"), source_repository="staging")
    other = update("1.0.0", package="other")
    order: list[tuple[str, str]] = []

    class Recording:
        def execute(self, action: Action) -> BatchResult:
            order.append((action.kind.value, str(action.package)))
            return BatchResult(successful={c.version: c.after.value for c in action.versions})

    report = apply_plan(make_plan(promote, other, settle), Recording(), max_workers=1)
    assert report.succeeded
    assert order[:2] == [("copy", str(promote.package)), ("update-status", str(settle.package))]
    assert order[2] == ("update-status", str(other.package))


def test_a_version_the_executor_could_not_settle_is_moved_never_applied_and_holds_its_later_changes() -> None:
    def script(action: Action) -> BatchResult | None:
        if action.kind is ActionKind.UPDATE_STATUS:
            return BatchResult(failed={"1.0.0": (AMBIGUOUS, "ambiguous: now Archived at revision other")})
        return None

    service = FakeCodeArtifact(script=script)
    service.seed("prod", "app", "1.0.0")
    plan = make_plan(update("1.0.0"), dispose("1.0.0", prior=Status.ARCHIVED))
    report = apply_plan(plan, service)

    assert outcomes(report) == {
        ("update-status", "1.0.0"): (Outcome.MOVED, AMBIGUOUS),
        ("dispose", "1.0.0"): (Outcome.NOT_ATTEMPTED, ""),
    }
    assert service.calls_of(ActionKind.DISPOSE) == []
    assert not report.succeeded
