"""The rule engine (`reconciler.rules.evaluate`): the declared status of each version of one package
entry, why, and from where, one level below the planner.

Pins first; then rules top to bottom, each taking versions no pin or earlier rule took; then
`otherwise`. Expected results follow docs/manifest.md.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reconciler.codeartifact import Status
from reconciler.models import DeclaredEntry, Origin
from reconciler.rules import REGEX_TIMEOUT, Decision, Evaluation, RegexTimeoutError, evaluate
from reconciler.state import PackageState
from tests.unit.planning import NOW, desired, package, ref

# Formats whose packages need a namespace get one; the others get none.
NAMESPACES = {"maven": "com.acme", "generic": "tools", "swift": "acme"}
CLOSED = ["Unfinished", "Disposed", "Deleted"]
# The age thresholds `package(..., ages_days=...)` locates exactly.
THRESHOLD_DAYS = [1, 7, 14, 30, 60, 90, 180, 365]

ENTRY_ORIGIN = "manifests/test.yaml:10"  # where `desired` says the (first) entry was written
PIN_ORIGIN = "manifests/test.yaml:12"  # ... and each of its pins


def declared(format: str = "npm", /, **fields: Any) -> DeclaredEntry:
    spec: dict[str, Any] = {"format": format, "name": "cli", **fields}
    if format in NAMESPACES:
        spec["namespace"] = NAMESPACES[format]
    return desired(spec).entries[0]


def state(
    format: str, versions: dict[str, str], *, ages: dict[str, float] | None = None, repository: str = "prod"
) -> PackageState:
    package_ref = ref("cli", format=format, namespace=NAMESPACES.get(format), repository=repository)
    return package(package_ref, versions, ages_days=ages)


def run(
    format: str,
    live: dict[str, str],
    /,
    *,
    ages: dict[str, float] | None = None,
    sources: dict[str, PackageState | None] | None = None,
    **fields: Any,
) -> Evaluation:
    """Evaluate one entry (`fields`: versions, rules, otherwise) against the target package whose versions
    and live statuses are `live`."""
    return evaluate(declared(format, **fields), state(format, live, ages=ages), sources or {}, NOW)


def published(*versions: str) -> dict[str, str]:
    return dict.fromkeys(versions, "Published")


def statuses(evaluation: Evaluation) -> dict[str, str]:
    return {version: decision.status.value for version, decision in evaluation.decisions.items()}


def taken_by(evaluation: Evaluation, rule_number: int) -> set[str]:
    prefix = f"rule {rule_number} ("
    return {v for v, d in evaluation.decisions.items() if d.reason.startswith(prefix)}


# --- precedence ----------------------------------------------------------------------------------


def test_a_pin_beats_every_rule_and_otherwise() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "1.1.0", "1.2.0"),
        versions={"1.0.0": "Unlisted"},
        rules=[{"match": "*", "status": "Archived"}],
        otherwise="Disposed",
    )
    assert statuses(evaluation) == {"1.0.0": "Unlisted", "1.1.0": "Archived", "1.2.0": "Archived"}
    assert evaluation.decisions["1.0.0"] == Decision(Status.UNLISTED, "pinned", PIN_ORIGIN)


def test_a_pin_carries_its_promotion_options() -> None:
    pin = {
        "status": "Published",
        "copy_from": "staging",
        "allow_overwrite": True,
        "include_from_upstream": True,
    }
    evaluation = run("npm", {}, versions={"2.0.0": pin}, rules=[{"match": "*", "status": "Archived"}])
    assert evaluation.decisions == {
        "2.0.0": Decision(
            Status.PUBLISHED,
            "pinned",
            PIN_ORIGIN,
            copy_from="staging",
            allow_overwrite=True,
            include_from_upstream=True,
        )
    }


@pytest.mark.parametrize("live_status", ["Published", *CLOSED])
def test_a_pin_decides_its_version_whatever_the_live_status(live_status: str) -> None:
    # Closed statuses keep rules and `otherwise` away, not pins: the planner judges whether a pin can converge.
    evaluation = run("npm", {"1.0.0": live_status}, versions={"1.0.0": "Archived"}, otherwise="Published")
    assert statuses(evaluation) == {"1.0.0": "Archived"}
    assert evaluation.decisions["1.0.0"].reason == "pinned"


def test_pins_are_decided_even_without_a_target_package() -> None:
    evaluation = evaluate(
        declared(versions={"1.0.0": "Published"}, rules=[{"status": "Archived"}], otherwise="Archived"),
        None,
        {},
        NOW,
    )
    assert statuses(evaluation) == {"1.0.0": "Published"}


def test_rules_apply_top_to_bottom_each_taking_only_undecided_versions() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "1.1.0", "2.0.0", "3.0.0"),
        rules=[
            {"match": "1.*", "status": "Unlisted"},
            {"match": ["1.*", "2.*"], "status": "Archived"},
            {"match": "*", "status": "Disposed"},
        ],
    )
    assert statuses(evaluation) == {
        "1.0.0": "Unlisted",
        "1.1.0": "Unlisted",
        "2.0.0": "Archived",
        "3.0.0": "Disposed",
    }
    assert [taken_by(evaluation, n) for n in (1, 2, 3)] == [{"1.0.0", "1.1.0"}, {"2.0.0"}, {"3.0.0"}]


def test_a_ranking_ranks_only_what_pins_and_earlier_rules_left() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "1.1.0", "1.2.0", "2.0.0"),
        versions={"2.0.0": "Unlisted"},
        rules=[{"match": "1.2.*", "status": "Archived"}, {"keep_latest": 1, "status": "Published"}],
    )
    # The newest undecided version is 1.1.0; 1.0.0 is left to nobody.
    assert statuses(evaluation) == {"2.0.0": "Unlisted", "1.2.0": "Archived", "1.1.0": "Published"}


@pytest.mark.parametrize("otherwise", ["Published", "Unlisted", "Archived", "Disposed"])
def test_otherwise_takes_the_open_versions_no_pin_or_rule_took(otherwise: str) -> None:
    versions = {
        "1.0.0": "Published",
        "1.1.0": "Unlisted",
        "1.2.0": "Archived",
        "2.0.0": "Published",
        "3.0.0": "Published",
        "0.1.0": "Unfinished",
        "0.2.0": "Disposed",
        "0.3.0": "Deleted",
    }
    evaluation = run(
        "npm",
        versions,
        versions={"3.0.0": "Published"},
        rules=[{"match": "2.*", "status": "Unlisted"}],
        otherwise=otherwise,
    )
    assert statuses(evaluation) == {
        "3.0.0": "Published",
        "2.0.0": "Unlisted",
        "1.0.0": otherwise,
        "1.1.0": otherwise,
        "1.2.0": otherwise,
    }
    rest = evaluation.decisions["1.0.0"]
    assert rest == Decision(Status(otherwise), f"otherwise: {otherwise}", ENTRY_ORIGIN)
    assert evaluation.decisions["1.1.0"] is rest and evaluation.decisions["1.2.0"] is rest


@pytest.mark.parametrize("fields", [{}, {"otherwise": "ignore"}], ids=["default", "explicit"])
def test_otherwise_ignore_leaves_the_rest_undecided(fields: dict[str, Any]) -> None:
    evaluation = run(
        "npm", published("1.0.0", "2.0.0"), rules=[{"match": "2.*", "status": "Archived"}], **fields
    )
    assert statuses(evaluation) == {"2.0.0": "Archived"}


def test_without_a_target_package_neither_rules_nor_otherwise_decide_anything() -> None:
    evaluation = evaluate(declared(rules=[{"status": "Archived"}], otherwise="Archived"), None, {}, NOW)
    assert evaluation == Evaluation({}, ())


# --- closed statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize("closed", CLOSED)
def test_rules_and_otherwise_never_take_closed_versions(closed: str) -> None:
    versions = {"1.0.0": closed, "1.1.0": "Published"}
    for rules in ([{"status": "Archived"}], [{"match": "*", "status": "Archived"}], []):
        evaluation = run("npm", versions, rules=rules, otherwise="Unlisted")
        assert "1.0.0" not in evaluation.decisions, rules
        assert "1.1.0" in evaluation.decisions, rules


@pytest.mark.parametrize("closed", CLOSED)
def test_a_rule_whose_current_names_a_closed_status_takes_those_versions(closed: str) -> None:
    evaluation = run(
        "npm",
        {"1.0.0": closed, "1.1.0": "Published", "1.2.0": "Unlisted"},
        rules=[{"current": [closed, "Unlisted"], "status": "Published"}],
    )
    assert statuses(evaluation) == {"1.0.0": "Published", "1.2.0": "Published"}


# --- selectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "versions", "selectors", "expected"),
    [
        pytest.param(
            "npm",
            published("1.0.0", "1.0.1-rc.1", "2.0.0-rc.2", "2.0.0"),
            {"match": "*-rc.*"},
            {"1.0.1-rc.1", "2.0.0-rc.2"},
            id="match-glob",
        ),
        pytest.param(
            "npm",
            published("1.0.0", "1.0.1-rc.1", "2.0.0-rc.2", "2.0.0"),
            {"match": ["1.*", "*-rc.2"]},
            {"1.0.0", "1.0.1-rc.1", "2.0.0-rc.2"},
            id="match-any-glob-of-a-list",
        ),
        pytest.param(
            "npm",
            published("1.0.0", "1.0.1", "1.0.10", "1.1.0"),
            {"match": "1.0.?"},
            {"1.0.0", "1.0.1"},
            id="match-whole-string",
        ),
        pytest.param(
            "npm",
            published("1.0.0", "1.0.0-rc.1", "v1.0.0"),
            {"regex": r"\d+\.\d+\.\d+"},
            {"1.0.0"},  # a search would also take the other two
            id="regex-full-match",
        ),
        pytest.param(
            "generic",
            published("build-7", "build-12", "nightly-3"),
            {"regex": r"build-\d"},
            {"build-7"},
            id="regex-full-match-generic",
        ),
        pytest.param(
            "npm",
            published("1.1.9", "1.2.0", "1.9.9", "2.0.0", "v1.5.0"),
            {"range": "^1.2.0"},
            {"1.2.0", "1.9.9"},  # v1.5.0 does not parse: no range contains it
            id="range-npm-caret",
        ),
        pytest.param(
            "npm",
            published("1.9.0", "2.0.0-rc.1", "2.0.0"),
            {"range": "<2.0.0"},
            {"1.9.0", "2.0.0-rc.1"},  # npm ranges do not hide pre-releases
            id="range-npm-keeps-prereleases",
        ),
        pytest.param(
            "npm",
            published("1.9.0", "2.0.0-rc.1", "2.0.0"),
            {"range": "<2.0.0-0"},
            {"1.9.0"},
            id="range-npm-excluding-prereleases",
        ),
        pytest.param(
            "pypi",
            published("0.9", "1.0", "1.5.post1", "2.0rc1", "2.0"),
            {"range": ">=1.0,<2"},
            {"1.0", "1.5.post1"},  # PEP 440: <2 excludes 2.0rc1
            id="range-pypi",
        ),
        pytest.param(
            "pypi",
            published("1.3", "1.4", "1.4.5", "1.9", "2.0"),
            {"range": "~=1.4"},
            {"1.4", "1.4.5", "1.9"},
            id="range-pypi-compatible",
        ),
        pytest.param(
            "maven",
            published("0.9", "1.0", "1.5", "2.0"),
            {"range": "[1.0,2.0)"},
            {"1.0", "1.5"},
            id="range-maven",
        ),
        pytest.param(
            "nuget",
            published("0.9", "1.0", "3.0"),
            {"range": "1.0"},
            {"1.0", "3.0"},  # a bare NuGet version is a minimum
            id="range-nuget-bare",
        ),
        pytest.param(
            "ruby",
            published("1.1", "1.2", "1.9", "2.0"),
            {"range": "~> 1.2"},
            {"1.2", "1.9"},
            id="range-ruby",
        ),
        pytest.param(
            "cargo",
            published("1.1.0", "1.2.0", "1.9.0", "2.0.0"),
            {"range": "1.2"},
            {"1.2.0", "1.9.0"},  # a bare Cargo version is a caret
            id="range-cargo-bare",
        ),
        pytest.param(
            "npm",
            published("1.0.0", "1.1.0-rc.1", "v2.0.0-rc.1"),
            {"prerelease": True},
            {"1.1.0-rc.1"},
            id="prerelease-npm",
        ),
        pytest.param(
            "npm",
            published("1.0.0", "1.1.0-rc.1", "v2.0.0"),
            {"prerelease": False},
            {"1.0.0"},  # a version that does not parse is neither
            id="release-npm",
        ),
        pytest.param(
            "pypi",
            published("1.0", "1.0.post1", "1.1a1", "1.1rc1", "1.2.dev0"),
            {"prerelease": True},
            {"1.1a1", "1.1rc1", "1.2.dev0"},
            id="prerelease-pypi",
        ),
        pytest.param(
            "pypi",
            published("1.0", "1.0.post1", "1.1a1", "1.1rc1", "1.2.dev0"),
            {"prerelease": False},
            {"1.0", "1.0.post1"},  # post-releases are releases
            id="release-pypi",
        ),
        pytest.param(
            "maven",
            published("1.0", "1.1-SNAPSHOT", "1.2-rc1", "1.3-beta"),
            {"prerelease": True},
            {"1.1-SNAPSHOT", "1.2-rc1", "1.3-beta"},
            id="prerelease-maven",
        ),
        pytest.param(
            "generic",
            published("build-1", "build-2-rc"),
            {"prerelease": True},
            set(),  # generic versions have no pre-release: neither selector takes them
            id="prerelease-generic",
        ),
        pytest.param(
            "generic",
            published("build-1", "build-2-rc"),
            {"prerelease": False},
            set(),
            id="release-generic",
        ),
        pytest.param(
            "npm",
            {"1.0.0": "Published", "1.1.0": "Unlisted", "1.2.0": "Archived", "1.3.0": "Disposed"},
            {"current": "Unlisted"},
            {"1.1.0"},
            id="current-one",
        ),
        pytest.param(
            "npm",
            {"1.0.0": "Published", "1.1.0": "Unlisted", "1.2.0": "Archived", "1.3.0": "Disposed"},
            {"current": ["Archived", "Published"]},
            {"1.0.0", "1.2.0"},
            id="current-list",
        ),
        pytest.param(
            "npm",
            {
                "1.0.0": "Published",
                "1.0.1-rc.1": "Published",
                "1.4.0-rc.1": "Unlisted",
                "2.0.0-rc.1": "Published",
            },
            {"match": "*-rc.*", "range": "<1.5.0", "current": "Published"},
            {"1.0.1-rc.1"},
            id="all-selectors-must-hold",
        ),
        pytest.param(
            "npm",
            {"1.0.0": "Published", "1.1.0": "Unlisted", "1.2.0": "Archived", "1.3.0": "Unfinished"},
            {},
            {"1.0.0", "1.1.0", "1.2.0"},
            id="no-selector-every-open-version",
        ),
    ],
)
def test_each_selector_takes_exactly_the_versions_it_describes(
    format: str, versions: dict[str, str], selectors: dict[str, Any], expected: set[str]
) -> None:
    evaluation = run(format, versions, rules=[{**selectors, "status": "Disposed"}])
    assert set(evaluation.decisions) == expected
    assert evaluation.notes == ()


AGES = {"1.0.0": 100.0, "1.1.0": 45.0, "1.2.0": 10.0, "1.3.0": 3.0, "1.4.0": 0.5}


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ({"older_than": "30d"}, {"1.0.0", "1.1.0"}),
        ({"older_than": "2w"}, {"1.0.0", "1.1.0"}),
        ({"older_than": "7d"}, {"1.0.0", "1.1.0", "1.2.0"}),
        ({"newer_than": "7d"}, {"1.3.0", "1.4.0"}),
        ({"newer_than": "1d"}, {"1.4.0"}),
        ({"older_than": "7d", "newer_than": "60d"}, {"1.1.0", "1.2.0"}),
        ({"older_than": "365d"}, set()),
    ],
)
def test_older_than_and_newer_than_select_by_publish_time(
    selectors: dict[str, Any], expected: set[str]
) -> None:
    evaluation = run("npm", published(*AGES), ages=AGES, rules=[{**selectors, "status": "Archived"}])
    assert set(evaluation.decisions) == expected


@pytest.mark.parametrize("days", THRESHOLD_DAYS)
def test_older_than_and_newer_than_the_same_age_split_the_versions_in_two(days: int) -> None:
    def select(selector: str) -> set[str]:
        rules = [{selector: f"{days}d", "status": "Archived"}]
        return set(run("npm", published(*AGES), ages=AGES, rules=rules).decisions)

    older, newer = select("older_than"), select("newer_than")
    assert older.isdisjoint(newer)
    assert older | newer == set(AGES)
    assert all(AGES[v] > days for v in older) and all(AGES[v] < days for v in newer)


def test_a_version_whose_age_was_not_read_is_neither_older_nor_newer() -> None:
    for selector in ("older_than", "newer_than"):
        evaluation = run("npm", published(*AGES), rules=[{selector: "30d", "status": "Archived"}])
        assert evaluation.decisions == {}, selector


ORIGINS = {"1.0.0": "INTERNAL", "1.1.0": "EXTERNAL", "1.2.0": "UNKNOWN", "2.0.0": "EXTERNAL"}


def with_origins(origins: dict[str, str]) -> PackageState:
    """A package whose versions (all Published) came in as `origins` says."""
    base = state("npm", published(*origins))
    return dataclasses.replace(
        base,
        versions={v: base.versions[v]._replace(origin_type=origin) for v, origin in origins.items()},
    )


@pytest.mark.parametrize(
    ("origin", "selected"),
    [
        ("INTERNAL", {"1.0.0"}),
        ("EXTERNAL", {"1.1.0", "2.0.0"}),
        ("UNKNOWN", {"1.2.0"}),
        (["INTERNAL", "EXTERNAL"], {"1.0.0", "1.1.0", "2.0.0"}),
    ],
)
def test_origin_selects_versions_by_how_they_came_into_the_repository(
    origin: str | list[str], selected: set[str]
) -> None:
    entry = declared(rules=[{"origin": origin, "status": "Unlisted"}])
    evaluation = evaluate(entry, with_origins(ORIGINS), {}, NOW)
    assert set(evaluation.decisions) == selected


def test_origin_combines_with_the_other_selectors_and_the_ranking() -> None:
    # The newest EXTERNAL version stays; older cached ones are unlisted; INTERNAL builds are untouched.
    entry = declared(
        rules=[
            {"origin": "EXTERNAL", "keep_latest": 1, "status": "Published"},
            {"origin": "EXTERNAL", "status": "Unlisted"},
        ]
    )
    evaluation = evaluate(entry, with_origins(ORIGINS), {}, NOW)
    assert statuses(evaluation) == {"2.0.0": "Published", "1.1.0": "Unlisted"}


# --- keep_latest ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "versions", "keep", "expected"),
    [
        # Listed in scrambled order: the ranking must not follow the listing, nor string order.
        pytest.param(
            "npm", ["1.9.0", "1.10.0", "2.0.0-rc.1", "1.2.0"], 2, {"2.0.0-rc.1", "1.10.0"}, id="npm"
        ),
        pytest.param("cargo", ["0.9.0", "1.10.0", "1.9.0"], 1, {"1.10.0"}, id="cargo"),
        pytest.param("swift", ["10.0.0", "9.0.0", "1.0.0"], 1, {"10.0.0"}, id="swift"),
        pytest.param("pypi", ["1.0", "0.9", "1.0.post1", "1.0rc1"], 2, {"1.0.post1", "1.0"}, id="pypi"),
        pytest.param("pypi", ["2.0", "1!0.5", "1.10"], 1, {"1!0.5"}, id="pypi-epoch"),
        pytest.param("maven", ["1.10-SNAPSHOT", "1.9", "1.10"], 2, {"1.10", "1.10-SNAPSHOT"}, id="maven"),
        pytest.param("nuget", ["1.0.0", "1.0.0.1", "1.0.0-beta"], 1, {"1.0.0.1"}, id="nuget"),
        pytest.param("ruby", ["1.10.a", "1.9", "1.10"], 1, {"1.10"}, id="ruby"),
    ],
)
def test_keep_latest_takes_the_newest_by_the_formats_version_order(
    format: str, versions: list[str], keep: int, expected: set[str]
) -> None:
    evaluation = run(
        format,
        published(*versions),
        rules=[{"keep_latest": keep, "status": "Published"}, {"status": "Archived"}],
    )
    assert taken_by(evaluation, 1) == expected
    assert taken_by(evaluation, 2) == set(versions) - expected  # the others go on to the next rule


@pytest.mark.parametrize(
    ("format", "per", "versions", "keep", "expected"),
    [
        pytest.param(
            "npm",
            "major",
            ["1.0.0", "1.5.0", "1.10.0", "2.0.0", "2.3.0", "3.1.0"],
            2,
            {"1.10.0", "1.5.0", "2.3.0", "2.0.0", "3.1.0"},
            id="npm-major",
        ),
        pytest.param(
            "npm",
            "minor",
            ["1.0.0", "1.0.5", "1.1.0", "1.1.2", "2.1.0"],
            1,
            {"1.0.5", "1.1.2", "2.1.0"},  # 1.1 and 2.1 are different minor lines
            id="npm-minor",
        ),
        pytest.param(
            "pypi",
            "major",
            ["1.0", "1.5", "2.0", "1!1.0", "1!1.5"],
            1,
            {"1.5", "2.0", "1!1.5"},  # 1!1.x is not major 1
            id="pypi-major-epoch",
        ),
        pytest.param(
            "pypi",
            "minor",
            ["1.0.0", "1.0.3", "1.1.0", "1!1.0.0", "1!1.0.2"],
            1,
            {"1.0.3", "1.1.0", "1!1.0.2"},  # 1!1.0 is not minor 1.0
            id="pypi-minor-epoch",
        ),
        pytest.param(
            "maven",
            "major",
            ["1.0", "1.4", "1.5-SNAPSHOT", "2.0-beta"],
            1,
            {"1.5-SNAPSHOT", "2.0-beta"},
            id="maven-major",
        ),
    ],
)
def test_keep_latest_per_major_or_minor_keeps_the_newest_of_each_line(
    format: str, per: str, versions: list[str], keep: int, expected: set[str]
) -> None:
    evaluation = run(
        format, published(*versions), rules=[{"keep_latest": keep, "per": per, "status": "Published"}]
    )
    assert set(evaluation.decisions) == expected


def test_keep_latest_by_published_ranks_by_publish_time_not_version() -> None:
    ages = {"3.0.0": 100.0, "1.0.0": 1.0, "2.0.0": 5.0, "v4.0.0": 0.5}
    evaluation = run(
        "npm",
        published(*ages),
        ages=ages,
        rules=[{"keep_latest": 2, "by": "published", "status": "Published"}],
    )
    assert set(evaluation.decisions) == {"v4.0.0", "1.0.0"}
    assert evaluation.notes == ()  # ranking by time needs no parsing


def test_keep_latest_per_major_by_published_ranks_each_line_by_publish_time() -> None:
    ages = {"1.0.0": 2.0, "1.1.0": 50.0, "2.0.0": 60.0, "2.1.0": 3.0}
    evaluation = run(
        "npm",
        published(*ages),
        ages=ages,
        rules=[{"keep_latest": 1, "per": "major", "by": "published", "status": "Published"}],
    )
    assert set(evaluation.decisions) == {"1.0.0", "2.1.0"}


@pytest.mark.parametrize("by", [{}, {"by": "published"}], ids=["default", "explicit"])
def test_generic_keep_latest_ranks_by_publish_time(by: dict[str, str]) -> None:
    ages = {"build-7": 10.0, "build-3": 40.0, "build-9": 2.0, "nightly": 0.5}
    evaluation = run(
        "generic",
        published(*ages),
        ages=ages,
        rules=[{"keep_latest": 2, **by, "status": "Published"}, {"match": "*", "status": "Archived"}],
    )
    assert statuses(evaluation) == {
        "nightly": "Published",
        "build-9": "Published",
        "build-7": "Archived",
        "build-3": "Archived",
    }
    assert evaluation.notes == ()


# --- versions a ranking cannot parse -------------------------------------------------------------


def test_versions_that_do_not_parse_are_left_to_the_next_rule_and_noted() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "2.0.0", "v3.0.0"),
        rules=[{"keep_latest": 1, "status": "Published"}, {"match": "*", "status": "Archived"}],
    )
    assert statuses(evaluation) == {"2.0.0": "Published", "1.0.0": "Archived", "v3.0.0": "Archived"}
    assert evaluation.notes == (
        f"{ENTRY_ORIGIN} rules[0]: keep_latest ranked by semver; 1 version(s) that do not parse "
        "were left to the next rule: v3.0.0",
    )


@pytest.mark.parametrize(
    ("count", "listed", "suffix"),
    [
        (1, "v1.0.0", ""),
        (5, "v1.0.0, v1.0.1, v1.0.2, v1.0.3, v1.0.4", ""),
        (6, "v1.0.0, v1.0.1, v1.0.2, v1.0.3, v1.0.4", " ..."),
        (9, "v1.0.0, v1.0.1, v1.0.2, v1.0.3, v1.0.4", " ..."),
    ],
)
def test_the_note_names_at_most_five_versions(count: int, listed: str, suffix: str) -> None:
    unparsable = [f"v1.0.{i}" for i in reversed(range(count))]  # the note sorts them
    evaluation = run(
        "npm",
        published("2.0.0", *unparsable),
        rules=[{"keep_latest": 3, "per": "major", "status": "Published"}],
    )
    assert set(evaluation.decisions) == {"2.0.0"}
    [note] = evaluation.notes
    assert note.endswith(f"{count} version(s) that do not parse were left to the next rule: {listed}{suffix}")


def test_each_ranking_rule_notes_what_it_skipped_under_its_own_origin() -> None:
    evaluation = run(
        "pypi",
        published("1.0", "nightly", "latest"),
        rules=[
            {"match": "n*", "keep_latest": 1, "status": "Published"},
            {"keep_latest": 1, "status": "Unlisted"},
            {"status": "Archived"},
        ],
    )
    assert statuses(evaluation) == {"1.0": "Unlisted", "nightly": "Archived", "latest": "Archived"}
    assert [note.split(": keep_latest ranked by PEP 440; ")[0] for note in evaluation.notes] == [
        f"{ENTRY_ORIGIN} rules[0]",
        f"{ENTRY_ORIGIN} rules[1]",
    ]
    assert evaluation.notes[0].endswith(": nightly")
    assert evaluation.notes[1].endswith(": latest, nightly")


def test_rules_without_a_ranking_take_unparsable_versions_and_note_nothing() -> None:
    evaluation = run(
        "npm", published("1.0", "v1.0.0", "1.0.0"), rules=[{"match": "*1.0*", "status": "Archived"}]
    )
    assert set(evaluation.decisions) == {"1.0", "v1.0.0", "1.0.0"}
    assert evaluation.notes == ()


# --- copy_from -----------------------------------------------------------------------------------


def staging(versions: dict[str, str], ages: dict[str, float] | None = None) -> dict[str, PackageState | None]:
    return {"staging": state("npm", versions, ages=ages, repository="staging")}


def test_a_promotion_rule_selects_among_the_source_versions() -> None:
    source = {
        "1.0.0": "Published",
        "1.1.0": "Unlisted",
        "2.0.0": "Published",
        "3.0.0": "Unfinished",
        "0.9.0": "Disposed",
    }
    evaluation = run(
        "npm",
        published("1.0.0", "9.0.0"),
        sources=staging(source),
        rules=[{"copy_from": "staging", "allow_overwrite": True, "status": "Published"}],
    )
    # 9.0.0 is only in the target; the source's closed versions stay out of reach.
    assert set(evaluation.decisions) == {"1.0.0", "1.1.0", "2.0.0"}
    decision = evaluation.decisions["1.1.0"]
    assert (decision.copy_from, decision.allow_overwrite, decision.include_from_upstream) == (
        "staging",
        True,
        False,
    )


def test_a_promotion_rules_current_reads_the_source_status() -> None:
    evaluation = run(
        "npm",
        {"1.1.0": "Published", "1.2.0": "Unlisted"},
        sources=staging({"1.1.0": "Unlisted", "1.2.0": "Published", "1.3.0": "Unlisted"}),
        rules=[{"copy_from": "staging", "current": "Unlisted", "status": "Published"}],
    )
    assert set(evaluation.decisions) == {"1.1.0", "1.3.0"}


def test_a_promotion_rules_ages_and_ranking_read_the_source() -> None:
    ages = {"1.0.0": 100.0, "1.1.0": 45.0, "1.2.0": 3.0}
    evaluation = run(
        "npm",
        published("1.2.0"),
        sources=staging(published(*ages), ages),
        rules=[
            {"copy_from": "staging", "older_than": "30d", "keep_latest": 1, "status": "Published"},
            {"copy_from": "staging", "include_from_upstream": True, "status": "Unlisted"},
        ],
    )
    assert statuses(evaluation) == {"1.1.0": "Published", "1.0.0": "Unlisted", "1.2.0": "Unlisted"}
    assert evaluation.decisions["1.0.0"].include_from_upstream is True


@pytest.mark.parametrize("final", ["Disposed", "Deleted"])
def test_a_promotion_rule_never_takes_a_version_final_in_the_target(final: str) -> None:
    sources = staging(published("1.0.0", "1.1.0", "1.2.0"))
    target = {"1.2.0": final, "1.1.0": "Published"}
    every = run("npm", target, sources=sources, rules=[{"copy_from": "staging", "status": "Published"}])
    assert set(every.decisions) == {"1.0.0", "1.1.0"}
    # Out of reach before the ranking: the newest the rule can take is 1.1.0.
    newest = run(
        "npm",
        target,
        sources=sources,
        rules=[{"copy_from": "staging", "keep_latest": 1, "status": "Published"}],
    )
    assert set(newest.decisions) == {"1.1.0"}


def test_a_promotion_rule_without_a_target_package_takes_from_the_source() -> None:
    evaluation = evaluate(
        declared(
            rules=[{"copy_from": "staging", "match": "1.*", "status": "Published"}], otherwise="Archived"
        ),
        None,
        staging(published("1.0.0", "2.0.0")),
        NOW,
    )
    assert statuses(evaluation) == {"1.0.0": "Published"}


@pytest.mark.parametrize(
    "sources", [{}, {"staging": None}], ids=["source-not-read", "source-has-no-such-package"]
)
def test_a_promotion_rule_with_no_source_package_takes_nothing(
    sources: dict[str, PackageState | None],
) -> None:
    evaluation = run(
        "npm",
        published("1.0.0"),
        sources=sources,
        rules=[{"copy_from": "staging", "status": "Published"}, {"status": "Archived"}],
    )
    assert statuses(evaluation) == {"1.0.0": "Archived"}
    assert evaluation.decisions["1.0.0"].reason.startswith("rule 2 (")


def test_a_pin_and_an_earlier_rule_beat_a_promotion_rule() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "1.1.0"),
        sources=staging(published("1.0.0", "1.1.0", "1.2.0")),
        versions={"1.0.0": "Unlisted"},
        rules=[{"match": "1.1.*", "status": "Archived"}, {"copy_from": "staging", "status": "Published"}],
    )
    assert statuses(evaluation) == {"1.0.0": "Unlisted", "1.1.0": "Archived", "1.2.0": "Published"}
    assert evaluation.decisions["1.1.0"].copy_from is None
    assert evaluation.decisions["1.2.0"].copy_from == "staging"


# --- reasons and origins -------------------------------------------------------------------------


REASON_VERSIONS = {"1.0.0-rc.1": "Published", "1.0.0": "Published", "2.0.0": "Unlisted"}
REASON_AGES = {"1.0.0-rc.1": 40.0, "1.0.0": 35.0, "2.0.0": 0.5}


@pytest.mark.parametrize(
    ("selectors", "described"),
    [
        ({}, "every open version"),
        ({"match": "*-rc.*"}, "match *-rc.*"),
        ({"match": ["*-rc.*", "2.*"]}, "match *-rc.* | 2.*"),
        ({"regex": r"\d+\.0\.0"}, r"regex \d+\.0\.0"),
        ({"range": "<2.0.0"}, "range <2.0.0"),
        ({"prerelease": True}, "pre-release"),
        ({"prerelease": False}, "release"),
        ({"current": "Unlisted"}, "current Unlisted"),
        ({"current": ["Published", "Unlisted"]}, "current Published|Unlisted"),
        ({"origin": "INTERNAL"}, "origin INTERNAL"),
        ({"origin": ["UNKNOWN", "INTERNAL"]}, "origin UNKNOWN|INTERNAL"),
        ({"older_than": "30d"}, "older than 30d"),
        ({"older_than": "2w"}, "older than 2w"),
        ({"newer_than": "1d"}, "newer than 1d"),
        ({"copy_from": "staging"}, "from staging"),
        ({"keep_latest": 1}, "newest 1 by semver"),
        ({"keep_latest": 2, "per": "major"}, "newest 2 per major by semver"),
        ({"keep_latest": 1, "per": "minor", "by": "published"}, "newest 1 per minor by publish time"),
        ({"keep_latest": 3, "by": "version"}, "newest 3 by semver"),
        (
            {
                "keep_latest": 1,
                "copy_from": "staging",
                "older_than": "30d",
                "current": "Published",
                "prerelease": True,
                "range": "<2.0.0",
                "regex": ".*rc.*",
                "match": "*-rc.*",
            },
            "match *-rc.*, regex .*rc.*, range <2.0.0, pre-release, current Published, older than 30d, "
            "from staging, newest 1 by semver",
        ),
    ],
)
def test_a_rule_decision_gives_the_rule_number_and_describes_its_selectors(
    selectors: dict[str, Any], described: str
) -> None:
    sources = staging(REASON_VERSIONS, REASON_AGES)
    evaluation = run(
        "npm",
        REASON_VERSIONS,
        ages=REASON_AGES,
        sources=sources,
        versions={"9.9.9": "Published"},
        rules=[{"match": "9.*", "status": "Archived"}, {**selectors, "status": "Archived"}],
    )
    taken = {d.reason for v, d in evaluation.decisions.items() if v != "9.9.9"}
    assert taken == {f"rule 2 ({described})"}


@pytest.mark.parametrize(
    ("format", "version", "ordering"),
    [
        ("npm", "1.0.0", "semver"),
        ("swift", "1.0.0", "semver"),
        ("cargo", "1.0.0", "semver (Cargo)"),
        ("pypi", "1.0", "PEP 440"),
        ("maven", "1.0", "Maven"),
        ("nuget", "1.0.0", "NuGet"),
        ("ruby", "1.0", "RubyGems"),
        ("generic", "build-1", "publish time"),
    ],
)
def test_a_ranking_reason_names_the_ordering_it_used(format: str, version: str, ordering: str) -> None:
    evaluation = run(
        format, published(version), ages={version: 1.0}, rules=[{"keep_latest": 1, "status": "Published"}]
    )
    assert evaluation.decisions[version].reason == f"rule 1 (newest 1 by {ordering})"


def test_origins_name_the_line_of_the_rule_or_pin_or_entry_that_decided() -> None:
    entry = dataclasses.replace(
        declared(
            versions={"3.0.0": "Published"},
            rules=[{"match": "1.*", "status": "Unlisted"}, {"match": "2.*", "status": "Archived"}],
            otherwise="Disposed",
        ),
        rule_origins=(Origin("manifests/test.yaml", 15), Origin("manifests/test.yaml", 18)),
    )
    evaluation = evaluate(entry, state("npm", published("1.0.0", "2.0.0", "3.0.0", "4.0.0")), {}, NOW)
    assert {v: d.origin for v, d in evaluation.decisions.items()} == {
        "1.0.0": "manifests/test.yaml:15 rules[0]",
        "2.0.0": "manifests/test.yaml:18 rules[1]",
        "3.0.0": PIN_ORIGIN,
        "4.0.0": ENTRY_ORIGIN,
    }


def test_without_their_own_lines_rules_and_pins_fall_back_to_the_entrys_line() -> None:
    entry = dataclasses.replace(
        declared(
            versions={"3.0.0": "Published"},
            rules=[{"match": "1.*", "status": "Unlisted"}, {"match": "2.*", "status": "Archived"}],
        ),
        pin_origins={},
    )
    evaluation = evaluate(entry, state("npm", published("1.0.0", "2.0.0", "3.0.0")), {}, NOW)
    assert {v: d.origin for v, d in evaluation.decisions.items()} == {
        "1.0.0": f"{ENTRY_ORIGIN} rules[0]",
        "2.0.0": f"{ENTRY_ORIGIN} rules[1]",
        "3.0.0": ENTRY_ORIGIN,
    }


def test_every_version_one_rule_takes_shares_one_decision() -> None:
    evaluation = run(
        "npm",
        published("1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"),
        rules=[{"match": "1.*", "status": "Archived"}, {"match": "2.*", "status": "Archived"}],
    )
    first, second = evaluation.decisions["1.0.0"], evaluation.decisions["2.0.0"]
    assert evaluation.decisions["1.1.0"] is first and evaluation.decisions["1.2.0"] is first
    assert evaluation.decisions["2.1.0"] is second
    assert first is not second and first != second  # same status, different rule
    assert first == Decision(Status.ARCHIVED, "rule 1 (match 1.*)", f"{ENTRY_ORIGIN} rules[0]")


# --- regular expressions cannot hang a run -------------------------------------------------------


def test_a_regex_that_runs_out_of_time_stops_the_run_naming_its_rule_pattern_and_version() -> None:
    # (a|aa)+b backtracks along every way of splitting the a's (Fibonacci-many): the time bound stops it.
    slow = "a" * 40
    entry = dataclasses.replace(
        declared(
            "generic",
            rules=[{"match": "z*", "status": "Archived"}, {"regex": "(a|aa)+b", "status": "Unlisted"}],
        ),
        rule_origins=(Origin("manifests/test.yaml", 15), Origin("manifests/test.yaml", 18)),
    )
    with pytest.raises(RegexTimeoutError) as raised:
        evaluate(entry, state("generic", published("ab", slow)), {}, NOW)
    error = raised.value
    assert isinstance(
        error.__cause__, TimeoutError
    )  # raised by the time bound, not by a check of the pattern
    assert error.problems == [
        f"manifests/test.yaml:18: rules[1].regex: the regular expression '(a|aa)+b' did not finish within "
        f"{REGEX_TIMEOUT:g} s on version '{slow}'; it backtracks without bound (nested repetition such as "
        "(a|aa)+ or (x+)+): write it so that each character can be matched one way only"
    ]
    assert str(error).startswith("1 problem in the manifests\nmanifests/test.yaml:18: rules[1].regex:")
