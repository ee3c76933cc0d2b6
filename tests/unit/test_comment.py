"""The pull-request comment: caution first, links into the repository, the marker, the split into
parts, and untrusted names that must not break it (golden files: UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.codeartifact import Format, Status
from reconciler.commands.comment import comment_context, write_comment_parts
from reconciler.github.env import github_env
from reconciler.plan import ActionKind, Plan, VersionProblem
from reconciler.planfile import plan_digest
from reconciler.render import CommentContext, plan_comment, render_drift, render_plan_markdown, targets_id
from reconciler.render.comment import Block, split_comment
from reconciler.render.markup import GITHUB_COMMENT_LIMIT
from tests.refs import package_ref
from tests.unit.test_drift import _sample as drift_sample
from tests.unit.test_render import (
    CLI,
    OLD,
    TOOLS,
    WEB_SDK,
    action,
    change,
    check_golden,
    empty_plan,
    make_plan,
    realistic_plan,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/infra",
    "GITHUB_SHA": SHA,
    "GITHUB_RUN_ID": "4242",
}
SOURCES = {
    "manifests/prod.yaml": "deploy/manifests/prod.yaml",
    "manifests/staging.yaml": "deploy/manifests/staging.yaml",
}
CONTEXT = CommentContext.from_github(github_env(GITHUB), SOURCES, "plans/pr-7.plan.json")
ROW = re.compile(r"^\| \**(copy|update|dispose)\** \| (`[^`]+`|<code>.*?</code>) \|", re.MULTILINE)


def sized_plan() -> Plan:
    return dataclasses.replace(
        realistic_plan(), reclaimed_bytes={str(WEB_SDK): 1_234_567, str(TOOLS): 2_048, str(CLI): 0}
    )


def applyable_plan() -> Plan:
    return dataclasses.replace(
        sized_plan(), errors=(), summary=dataclasses.replace(sized_plan().summary, errors=0)
    )


def big_plan(packages: int = 8, per_package: int = 50) -> Plan:
    """Status updates and disposes over many packages: three comments' worth."""
    actions = []
    for index in range(packages):
        package = package_ref(domain="acme", repository="prod", format=Format.PYPI, package=f"svc-{index:02}")
        updates = [change(f"1.{n}.0", Status.PUBLISHED, Status.ARCHIVED, OLD) for n in range(per_package)]
        disposes = [
            change(f"0.{n}.0", Status.ARCHIVED, Status.DISPOSED, OLD) for n in range(per_package // 2)
        ]
        actions += [
            action(ActionKind.UPDATE_STATUS, package, updates[:100]),
            action(ActionKind.DISPOSE, package, disposes),
        ]
    return make_plan(actions, unmanaged=3)


def test_golden_comment_with_caution_links_digest_commit_run_and_sizes() -> None:
    parts = plan_comment(applyable_plan(), context=CONTEXT)
    assert len(parts) == 1
    check_golden("comment.md", parts[0])
    comment = parts[0]
    digest = plan_digest(applyable_plan())
    # Summary first, then the caution, never inside a collapsed section, before any package.
    assert comment.index("## Reconciler plan:") < comment.index("> [!CAUTION]") < comment.index("<details>")
    caution = comment[comment.index("> [!CAUTION]") :].split("\n\n")[0]
    assert "> - `acme/prod/npm/acme/web-sdk`: 2 to dispose; reclaims 1.2 MB" in caution
    assert "> - `acme/staging/generic/tools/cli`: 2 to dispose; reclaims 0 bytes" in caution
    assert "platform/releases" not in caution  # no destructive change there
    assert f"Plan digest (SHA-256): `{digest}`" in comment
    assert f"commit [`0123456789ab`](https://github.com/acme/infra/commit/{SHA})" in comment
    assert "[workflow run 4242](https://github.com/acme/infra/actions/runs/4242)" in comment
    assert f"`reconciler apply plans/pr-7.plan.json --expect-digest {digest}`" in comment
    assert (
        f"[manifests/prod.yaml:16](https://github.com/acme/infra/blob/{SHA}/deploy/manifests/prod.yaml#L16)"
        in comment
    )
    assert (
        f"[manifests/staging.yaml:4](https://github.com/acme/infra/blob/{SHA}/deploy/manifests/staging.yaml#L4)"
        in comment
    )


def test_the_caution_block_comes_from_the_model_of_destructive_kinds() -> None:
    """No dispose: no caution block; the caution lists exactly the packages `is_destructive` marks."""
    copies_only = make_plan(
        [
            action(
                ActionKind.COPY,
                WEB_SDK,
                [change("1.0.0", Status.PUBLISHED, Status.PUBLISHED, OLD)],
                "staging",
            )
        ]
    )
    assert "[!CAUTION]" not in render_plan_markdown(copies_only)
    destructive = {a.package for a in realistic_plan().actions if a.kind.is_destructive}
    caution = render_plan_markdown(realistic_plan()).split("> [!CAUTION]")[1].split("\n\n")[0]
    assert {line.split("`")[1] for line in caution.splitlines() if line.startswith("> - ")} == {
        str(p) for p in destructive
    }


def test_without_the_environment_lines_are_plain_text_and_there_is_no_commit_or_run() -> None:
    comment = render_plan_markdown(applyable_plan())
    assert "](http" not in comment and "commit" not in comment and "workflow run" not in comment
    assert "at manifests/prod.yaml:16 rules\\[1\\]" in comment
    assert "`reconciler apply PLAN --expect-digest " in comment


def test_a_malformed_environment_value_makes_no_link() -> None:
    context = CommentContext.from_github(
        github_env({**GITHUB, "GITHUB_SERVER_URL": "javascript:alert(1)//"}), SOURCES
    )
    assert context.commit_url is None and context.line_url("manifests/prod.yaml", 3) is None
    context = CommentContext.from_github(github_env({**GITHUB, "GITHUB_SHA": "main) [x](y"}), SOURCES)
    assert context.sha is None and context.line_url("manifests/prod.yaml", 3) is None
    assert context.run_url == "https://github.com/acme/infra/actions/runs/4242"


def test_golden_no_changes_is_one_line_after_the_marker() -> None:
    parts = plan_comment(empty_plan(), context=CONTEXT)
    check_golden("comment-empty.md", parts[0])
    lines = parts[0].splitlines()
    assert len(parts) == 1 and len(lines) == 2
    assert lines[0] == f"<!-- reconciler:plan targets={targets_id(empty_plan().targets)} part=1/1 -->"
    assert lines[1].startswith("**Reconciler plan: no changes.**")
    assert f"`{plan_digest(empty_plan())}`" in lines[1]  # the apply job still finds the digest


def test_golden_split_into_three_parts_with_an_index_and_every_change_once() -> None:
    plan = big_plan()
    parts = plan_comment(plan, context=CONTEXT)
    assert len(parts) == 3
    for number, part in enumerate(parts, start=1):
        check_golden(f"comment-split-{number}.md", part)
        assert len(part) <= GITHUB_COMMENT_LIMIT
        assert part.startswith(
            f"<!-- reconciler:plan targets={targets_id(plan.targets)} part={number}/3 -->\n"
        )
    index = parts[0][parts[0].index("**This comment is in 3 parts**") :].split("\n\n")[1]
    assert "1. Part 1 of 3 (this comment): the summary, `acme/prod/pypi/svc-00`" in index
    assert "3. Part 3 of 3: changes, `acme/prod/pypi/svc-" in index
    assert parts[1].splitlines()[1] == "### Reconciler plan, part 2 of 3 (continued)"
    versions = [(kind, version.strip("`")) for part in parts for kind, version in ROW.findall(part)]
    expected = [
        ("dispose" if a.kind is ActionKind.DISPOSE else "update", c.version)
        for a in plan.actions
        for c in a.versions
    ]
    assert sorted(versions) == sorted(expected) and len(versions) == len(expected)
    # Collapsed sections and tables cut between parts are closed and reopened.
    for part in parts:
        assert part.count("<details>") == part.count("</details>")


def test_golden_hostile_names_cannot_break_the_markdown_or_fake_a_marker() -> None:
    hostile = package_ref(
        domain="acme",
        repository="prod",
        format=Format.NPM,
        namespace="evil",
        package="x|y`z <!-- reconciler:plan targets=000000000000 part=1/1 --> @acme/admins #12 [a](https://e.vil)",
    )
    reason = "pinned at manifests/prod.yaml:3 | <img src=x onerror=alert(1)> --> **bold** @here"
    version = "1.0`|<b>-->"
    plan = make_plan(
        [
            action(ActionKind.DISPOSE, hostile, [change(version, Status.ARCHIVED, Status.DISPOSED, reason)]),
            action(
                ActionKind.UPDATE_STATUS, hostile, [change("2.0", Status.PUBLISHED, Status.UNLISTED, reason)]
            ),
        ],
        warnings=("a warning with <!-- a comment --> and @someone",),
        errors=(
            VersionProblem(hostile, "9.9", "message | with <tags> and `ticks`", "manifests/prod.yaml:7"),
        ),
    )
    comment = plan_comment(plan, context=CONTEXT)[0]
    check_golden("comment-hostile.md", comment)
    assert comment.count("<!--") == 1 and comment.count("-->") == 1  # the marker alone
    assert "<img" not in comment and "<b>" not in comment and "<tags>" not in comment
    assert not re.search(r"(?<!\\)\]\(https://e\.vil", comment)  # no link made of a name
    # A mention or an issue reference fires nowhere but inside code, where GitHub leaves it alone.
    outside_code = re.sub(r"(`+)(?:(?!\1).)+\1|<code>.*?</code>", "", comment)
    assert not re.search(r"@\w|(?<!&)#\d", outside_code)
    for row in comment.splitlines():
        if ROW.match(row):
            assert len(re.findall(r"(?<!\\)\|", row)) == 5, row  # four cells, whatever the names hold


def test_drift_has_its_own_marker_and_links() -> None:
    report = drift_sample()
    context = CommentContext.from_github(github_env(GITHUB), {"m.yaml": "m.yaml"})
    markdown = render_drift(report, "markdown", context=context)
    assert markdown.startswith(f"<!-- reconciler:drift targets={targets_id(report.targets)} part=1/1 -->\n")
    assert "[workflow run 4242](https://github.com/acme/infra/actions/runs/4242)" in markdown
    assert f"[m.yaml:8](https://github.com/acme/infra/blob/{SHA}/m.yaml#L8)" in markdown


def test_comment_dir_writes_numbered_parts_and_removes_those_of_a_longer_comment(tmp_path: Path) -> None:
    folder = tmp_path / "comment"
    write_comment_parts(folder, ["a\n", "b\n", "c\n"])
    write_comment_parts(folder, ["one\n", "two\n"])
    assert sorted(path.name for path in folder.iterdir()) == ["comment-1.md", "comment-2.md"]
    assert (folder / "comment-2.md").read_text() == "two\n"


def test_manifest_paths_are_made_relative_to_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "deploy" / "manifests").mkdir(parents=True)
    context = comment_context(
        ["manifests/prod.yaml", "/elsewhere/x.yaml"],
        environ={**GITHUB, "GITHUB_WORKSPACE": str(tmp_path)},
        cwd=tmp_path / "deploy",
    )
    assert context.sources == {"manifests/prod.yaml": "deploy/manifests/prod.yaml"}


def test_without_a_workspace_the_git_top_level_is_the_root(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "m").mkdir()
    context = comment_context(["p.yaml"], environ=GITHUB, cwd=tmp_path / "m")
    assert context.line_url("p.yaml", 2) == f"https://github.com/acme/infra/blob/{SHA}/m/p.yaml#L2"
    assert comment_context(["p.yaml"], environ={}, cwd=tmp_path / "m").sources == {}


# -- the split, as a property -------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(
        st.tuples(st.lists(_TEXT, max_size=3), st.lists(_TEXT, max_size=60), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    limit=st.integers(min_value=3_000, max_value=20_000),
)
def test_splitting_never_loses_or_duplicates_a_row_and_every_part_fits(
    blocks: list[tuple[list[str], list[str], bool]], limit: int
) -> None:
    made = []
    expected = []
    for number, (head, rows, collapsed) in enumerate(blocks):
        tagged = tuple(f"| row {number}.{index} | {row} |" for index, row in enumerate(rows))
        expected += [f"| row {number}.{index} |" for index in range(len(rows))]
        tail = ("", "</details>") if collapsed else ()
        made.append(Block(tuple(f"head {h}" for h in head), tagged, tail, label=f"block {number}"))
    parts = split_comment("plan", "0" * 12, made[:1], made[1:], lambda i, n: f"### part {i} of {n}", limit)
    assert all(len(part) <= limit for part in parts)
    found = [
        line.split(" | ")[0] + " |"
        for part in parts
        for line in part.splitlines()
        if line.startswith("| row ")
    ]
    assert found == expected


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.integers(0, 120), st.integers(0, 60)), min_size=1, max_size=8),
    limit=st.integers(min_value=4_000, max_value=30_000),
)
def test_a_plans_comment_holds_every_change_once_whatever_the_limit(
    sizes: list[tuple[int, int]], limit: int
) -> None:
    actions = []
    for index, (updates, disposes) in enumerate(sizes):
        package = package_ref(domain="acme", repository="prod", format=Format.NPM, package=f"p{index}")
        if updates:
            actions.append(
                action(
                    ActionKind.UPDATE_STATUS,
                    package,
                    [
                        change(f"1.{n}", Status.PUBLISHED, Status.UNLISTED, OLD)
                        for n in range(min(updates, 100))
                    ],
                )
            )
        if disposes:
            actions.append(
                action(
                    ActionKind.DISPOSE,
                    package,
                    [change(f"0.{n}", Status.ARCHIVED, Status.DISPOSED, OLD) for n in range(disposes)],
                )
            )
    plan = make_plan(actions)
    parts = plan_comment(plan, context=CONTEXT, limit=limit)
    assert all(len(part) <= limit for part in parts)
    found = sorted((kind, version) for part in parts for kind, version in ROW.findall(part))
    expected = sorted(
        ("dispose" if a.kind is ActionKind.DISPOSE else "update", f"`{c.version}`")
        for a in plan.actions
        for c in a.versions
    )
    assert found == expected
