"""The planner: a pure function of (manifests, live state) -> plan."""

from __future__ import annotations

import pytest

from reconciler.aws.requests import action_request
from reconciler.codeartifact import Status
from reconciler.errors import ManifestError
from reconciler.plan import ActionKind, Plan
from reconciler.planfile import plan_json
from reconciler.planner import make_plan
from reconciler.scope import read_specs, resolve_entries
from reconciler.verify import plan_problems
from tests.unit.planning import NOW, desired, live, package, ref


def plan_for(state_desired, state_live) -> Plan:  # type: ignore[no-untyped-def]
    """The plan, checked as apply checks a plan file: every plan the planner makes is consistent."""
    made = make_plan(state_desired, state_live, endpoint="https://example", region="us-east-1")
    assert plan_problems(made) == []
    return made


def changes(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            action.kind.value,
            str(action.package),
            change.version,
            change.prior_status.value,
            change.after.value,
        )
        for action in plan.actions
        for change in action.versions
    ]


def test_a_pin_that_differs_from_live_becomes_a_guarded_status_update() -> None:
    web = ref("web-sdk", namespace="acme")
    plan = plan_for(
        desired({"format": "npm", "namespace": "acme", "name": "web-sdk", "versions": {"1.0.0": "Unlisted"}}),
        live(package(web, {"1.0.0": "Published", "1.1.0": "Published"})),
    )
    [action] = plan.actions
    assert action.kind is ActionKind.UPDATE_STATUS
    assert action_request(action) == {
        "domain": "acme",
        "repository": "prod",
        "format": "npm",
        "namespace": "acme",
        "package": "web-sdk",
        "versions": ["1.0.0"],
        "versionRevisions": {"1.0.0": "rev-1.0.0"},
        "expectedStatus": "Published",
        "targetStatus": "Unlisted",
    }
    assert plan.summary.to_update == 1 and plan.summary.unmanaged == 1
    assert "pinned at manifests/test.yaml:12" in action.versions[0].reason


def test_a_pin_already_in_its_declared_state_changes_nothing() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "versions": {"1.0.0": "Published"}}),
        live(package(ref("cli"), {"1.0.0": "Published"})),
    )
    assert plan.is_empty and plan.summary.unchanged == 1 and plan.summary.changes == 0


def test_phases_run_copies_then_updates_then_disposes() -> None:
    cli, staging = ref("cli"), ref("cli", repository="staging")
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "versions": {
                    "1.0.0": "Disposed",
                    "1.1.0": "Archived",
                    "2.0.0": {"status": "Published", "copy_from": "staging"},
                },
            }
        ),
        live(
            package(cli, {"1.0.0": "Published", "1.1.0": "Published"}),
            package(staging, {"2.0.0": "Published"}),
        ),
    )
    assert [a.kind for a in plan.actions] == [ActionKind.COPY, ActionKind.UPDATE_STATUS, ActionKind.DISPOSE]
    copy = action_request(plan.actions[0])
    assert copy["sourceRepository"] == "staging" and copy["destinationRepository"] == "prod"
    assert copy["versionRevisions"] == {"2.0.0": "rev-2.0.0"} and "versions" not in copy


def test_a_promoted_version_whose_declared_status_differs_is_copied_then_updated() -> None:
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "versions": {"2.0.0": {"status": "Unlisted", "copy_from": "staging"}},
            }
        ),
        live(package(ref("cli"), {}), package(ref("cli", repository="staging"), {"2.0.0": "Published"})),
    )
    assert changes(plan) == [
        ("copy", "acme/prod/npm/cli", "2.0.0", "Published", "Published"),
        ("update-status", "acme/prod/npm/cli", "2.0.0", "Published", "Unlisted"),
    ]


def test_a_copy_whose_source_version_is_missing_is_a_plan_error() -> None:
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "versions": {"9.9.9": {"status": "Published", "copy_from": "staging"}},
            }
        ),
        live(package(ref("cli"), {}), package(ref("cli", repository="staging"), {"1.0.0": "Published"})),
    )
    assert plan.is_empty and not plan.applyable
    [error] = plan.errors
    assert error.version == "9.9.9" and "staging has no version 9.9.9" in error.message


def test_a_disposed_version_declared_published_cannot_converge() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "versions": {"1.0.0": "Published"}}),
        live(package(ref("cli"), {"1.0.0": "Disposed"})),
    )
    assert [e.message for e in plan.errors] == ["cannot converge: Disposed is final (declared Published)"]


def test_a_plan_that_would_dispose_a_protected_version_is_refused() -> None:
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "rules": [{"match": "*", "status": "Disposed"}],
                "protect": [">=2.0.0"],
            }
        ),
        live(package(ref("cli"), {"1.0.0": "Published", "2.1.0": "Published"})),
    )
    assert not plan.applyable
    assert [(e.version, e.message.split(" (")[0]) for e in plan.errors] == [
        ("2.1.0", "refused: Disposed of a version protected by >=2.0.0")
    ]


def test_a_version_that_does_not_parse_counts_as_protected() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "otherwise": "Disposed", "protect": [">=2.0.0"]}),
        live(package(ref("cli"), {"1.0.0": "Published", "v2.2.0": "Published"})),
    )
    assert [e.version for e in plan.errors] == ["v2.2.0"]


def test_a_promotion_chain_waits_for_the_first_hop_instead_of_failing() -> None:
    state = desired(
        {"format": "npm", "name": "cli", "versions": {"1.1.0": {"status": "Published", "copy_from": "dev"}}},
        repository="staging",
    )
    prod = desired(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"1.1.0": {"status": "Published", "copy_from": "staging"}},
        }
    )
    both = type(state)(entries=state.entries + prod.entries, digest="d", files=state.files)
    plan = plan_for(
        both,
        live(
            package(ref("cli", repository="dev"), {"1.1.0": "Published"}),
            package(ref("cli", repository="staging"), {}),
            package(ref("cli"), {}),
        ),
    )
    assert plan.applyable
    assert changes(plan) == [("copy", "acme/staging/npm/cli", "1.1.0", "Published", "Published")]
    assert any("waits for this plan to copy it into staging" in w for w in plan.warnings)


def test_a_version_declared_disposed_in_the_source_is_not_awaited_by_the_next_hop() -> None:
    # staging declares 1.1.0 Disposed (copied from dev or not, nothing brings it there): prod's
    # promotion from staging can never be served, an error now, not a wait for this plan's copy.
    state = desired(
        {"format": "npm", "name": "cli", "versions": {"1.1.0": {"status": "Disposed", "copy_from": "dev"}}},
        repository="staging",
    )
    prod = desired(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"1.1.0": {"status": "Published", "copy_from": "staging"}},
        }
    )
    both = type(state)(entries=state.entries + prod.entries, digest="d", files=state.files)
    plan = plan_for(
        both,
        live(
            package(ref("cli", repository="dev"), {"1.1.0": "Published"}),
            package(ref("cli", repository="staging"), {}),
            package(ref("cli"), {}),
        ),
    )
    assert not any("waits for this plan to copy it" in w for w in plan.warnings)
    assert [error.message for error in plan.errors] == [
        "cannot converge: copy source staging has no version 1.1.0"
    ]


def test_an_entry_for_a_missing_package_or_an_unmatched_glob_warns() -> None:
    plan = plan_for(
        desired(
            {"format": "npm", "name": "clj", "rules": [{"match": "*", "status": "Archived"}]},
            {"format": "npm", "name": "web-*", "otherwise": "Published"},
        ),
        live(names={"npm": ["cli"]}),
    )
    assert plan.is_empty
    assert any("no package acme/prod/npm/clj" in w for w in plan.warnings)
    assert any("glob 'web-*' matches no npm package" in w for w in plan.warnings)


def test_the_update_that_settles_a_copy_names_the_copy_source() -> None:
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "versions": {"2.0.0": {"status": "Unlisted", "copy_from": "staging"}},
            }
        ),
        live(package(ref("cli"), {}), package(ref("cli", repository="staging"), {"2.0.0": "Published"})),
    )
    settle = plan.actions[1]
    assert settle.kind is ActionKind.UPDATE_STATUS and settle.source_repository == "staging"
    assert "sourceRepository" not in action_request(settle)


def test_keep_latest_per_major_keeps_the_newest_of_each_major_by_semver() -> None:
    versions = dict.fromkeys(
        ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "2.1.0", "2.1.1", "3.0.0-rc.1"], "Published"
    )
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "rules": [
                    {"keep_latest": 2, "per": "major", "prerelease": False, "status": "Published"},
                    {"prerelease": False, "status": "Archived"},
                ],
            }
        ),
        live(package(ref("cli"), versions)),
    )
    archived = [c[2] for c in changes(plan) if c[4] == "Archived"]
    assert archived == ["1.0.0", "2.0.0"]  # 1.10.0 beats 1.2.0 in semver, not in string order
    assert plan.summary.unmanaged == 1  # the pre-release no rule took
    assert plan.actions[0].versions[0].reason == "rule 2 (release) at manifests/test.yaml:10 rules[1]"


def test_keep_latest_reasons_name_the_ordering_they_ranked_by() -> None:
    plan = plan_for(
        desired({"format": "pypi", "name": "data", "rules": [{"keep_latest": 1, "status": "Published"}]}),
        live(package(ref("data", format="pypi"), {"1.0": "Published", "1.0.post1": "Unlisted"})),
    )
    [change] = plan.actions[0].versions
    assert change.version == "1.0.post1"
    assert change.reason == "rule 1 (newest 1 by PEP 440) at manifests/test.yaml:10 rules[0]"


def test_selectors_must_all_hold() -> None:
    versions = {
        "1.0.0": "Published",
        "1.0.1-rc.1": "Published",
        "2.0.0-rc.1": "Published",
        "2.0.0": "Unlisted",
    }
    plan = plan_for(
        desired(
            {
                "format": "npm",
                "name": "cli",
                "rules": [
                    {"match": "*-rc.*", "range": "<1.5.0", "current": ["Published"], "status": "Archived"}
                ],
            }
        ),
        live(package(ref("cli"), versions)),
    )
    assert [c[2] for c in changes(plan)] == ["1.0.1-rc.1"]


def test_older_than_selects_only_versions_published_before_the_threshold() -> None:
    versions = {"1.0.0": "Published", "1.1.0": "Published", "1.2.0": "Published"}
    ages = {"1.0.0": 100.0, "1.1.0": 45.0, "1.2.0": 3.0}
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"older_than": "30d", "status": "Unlisted"}]}),
        live(package(ref("cli"), versions, ages_days=ages)),
    )
    assert [c[2] for c in changes(plan)] == ["1.0.0", "1.1.0"]


def test_newer_than_and_generic_keep_latest_rank_by_publish_time() -> None:
    tool = ref("deploy", format="generic", namespace="tools")
    versions = {
        "build-7": "Published",
        "build-3": "Published",
        "build-9": "Published",
        "nightly": "Published",
    }
    ages = {"build-7": 10.0, "build-3": 40.0, "build-9": 2.0, "nightly": 0.5}
    plan = plan_for(
        desired(
            {
                "format": "generic",
                "namespace": "tools",
                "name": "deploy",
                "rules": [
                    {"newer_than": "1d", "status": "Unlisted"},
                    {"keep_latest": 2, "status": "Published"},
                    {"match": "*", "status": "Archived"},
                ],
            }
        ),
        live(package(tool, versions, ages_days=ages)),
    )
    assert changes(plan) == [
        ("update-status", "acme/prod/generic/tools/deploy", "build-3", "Published", "Archived"),
        ("update-status", "acme/prod/generic/tools/deploy", "nightly", "Published", "Unlisted"),
    ]


def test_otherwise_takes_open_versions_no_pin_or_rule_took() -> None:
    plan = plan_for(
        desired(
            {"format": "pypi", "name": "data", "versions": {"2.0": "Published"}, "otherwise": "Archived"}
        ),
        live(
            package(ref("data", format="pypi"), {"1.0": "Published", "2.0": "Published", "0.9": "Disposed"})
        ),
    )
    assert changes(plan) == [("update-status", "acme/prod/pypi/data", "1.0", "Published", "Archived")]


def test_batches_hold_at_most_100_versions() -> None:
    versions = {f"1.0.{i}": "Published" for i in range(101)}
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"match": "*", "status": "Archived"}]}),
        live(package(ref("cli"), versions)),
    )
    assert [len(a.versions) for a in plan.actions] == [100, 1]
    assert plan.actions[1].versions[0].version == "1.0.100"  # semver order, not string order


def test_exactly_100_versions_make_one_batch() -> None:
    versions = {f"1.0.{i}": "Published" for i in range(100)}
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"match": "*", "status": "Archived"}]}),
        live(package(ref("cli"), versions)),
    )
    assert [len(a.versions) for a in plan.actions] == [100]


def test_batches_split_by_expected_status() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"match": "*", "status": "Archived"}]}),
        live(package(ref("cli"), {"1.0.0": "Published", "1.1.0": "Unlisted", "1.2.0": "Published"})),
    )
    assert [(a.expected_status, [c.version for c in a.versions]) for a in plan.actions] == [
        (Status.PUBLISHED, ["1.0.0", "1.2.0"]),
        (Status.UNLISTED, ["1.1.0"]),
    ]


def test_the_same_inputs_give_a_byte_identical_plan() -> None:
    def build() -> str:
        versions = {f"{m}.{n}.0": "Published" for m in range(1, 4) for n in range(12)}
        return plan_json(
            plan_for(
                desired(
                    {
                        "format": "npm",
                        "name": "cli",
                        "rules": [
                            {"keep_latest": 3, "per": "minor", "status": "Published"},
                            {"match": "*", "status": "Disposed"},
                        ],
                    },
                    {"format": "npm", "name": "web-*", "rules": [{"match": "1.*", "status": "Unlisted"}]},
                ),
                live(
                    package(ref("cli"), dict(reversed(list(versions.items())))),
                    package(ref("web-a"), {"1.0.0": "Published"}),
                    package(ref("web-b"), {"1.0.0": "Published"}),
                    names={"npm": ["web-b", "web-a", "cli"]},
                ),
            )
        )

    assert build() == build()


def test_an_exact_entry_beats_a_glob_entry_for_its_package() -> None:
    plan = plan_for(
        desired(
            {"format": "npm", "name": "web-*", "rules": [{"match": "*", "status": "Archived"}]},
            {"format": "npm", "name": "web-sdk", "versions": {"1.0.0": "Unlisted"}},
        ),
        live(
            package(ref("web-sdk"), {"1.0.0": "Published"}),
            package(ref("web-app"), {"1.0.0": "Published"}),
            names={"npm": ["web-sdk", "web-app"]},
        ),
    )
    assert changes(plan) == [
        ("update-status", "acme/prod/npm/web-app", "1.0.0", "Published", "Archived"),
        ("update-status", "acme/prod/npm/web-sdk", "1.0.0", "Published", "Unlisted"),
    ]


def test_two_globs_matching_one_package_are_an_error_naming_both_places() -> None:
    state = desired(
        {"format": "npm", "name": "web-*", "otherwise": "Published"},
        {"format": "npm", "name": "*-sdk", "otherwise": "Archived"},
    )
    with pytest.raises(ManifestError) as conflict:
        resolve_entries(state, live(names={"npm": ["web-sdk"]}).package_names)
    assert "manifests/test.yaml:30" in conflict.value.problems[0]
    assert "manifests/test.yaml:10" in conflict.value.problems[0]


def test_archiving_every_published_version_warns_and_so_does_moving_the_default() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"match": "*", "status": "Archived"}]}),
        live(package(ref("cli"), {"1.0.0": "Published", "1.1.0": "Published"}, default="1.1.0")),
    )
    assert any("no version will be left Published" in w for w in plan.warnings)
    assert any("by default (1.1.0) becomes Archived" in w for w in plan.warnings)


def test_read_specs_list_each_package_once_and_sort_only_where_ages_matter() -> None:
    state = desired(
        {
            "format": "npm",
            "name": "cli",
            "versions": {"2.0.0": {"status": "Published", "copy_from": "staging"}},
            "rules": [
                {"older_than": "30d", "status": "Unlisted"},
                {"copy_from": "staging", "match": "1.*", "status": "Published"},
            ],
        }
    )
    specs = read_specs(resolve_entries(state, {}), NOW)
    assert [(str(s.ref), s.time_sorted, len(s.thresholds)) for s in specs] == [
        ("acme/prod/npm/cli", True, 1),
        ("acme/staging/npm/cli", False, 0),
    ]


def test_a_promotion_rule_leaves_versions_disposed_in_the_target_alone() -> None:
    plan = plan_for(
        desired({"format": "npm", "name": "cli", "rules": [{"copy_from": "staging", "status": "Published"}]}),
        live(
            package(ref("cli"), {"1.0.0": "Disposed"}),
            package(ref("cli", repository="staging"), {"1.0.0": "Published", "1.1.0": "Published"}),
        ),
    )
    assert plan.applyable
    assert changes(plan) == [("copy", "acme/prod/npm/cli", "1.1.0", "Published", "Published")]


def test_include_from_upstream_finds_a_version_in_the_sources_upstreams() -> None:
    from reconciler.addresses import RepositoryRef

    state = live(
        package(ref("react"), {}),
        package(ref("react", repository="staging"), {}),
        package(ref("react", repository="npm-proxy"), {"18.3.1": "Published"}),
    )
    state.upstream_chains[RepositoryRef("acme", "staging")] = ("npm-proxy",)
    pin = {"status": "Published", "copy_from": "staging", "include_from_upstream": True}
    plan = plan_for(desired({"format": "npm", "name": "react", "versions": {"18.3.1": pin}}), state)
    [action] = plan.actions
    assert action_request(action)["sourceRepository"] == "staging"
    assert action_request(action)["includeFromUpstream"] is True
    assert action_request(action)["versionRevisions"] == {"18.3.1": "rev-18.3.1"}


def test_without_include_from_upstream_a_version_only_upstream_cannot_be_copied() -> None:
    from reconciler.addresses import RepositoryRef

    state = live(
        package(ref("react"), {}),
        package(ref("react", repository="staging"), {}),
        package(ref("react", repository="npm-proxy"), {"18.3.1": "Published"}),
    )
    state.upstream_chains[RepositoryRef("acme", "staging")] = ("npm-proxy",)
    pin = {"status": "Published", "copy_from": "staging"}
    plan = plan_for(desired({"format": "npm", "name": "react", "versions": {"18.3.1": pin}}), state)
    assert [e.message for e in plan.errors] == ["cannot converge: copy source staging has no version 18.3.1"]


def test_a_default_version_already_unlisted_is_no_warning_when_the_plan_leaves_it_alone() -> None:
    # CodeArtifact's default display version is the newest, whatever its status: an empty plan over
    # an Unlisted default says nothing about it.
    plan = plan_for(
        desired(
            {"format": "npm", "name": "cli", "versions": {"2.0.0-rc.1": "Unlisted", "1.0.0": "Published"}}
        ),
        live(package(ref("cli"), {"1.0.0": "Published", "2.0.0-rc.1": "Unlisted"}, default="2.0.0-rc.1")),
    )
    assert plan.is_empty
    assert not any("by default" in w for w in plan.warnings)


# --- accept: live statuses left as they are


def accepting_plan() -> Plan:
    return plan_for(
        desired(
            {
                "format": "npm",
                "name": "app",
                "accept": "Archived",
                "versions": {"0.9.0": "Published"},
                "rules": [{"match": "1.*", "status": "Published", "accept": ["Unlisted"]}],
                "otherwise": "Published",
            }
        ),
        live(
            package(
                ref("app"),
                {
                    "0.9.0": "Archived",  # a pin: the entry's accept covers it
                    "1.0.0": "Unlisted",  # the rule's accept
                    "1.1.0": "Archived",  # the entry's accept reaches the rule's versions too
                    "2.0.0": "Unlisted",  # otherwise: only the entry's accept (Archived)
                    "3.0.0": "Archived",  # otherwise, accepted
                },
            )
        ),
    )


def test_accept_leaves_versions_in_the_live_statuses_it_names() -> None:
    plan = accepting_plan()

    assert changes(plan) == [("update-status", "acme/prod/npm/app", "2.0.0", "Unlisted", "Published")]
    assert plan.summary.accepted == 4
    assert {(a.version, a.live.value, a.declared.value) for a in plan.accepted} == {
        ("0.9.0", "Archived", "Published"),
        ("1.0.0", "Unlisted", "Published"),
        ("1.1.0", "Archived", "Published"),
        ("3.0.0", "Archived", "Published"),
    }
    reasons = {a.version: a.reason for a in plan.accepted}
    assert reasons["1.0.0"].startswith("rule 1 (match 1.*) at ") and reasons["0.9.0"].startswith("pinned at ")


def test_a_plan_without_accepted_versions_writes_no_accepted_keys() -> None:
    plain = plan_for(
        desired({"format": "npm", "name": "app", "versions": {"1.0.0": "Archived"}}),
        live(package(ref("app"), {"1.0.0": "Published"})),
    )
    assert '"accepted"' not in plan_json(plain)  # plan files from before `accept` keep their digest
    assert '"accepted"' in plan_json(accepting_plan())
