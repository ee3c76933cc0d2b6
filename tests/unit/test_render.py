"""The three views of a plan: text for a terminal, Markdown for a pull request, JSON for machines."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Format, Status
from reconciler.plan import (
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.planfile import plan_digest, plan_from_document
from reconciler.render import (
    RenderFormat,
    code_span,
    escape_markdown,
    render_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)
from tests.refs import package_ref

GOLDEN = Path(__file__).parent.parent / "data" / "golden"
ANSI = re.compile(r"\x1b\[")

WEB_SDK = package_ref(
    domain="acme", repository="prod", format=Format.NPM, namespace="acme", package="web-sdk"
)
TOOLS = package_ref(domain="acme", repository="prod", format=Format.PYPI, package="acme-tools")
CLI = package_ref(
    domain="acme", repository="staging", format=Format.GENERIC, namespace="tools", package="cli"
)
CORE = package_ref(
    domain="platform",
    domain_owner="444455556666",
    repository="releases",
    format=Format.MAVEN,
    namespace="com.acme",
    package="core",
)

PINNED = "pinned at manifests/prod.yaml:9"
KEEP = "rule 1 (newest 3 per major by semver) at manifests/prod.yaml:12 rules[0]"
OLD = "rule 2 (current Published|Unlisted, older than 26w) at manifests/prod.yaml:16 rules[1]"
OTHERWISE = "otherwise: Disposed at manifests/staging.yaml:4"


def change(version: str, prior: Status, after: Status, reason: str, revision: str = "") -> VersionChange:
    return VersionChange(
        version=version,
        prior_status=prior,
        prior_revision=revision or f"rev-{version}",
        after=after,
        reason=reason,
    )


def action(
    kind: ActionKind,
    package: PackageRef,
    changes: list[VersionChange],
    source: str | None = None,
    allow_overwrite: bool = False,
) -> Action:
    first = changes[0]
    return Action(
        kind=kind,
        package=package,
        expected_status=first.prior_status,
        target_status=first.after,
        versions=tuple(changes),
        source_repository=source,
        allow_overwrite=allow_overwrite,
    )


def make_plan(
    actions: list[Action],
    errors: tuple[VersionProblem, ...] = (),
    warnings: tuple[str, ...] = (),
    unchanged: int = 0,
    unmanaged: int = 0,
) -> Plan:
    """A plan as the planner makes it: actions in phases, the summary counted from them."""
    ordered = sorted(actions, key=lambda a: (a.kind.phase, a.package.sort_key()))
    kinds = Counter(a.kind for a in ordered for _ in a.versions)
    return Plan(
        tool_version="0.1.0",
        created_at="2024-05-01T12:00:00+00:00",
        evaluated_at=1714564800.0,
        manifest_digest="sha256:9f2c1e0d4b5a6978",
        manifest_files=("manifests/prod.yaml", "manifests/staging.yaml"),
        targets=(
            TargetIdentity(
                endpoint="http://127.0.0.1:4566",
                region="us-east-1",
                domains={"acme": "111122223333", "platform": "444455556666"},
            ),
        ),
        actions=tuple(ordered),
        errors=errors,
        warnings=warnings,
        summary=Summary(
            to_copy=kinds[ActionKind.COPY],
            to_update=kinds[ActionKind.UPDATE_STATUS],
            to_dispose=kinds[ActionKind.DISPOSE],
            unchanged=unchanged,
            unmanaged=unmanaged,
            errors=len(errors),
        ),
        api_calls={"DescribePackageVersion": 3, "ListPackageVersions": 12, "ListPackages": 2},
    )


def realistic_plan() -> Plan:
    """Four packages in three repositories: promotions, retention, disposal, a warning and an error."""
    p, u, a, d = Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED, Status.DISPOSED
    return make_plan(
        [
            action(
                ActionKind.COPY,
                WEB_SDK,
                [change("2.1.0", p, p, PINNED), change("2.2.0-rc.1", p, p, KEEP)],
                "staging",
            ),
            action(
                ActionKind.UPDATE_STATUS,
                WEB_SDK,
                [
                    change("1.4.0", p, u, OLD),
                    change("1.5.0", p, u, OLD),
                    change("2.2.0-rc.1", p, u, f"{KEEP} (after the copy)"),
                ],
            ),
            action(ActionKind.DISPOSE, WEB_SDK, [change("1.0.0", u, d, OLD), change("1.1.0", u, d, OLD)]),
            action(ActionKind.UPDATE_STATUS, TOOLS, [change("0.8.0", p, a, OLD), change("0.9.0", p, a, OLD)]),
            action(ActionKind.DISPOSE, TOOLS, [change("0.1.0", a, d, OLD)]),
            action(
                ActionKind.DISPOSE,
                CLI,
                [change("build-17", a, d, OTHERWISE), change("build-18", a, d, OTHERWISE)],
            ),
            action(ActionKind.COPY, CORE, [change("3.0.0", p, p, PINNED)], "staging", allow_overwrite=True),
        ],
        errors=(
            VersionProblem(
                package=WEB_SDK,
                version="0.9.0",
                origin="manifests/prod.yaml:10",
                message="cannot converge: Disposed is final (declared Published)",
            ),
        ),
        warnings=(f"{TOOLS}: no version will be left Published",),
        unchanged=2,
        unmanaged=40,
    )


def huge_plan(packages: int = 50, per_package: int = 200) -> Plan:
    """10,000 changes: a retention sweep over many packages, one dispose in every ten."""
    actions = []
    for index in range(packages):
        package = package_ref(
            domain="acme", repository="prod", format=Format.PYPI, package=f"service-{index:03}"
        )
        updates = [
            change(f"1.{n}.0", Status.PUBLISHED, Status.ARCHIVED, OLD) for n in range(per_package) if n % 10
        ]
        disposes = [
            change(f"1.{n}.0", Status.ARCHIVED, Status.DISPOSED, OLD)
            for n in range(per_package)
            if not n % 10
        ]
        for start in range(0, len(updates), 100):
            actions.append(action(ActionKind.UPDATE_STATUS, package, updates[start : start + 100]))
        actions.append(action(ActionKind.DISPOSE, package, disposes))
    return make_plan(actions, unmanaged=7)


def empty_plan() -> Plan:
    return make_plan([], unchanged=12, unmanaged=3)


def check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs; UPDATE_GOLDEN=1 rewrites it"


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("plan.txt", lambda: render_plan_text(realistic_plan())),
        ("plan-summary.txt", lambda: render_plan_text(realistic_plan(), summary_only=True)),
        ("plan.md", lambda: render_plan_markdown(realistic_plan())),
        ("plan.json", lambda: render_plan_json(realistic_plan())),
        ("empty.txt", lambda: render_plan_text(empty_plan())),
    ],
)
def test_views_match_their_golden_files(name: str, render: Callable[[], str]) -> None:
    check_golden(name, render())


@pytest.mark.parametrize("format", get_args(RenderFormat))
def test_the_same_plan_renders_to_identical_bytes(format: RenderFormat) -> None:
    first = render_plan(realistic_plan(), format, color=True)
    assert render_plan(realistic_plan(), format, color=True) == first


def test_render_plan_dispatches_to_each_view() -> None:
    plan = realistic_plan()
    assert render_plan(plan, "text", summary_only=True) == render_plan_text(plan, summary_only=True)
    assert render_plan(plan, "text", color=True) == render_plan_text(plan, color=True)
    assert render_plan(plan, "json") == render_plan_json(plan)
    assert render_plan(plan, "markdown") == render_plan_markdown(plan)


def test_json_round_trips_to_an_equal_plan() -> None:
    plan = realistic_plan()
    rendered = render_plan_json(plan)
    assert plan_from_document(json.loads(rendered)) == plan
    assert rendered.endswith("}\n")
    assert '"to_update": 5' in rendered and '"to_copy": 3' in rendered


def test_json_keys_are_sorted_with_two_space_indent() -> None:
    lines = render_plan_json(empty_plan()).splitlines()
    top_keys = [line.split('"')[1] for line in lines if re.match(r'^  "', line)]
    assert top_keys == sorted(top_keys)
    assert lines[1].startswith('  "')


def test_plain_text_has_no_escape_codes_and_color_adds_them() -> None:
    plan = realistic_plan()
    for summary_only in (False, True):
        assert not ANSI.search(render_plan_text(plan, summary_only=summary_only))
    colored = render_plan_text(plan, color=True)
    assert ANSI.search(colored)
    assert ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", colored)) == render_plan_text(plan)


def test_dispose_lines_are_bold_red_in_color() -> None:
    colored = render_plan_text(realistic_plan(), color=True)
    dispose = next(line for line in colored.splitlines() if "1.0.0" in line)
    assert dispose.startswith("\x1b[1;31m    - 1.0.0")


def test_counts_list_disposes_before_updates_before_copies() -> None:
    text = render_plan_text(realistic_plan())
    assert (
        "Plan: 5 to dispose, 5 to update, 3 to copy (2 as declared, 40 unmanaged, 1 cannot converge)" in text
    )
    assert "acme/prod/npm/acme/web-sdk: 2 to dispose, 3 to update, 2 to copy" in render_plan_text(
        realistic_plan(), summary_only=True
    )
    markdown = render_plan_markdown(realistic_plan())
    assert markdown.index("| to dispose |") < markdown.index("| to update |")


def test_plan_counts_come_before_the_first_change() -> None:
    text = render_plan_text(realistic_plan())
    assert text.index("Plan: ") < text.index("Warning: ") < text.index("Error: ") < text.index("    + 2.1.0")


def test_each_change_line_has_symbol_transition_and_reason() -> None:
    lines = render_plan_text(realistic_plan()).splitlines()
    dispose = next(line for line in lines if " 1.0.0 " in line)
    assert re.fullmatch(r"    - 1\.0\.0 +Unlisted -> Disposed +# rule 2 .* rules\[1\]", dispose)
    copy = next(line for line in lines if " 3.0.0 " in line)
    assert "+ 3.0.0  from staging (Published) -> Published [allow overwrite]" in copy


def test_errors_name_the_version_and_where_it_was_declared() -> None:
    text = render_plan_text(realistic_plan())
    assert "Error: acme/prod/npm/acme/web-sdk@0.9.0: cannot converge: Disposed is final" in text
    assert "  declared at manifests/prod.yaml:10" in text


def test_header_names_the_target_and_the_reads_spent() -> None:
    text = render_plan_text(realistic_plan())
    assert text.startswith("Target: http://127.0.0.1:4566 (region us-east-1)\n")
    assert "Domains: acme (owner 111122223333), platform (owner 444455556666)" in text
    assert "Read with 12 ListPackageVersions, 3 DescribePackageVersion, 2 ListPackages calls" in text


def test_empty_plan_says_live_state_matches() -> None:
    text = render_plan_text(empty_plan())
    assert "No changes. Live state matches the manifests." in text
    assert "Plan:" not in text
    assert "**Reconciler plan: no changes.** Live state matches the manifests" in render_plan_markdown(
        empty_plan()
    )


def test_summary_only_gives_one_line_per_package() -> None:
    text = render_plan_text(realistic_plan(), summary_only=True)
    assert "acme/prod/pypi/acme-tools: 1 to dispose, 2 to update\n" in text
    assert "acme/staging/generic/tools/cli: 2 to dispose\n" in text
    assert "platform/releases/maven/com.acme/core: 1 to copy\n" in text
    assert "2.1.0" not in text


def test_markdown_collapses_only_non_destructive_changes() -> None:
    markdown = render_plan_markdown(realistic_plan())
    assert markdown.count("<details>") == markdown.count("</details>") == 3
    assert "<details><summary><code>acme/prod/pypi/acme-tools</code>: 2 to update</summary>" in markdown
    assert "#### `acme/prod/pypi/acme-tools`: 1 to dispose, 2 to update\n" in markdown
    for details in re.findall(r"<details>.*?</details>", markdown, flags=re.DOTALL):
        assert "dispose**" not in details
    assert "> [!WARNING]" in markdown and "> [!CAUTION]" in markdown


def test_markdown_escapes_table_breaking_and_html_characters() -> None:
    reason = "match a|b <script> `x` at manifests/p.yaml:3 rules[0]"
    package = package_ref(domain="acme", repository="prod", format=Format.GENERIC, namespace="n", package="p")
    plan = make_plan(
        [action(ActionKind.DISPOSE, package, [change("1|`2`<3", Status.ARCHIVED, Status.DISPOSED, reason)])]
    )
    row = next(line for line in render_plan_markdown(plan).splitlines() if line.startswith("| **dispose**"))
    assert row.count(" | ") == 3  # four cells; no pipe of the content splits one
    assert "<script>" not in row and "&lt;script&gt;" in row
    assert r"match a\|b" in row and r"\`x\`" in row
    assert r"``1\|`2`<3``" in row


def test_escape_markdown_keeps_mentions_and_issue_links_from_firing() -> None:
    assert escape_markdown("@acme/web-sdk #12") == "@&#8203;acme/web-sdk #&#8203;12"
    assert escape_markdown("a_b*c*") == r"a\_b\*c\*"


def test_code_span_survives_backticks_at_either_end() -> None:
    assert code_span("1.0") == "`1.0`"
    assert code_span("`x") == "`` `x ``"
    assert code_span("a``b") == "```a``b```"


@pytest.mark.parametrize("name", ["plan.txt", "plan-summary.txt", "plan.md"])
def test_the_views_show_the_digest_of_the_plan_file_they_describe(name: str) -> None:
    """The digest is the SHA-256 of the plan file as written (here, the JSON view's golden file)."""
    digest = hashlib.sha256((GOLDEN / "plan.json").read_bytes()).hexdigest()
    assert digest == plan_digest(realistic_plan())
    assert f"Plan digest (SHA-256): {digest}" in (GOLDEN / name).read_text().replace("`", "")


def test_a_digest_given_to_the_view_is_the_one_shown() -> None:
    assert render_plan(empty_plan(), "text", digest="f" * 64).endswith(f"Plan digest (SHA-256): {'f' * 64}\n")
    assert f"`{'f' * 64}`" in render_plan(empty_plan(), "markdown", digest="f" * 64)
