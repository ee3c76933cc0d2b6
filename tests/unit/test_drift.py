"""`detect_drift` on hand-built plans and live states, and the drift views."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Format, Status
from reconciler.drift import DriftItem, DriftKind, DriftReport, detect_drift
from reconciler.plan import (
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.render import drift_comment, render_drift
from reconciler.render.markup import GITHUB_COMMENT_LIMIT
from reconciler.state import LiveState, PackageState, VersionState
from reconciler.text import format_duration
from tests.refs import package_ref
from tests.unit.planning import NOW, ref

HOUR = 3600.0
WEB_SDK = package_ref(domain="acme", repository="prod", format=Format.NPM, package="web-sdk")
CLI = package_ref(domain="acme", repository="prod", format=Format.NPM, package="acme-cli")


def change(version: str, prior: Status, after: Status, reason: str = "pinned at m.yaml:9") -> VersionChange:
    return VersionChange(
        version=version, prior_status=prior, prior_revision=f"rev-{version}", after=after, reason=reason
    )


def action(
    kind: ActionKind, *changes: VersionChange, package: PackageRef = WEB_SDK, source: str | None = None
) -> Action:
    first = changes[0]
    return Action(
        kind=kind,
        package=package,
        expected_status=first.prior_status,
        target_status=first.after,
        versions=changes,
        source_repository=source,
    )


def plan(
    *actions: Action, errors: tuple[VersionProblem, ...] = (), unchanged: int = 0, unmanaged: int = 0
) -> Plan:
    return Plan(
        tool_version="0.1.0",
        created_at="2027-01-15T08:00:00+00:00",
        evaluated_at=NOW,
        manifest_digest="sha256:test",
        manifest_files=("m.yaml",),
        targets=(
            TargetIdentity(endpoint="local:test.db", region="us-east-1", domains={"acme": "111122223333"}),
        ),
        actions=actions,
        errors=errors,
        summary=Summary(unchanged=unchanged, unmanaged=unmanaged, errors=len(errors)),
        api_calls={"ListPackageVersions": 2},
    )


def by_time(
    repository: str, newest_first: list[tuple[str, Status]], within: int, grace: float
) -> PackageState:
    """A package listed by publish time whose `within` newest versions were published in the last `grace`."""
    versions = {
        version: VersionState(version, f"rev-{version}", status, time_rank=rank)
        for rank, (version, status) in enumerate(newest_first)
    }
    return PackageState(ref("web-sdk", repository=repository), versions, None, True, {NOW - grace: within})


def live_with(*states: PackageState) -> LiveState:
    live = LiveState(now=NOW)
    for state in states:
        live.packages[state.ref] = state
    return live


def test_a_plan_without_changes_or_errors_is_no_drift() -> None:
    report = detect_drift(plan(unchanged=5, unmanaged=3))

    assert not report.has_drift
    assert report.items == ()
    assert (report.unchanged, report.unmanaged, report.within_grace) == (5, 3, 0)
    assert report.counts() == {DriftKind.CANNOT_CONVERGE: 0, DriftKind.STATUS: 0, DriftKind.MISSING: 0}


def test_status_updates_and_disposes_are_versions_with_the_wrong_status() -> None:
    report = detect_drift(
        plan(
            action(ActionKind.UPDATE_STATUS, change("2.0.0", Status.PUBLISHED, Status.UNLISTED)),
            action(
                ActionKind.DISPOSE, change("1.0.0", Status.ARCHIVED, Status.DISPOSED, "rule 1 at m.yaml:12")
            ),
        )
    )

    assert report.items == (
        DriftItem(
            kind=DriftKind.STATUS,
            package=WEB_SDK,
            version="1.0.0",
            live=Status.ARCHIVED,
            declared=Status.DISPOSED,
            reason="rule 1 at m.yaml:12",
        ),
        DriftItem(
            kind=DriftKind.STATUS,
            package=WEB_SDK,
            version="2.0.0",
            live=Status.PUBLISHED,
            declared=Status.UNLISTED,
            reason="pinned at m.yaml:9",
        ),
    )


def test_a_copy_is_a_missing_promotion_that_must_reach_the_status_the_update_after_it_sets() -> None:
    copied = change("2.4.0", Status.PUBLISHED, Status.PUBLISHED)
    settled = change("2.4.0", Status.PUBLISHED, Status.UNLISTED, "pinned at m.yaml:9 (after the copy)")
    report = detect_drift(
        plan(
            action(ActionKind.COPY, copied, source="staging"),
            action(ActionKind.UPDATE_STATUS, settled),
        )
    )

    assert report.items == (
        DriftItem(
            kind=DriftKind.MISSING,
            package=WEB_SDK,
            version="2.4.0",
            live=None,
            declared=Status.UNLISTED,
            reason="pinned at m.yaml:9",
            source_repository="staging",
            source_status=Status.PUBLISHED,
        ),
    )


def test_a_copy_alone_declares_the_status_the_copy_arrives_with() -> None:
    report = detect_drift(
        plan(action(ActionKind.COPY, change("2.4.0", Status.UNLISTED, Status.UNLISTED), source="staging"))
    )

    (item,) = report.items
    assert (item.kind, item.declared, item.source_status) == (
        DriftKind.MISSING,
        Status.UNLISTED,
        Status.UNLISTED,
    )


def test_a_plan_error_is_a_version_that_cannot_converge_with_its_live_status() -> None:
    problem = VersionProblem(
        package=WEB_SDK,
        version="1.1.1",
        message="cannot converge: Disposed is final (declared Published)",
        origin="m.yaml:9",
    )
    live = live_with(by_time("prod", [("1.1.1", Status.DISPOSED)], 0, HOUR))

    with_live = detect_drift(plan(errors=(problem,)), live)
    without_live = detect_drift(plan(errors=(problem,)))

    (item,) = with_live.items
    assert item.kind is DriftKind.CANNOT_CONVERGE
    assert (item.live, item.declared) == (Status.DISPOSED, None)
    assert item.reason == "cannot converge: Disposed is final (declared Published), declared at m.yaml:9"
    assert without_live.items[0].live is None


def test_items_are_in_package_order_then_in_the_formats_version_order() -> None:
    report = detect_drift(
        plan(
            action(
                ActionKind.UPDATE_STATUS,
                change("1.10.0", Status.PUBLISHED, Status.UNLISTED),
                change("1.9.0", Status.PUBLISHED, Status.UNLISTED),
            ),
            action(ActionKind.UPDATE_STATUS, change("0.1.0", Status.PUBLISHED, Status.ARCHIVED), package=CLI),
        )
    )

    assert [(item.package.package, item.version) for item in report.items] == [
        ("acme-cli", "0.1.0"),
        ("web-sdk", "1.9.0"),
        ("web-sdk", "1.10.0"),
    ]
    assert [address.package for address, _ in report.packages()] == ["acme-cli", "web-sdk"]


def test_a_version_published_within_the_grace_period_is_counted_not_listed() -> None:
    live = live_with(by_time("prod", [("2.1.0", Status.PUBLISHED), ("2.0.0", Status.PUBLISHED)], 1, 2 * HOUR))
    drifted = plan(
        action(
            ActionKind.UPDATE_STATUS,
            change("2.0.0", Status.PUBLISHED, Status.UNLISTED),
            change("2.1.0", Status.PUBLISHED, Status.UNLISTED),
        )
    )

    report = detect_drift(drifted, live, 2 * HOUR)

    assert [item.version for item in report.items] == ["2.0.0"]
    assert (report.within_grace, report.grace_seconds) == (1, 2 * HOUR)


def test_a_report_whose_only_drift_is_within_grace_is_in_sync() -> None:
    live = live_with(by_time("prod", [("2.1.0", Status.PUBLISHED)], 1, HOUR))
    drifted = plan(action(ActionKind.UPDATE_STATUS, change("2.1.0", Status.PUBLISHED, Status.UNLISTED)))

    report = detect_drift(drifted, live, HOUR)

    assert not report.has_drift
    assert report.within_grace == 1


def test_a_missing_promotion_is_judged_by_the_publish_time_of_its_source_version() -> None:
    staging = by_time("staging", [("2.5.0", Status.PUBLISHED), ("2.4.0", Status.PUBLISHED)], 1, HOUR)
    drifted = plan(
        action(
            ActionKind.COPY,
            change("2.4.0", Status.PUBLISHED, Status.PUBLISHED),
            change("2.5.0", Status.PUBLISHED, Status.PUBLISHED),
            source="staging",
        )
    )

    report = detect_drift(drifted, live_with(staging), HOUR)

    assert [item.version for item in report.items] == ["2.4.0"]
    assert report.within_grace == 1


def test_a_version_that_cannot_converge_is_judged_by_a_copy_source_when_the_target_lacks_it() -> None:
    staging = by_time("staging", [("2.5.0", Status.UNFINISHED)], 1, HOUR)
    problem = VersionProblem(
        package=WEB_SDK,
        version="2.5.0",
        message="cannot converge: staging has it Unfinished, which cannot be copied",
        origin="m.yaml:9",
    )

    report = detect_drift(plan(errors=(problem,)), live_with(staging), HOUR)

    assert (report.items, report.within_grace) == ((), 1)


def test_a_version_that_cannot_converge_is_not_judged_by_the_same_package_of_another_region() -> None:
    # A run of several Regions: a domain of one name in two Regions is two domains, so the other
    # Region's copy of the version says nothing of when this one was published.
    here = dataclasses.replace(
        WEB_SDK, repository=dataclasses.replace(WEB_SDK.repository, region="us-east-1")
    )
    elsewhere = by_time("staging", [("2.5.0", Status.UNFINISHED)], 1, HOUR)
    elsewhere = dataclasses.replace(
        elsewhere,
        ref=dataclasses.replace(
            elsewhere.ref, repository=dataclasses.replace(elsewhere.ref.repository, region="eu-west-1")
        ),
    )
    problem = VersionProblem(
        package=here,
        version="2.5.0",
        message="cannot converge: staging has it Unfinished, which cannot be copied",
        origin="m.yaml:9",
    )

    report = detect_drift(plan(errors=(problem,)), live_with(elsewhere), HOUR)

    assert [(item.package, item.version) for item in report.items] == [(here, "2.5.0")]
    assert report.within_grace == 0


def test_a_version_whose_publish_time_was_not_read_is_reported_even_with_grace() -> None:
    unsorted = PackageState(
        ref("web-sdk"), {"2.1.0": VersionState("2.1.0", "rev", Status.PUBLISHED)}, None, False, {}
    )
    drifted = plan(action(ActionKind.UPDATE_STATUS, change("2.1.0", Status.PUBLISHED, Status.UNLISTED)))

    report = detect_drift(drifted, live_with(unsorted), HOUR)

    assert [item.version for item in report.items] == ["2.1.0"]
    assert report.within_grace == 0


def _sample() -> DriftReport:
    problem = VersionProblem(
        package=WEB_SDK, version="1.1.1", message="cannot converge: Disposed is final", origin="m.yaml:8"
    )
    live = live_with(by_time("prod", [("1.1.1", Status.DISPOSED), ("2.0.0", Status.PUBLISHED)], 0, HOUR))
    return detect_drift(
        plan(
            action(ActionKind.COPY, change("2.4.0", Status.PUBLISHED, Status.PUBLISHED), source="staging"),
            action(ActionKind.UPDATE_STATUS, change("2.0.0", Status.PUBLISHED, Status.UNLISTED)),
            errors=(problem,),
            unchanged=4,
            unmanaged=7,
        ),
        live,
        HOUR,
    )


def test_the_text_view_lists_one_line_per_version_grouped_by_repository_and_package() -> None:
    assert render_drift(_sample(), "text") == (
        "Target: local:test.db (region us-east-1)\n"
        "Domains: acme (owner 111122223333)\n"
        "Read with 2 ListPackageVersions calls\n"
        "Checked 2027-01-15T08:00:00+00:00 against m.yaml\n"
        "\n"
        "Drift: 3 versions differ from the manifests (1 cannot converge, 1 wrong status, 1 not promoted).\n"
        "Versions: 4 as declared, 7 unmanaged, 0 within grace (1h).\n"
        "\n"
        "Repository acme/prod:\n"
        "\n"
        "  npm web-sdk  (1 cannot converge, 1 wrong status, 1 not promoted)\n"
        "    ! 1.1.1  live Disposed                                           "
        "# cannot converge: Disposed is final, declared at m.yaml:8\n"
        "    ~ 2.0.0  live Published, declared Unlisted                       # pinned at m.yaml:9\n"
        "    + 2.4.0  missing (staging has it Published), declared Published  # pinned at m.yaml:9\n"
    )


def test_the_json_view_holds_every_field_with_sorted_keys() -> None:
    text = render_drift(_sample(), "json")

    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2) + "\n"
    assert data["has_drift"] is True
    assert data["counts"] == {
        "cannot_converge": 1,
        "wrong_status": 1,
        "not_promoted": 1,
        "as_declared": 4,
        "unmanaged": 7,
        "within_grace": 0,
    }
    assert _report_from_json({k: v for k, v in data.items() if k not in ("has_drift", "counts")}) == (
        _sample()
    )


def _report_from_json(data: dict[str, Any]) -> DriftReport:
    """The report the JSON view describes, field by field."""

    def status(value: str | None) -> Status | None:
        return Status(value) if value is not None else None

    items = tuple(
        DriftItem(
            kind=DriftKind(item["kind"]),
            package=package_ref(**{**item["package"], "format": Format(item["package"]["format"])}),
            version=item["version"],
            live=status(item["live"]),
            declared=status(item["declared"]),
            reason=item["reason"],
            source_repository=item["source_repository"],
            source_status=status(item["source_status"]),
        )
        for item in data["items"]
    )
    return DriftReport(
        checked_at=data["checked_at"],
        targets=(TargetIdentity(**data["target"]),),
        manifest_files=tuple(data["manifest_files"]),
        items=items,
        unchanged=data["as_declared"],
        unmanaged=data["unmanaged"],
        within_grace=data["within_grace"],
        grace_seconds=data["grace_seconds"],
        api_calls=data["api_calls"],
    )


def test_the_markdown_view_escapes_what_github_would_render() -> None:
    scoped = package_ref(domain="acme", repository="prod", format=Format.NPM, namespace="acme", package="sdk")
    report = detect_drift(
        plan(
            action(
                ActionKind.UPDATE_STATUS,
                change("1.0.0", Status.PUBLISHED, Status.UNLISTED, "rule *1*"),
                package=scoped,
            )
        )
    )

    text = render_drift(report, "markdown")

    assert "| wrong status | `1.0.0` | Published | Unlisted | rule \\*1\\* |" in text
    assert "<code>acme/prod/npm/acme/sdk</code>: 1 drifted version</summary>" in text


def test_the_markdown_view_of_a_huge_report_is_split_into_parts_that_each_fit_a_comment() -> None:
    items = tuple(
        DriftItem(
            kind=DriftKind.STATUS,
            package=dataclasses.replace(WEB_SDK, package=f"package-{index:05d}"),
            version=f"1.0.{patch}",
            live=Status.PUBLISHED,
            declared=Status.ARCHIVED,
            reason="rule 1 (match 1.0.*) at manifests/a-rather-long-path/prod.yaml:12 rules[0]",
        )
        for index in range(1000)
        for patch in range(5)
    )
    report = detect_drift(plan()).with_items(items)

    parts = drift_comment(report)

    assert len(parts) > 1
    assert all(len(part) <= GITHUB_COMMENT_LIMIT for part in parts)
    assert all(part.startswith("<!-- reconciler:drift targets=") for part in parts)
    assert [re.search(r"part=(\d+)/(\d+) -->", part).groups() for part in parts] == [  # type: ignore[union-attr]
        (str(number), str(len(parts))) for number in range(1, len(parts) + 1)
    ]
    assert parts[0].split("\n")[1] == "## Reconciler drift: 5000 versions differ from the manifests"
    rows = [line for part in parts for line in part.splitlines() if line.startswith("| wrong status |")]
    assert len(rows) == 5000
    sections = [line for part in parts for line in part.splitlines() if line.startswith("<details>")]
    assert len({re.sub(r" \(continued\)", "", line) for line in sections}) == 1000
    assert render_drift(report, "markdown") == "\n---\n\n".join(parts)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (7200, "2h"),
        (90 * 86400, "90d"),
        (2 * 604800, "2w"),
        (1800, "30m"),
        (45, "45s"),
        (0, "0s"),
        (5400, "90m"),
    ],
)
def test_a_duration_is_shown_in_the_largest_unit_that_divides_it(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
