"""The manifest format's models: every key, its defaults, and every rule they enforce."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from reconciler.codeartifact import Format, Status
from reconciler.manifest import json_schema
from reconciler.models import (
    ERROR_AT,
    Manifest,
    PackageEntry,
    Pin,
    Promotion,
    Rule,
    Target,
    regex_weight,
)


def entry(**fields: Any) -> PackageEntry:
    return PackageEntry.model_validate({"format": "npm", "name": "web-sdk", **fields})


def rule(**fields: Any) -> Rule:
    return Rule.model_validate({"status": "Archived", **fields})


def error(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The one validation error `data` gives, with its location as the manifest loader extends it."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    (only,) = raised.value.errors()
    found = dict(only)
    if only["type"] == ERROR_AT:
        found["loc"] = (*only["loc"], *only["ctx"]["at"])
        found["msg"] = only["ctx"]["message"]
    return found


# --- Manifest and Target


def test_a_manifest_needs_the_exact_api_version_and_kind() -> None:
    base = {"target": {"domain": "acme", "repository": "prod"}, "packages": []}
    assert Manifest.model_validate({"apiVersion": "reconciler/v1", "kind": "PackageLifecycle", **base})
    assert error(Manifest, {"apiVersion": "v1", "kind": "PackageLifecycle", **base})["loc"] == ("apiVersion",)
    assert error(Manifest, {"apiVersion": "reconciler/v1", "kind": "LocalSeed", **base})["loc"] == ("kind",)


def test_a_target_needs_a_domain_and_a_repository_and_may_name_owner_and_region() -> None:
    target = Target(domain="acme", repository="prod")
    assert (target.domain_owner, target.region) == (None, None)
    full = Target(domain="acme", domain_owner="111122223333", region="eu-west-1", repository="prod")
    assert (full.domain_owner, full.region) == ("111122223333", "eu-west-1")
    missing = error(Target, {"domain": "acme"})
    assert (missing["loc"], missing["msg"]) == (
        ("repository",),
        "missing required key (or give repositories, a list)",
    )


def test_a_target_may_name_several_repositories_instead_of_one() -> None:
    target = Target(domain="acme", region="eu-west-1", repositories=["staging", "prod"])
    assert [(t.domain, t.region, t.repository) for t in target.targets()] == [
        ("acme", "eu-west-1", "staging"),
        ("acme", "eu-west-1", "prod"),
    ]
    assert [t.repository for t in Target(domain="acme", repository="prod").targets()] == ["prod"]


@pytest.mark.parametrize(
    ("written", "at", "message"),
    [
        (
            {"repository": "prod", "repositories": ["staging"]},
            ("repositories",),
            "give repository or repositories, not both",
        ),
        (
            {"repositories": ["prod", "staging", "prod"]},
            ("repositories", 2),
            "repository prod is listed twice",
        ),
    ],
)
def test_repositories_are_a_list_of_distinct_names_given_instead_of_repository(
    written: dict[str, Any], at: tuple[Any, ...], message: str
) -> None:
    found = error(Target, {"domain": "acme", **written})
    assert (found["msg"], found["loc"]) == (message, at)
    assert error(Target, {"domain": "acme", "repositories": []})["loc"] == ("repositories",)
    assert error(Target, {"domain": "acme", "repositories": ["p"]})["loc"] == ("repositories", 0)


@pytest.mark.parametrize("domain", ["Acme", "a", "acme-", "1acme", "ac_me", "a" * 51])
def test_domain_names_follow_codeartifact_rules(domain: str) -> None:
    assert error(Target, {"domain": domain, "repository": "prod"})["loc"] == ("domain",)


@pytest.mark.parametrize("owner", [111122223333, "11112222333", "1111222233334", "11112222333x"])
def test_domain_owner_is_twelve_digits_as_a_string(owner: Any) -> None:
    assert error(Target, {"domain": "acme", "domain_owner": owner, "repository": "prod"})["loc"] == (
        "domain_owner",
    )


@pytest.mark.parametrize("repository", ["p", "-prod", "prod/x", "a" * 101])
def test_repository_names_follow_codeartifact_rules(repository: str) -> None:
    assert error(Target, {"domain": "acme", "repository": repository})["loc"] == ("repository",)


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "eusc-de-east-1"]
)
def test_region_codes_are_accepted(region: str) -> None:
    assert Target(domain="acme", repository="prod", region=region).region == region


@pytest.mark.parametrize(
    "region", ["not a region!!", "bad region!", "US-EAST-1", "us-east", "useast1", "us-east-1 "]
)
def test_a_region_that_is_not_a_region_code_is_refused(region: str) -> None:
    found = error(Target, {"domain": "acme", "repository": "prod", "region": region})
    assert (found["loc"], found["type"]) == (("region",), "string_pattern_mismatch")


def test_unknown_keys_are_errors_at_every_level() -> None:
    assert error(Target, {"domain": "acme", "repository": "prod", "repo": "x"})["type"] == "extra_forbidden"
    assert error(PackageEntry, {"format": "npm", "name": "a", "rule": []})["type"] == "extra_forbidden"
    assert error(Rule, {"status": "Archived", "keep-latest": 1})["type"] == "extra_forbidden"
    assert error(Pin, {"status": "Archived", "copyfrom": "x"})["type"] == "extra_forbidden"


def test_models_are_frozen() -> None:
    target = Target(domain="acme", repository="prod")
    with pytest.raises(ValidationError):
        target.repository = "staging"


# --- PackageEntry


def test_an_entry_defaults_to_no_pins_no_rules_ignore_and_nothing_protected() -> None:
    plain = entry()
    assert plain.format is Format.NPM
    assert (plain.namespace, plain.versions, plain.rules, plain.otherwise, plain.protect) == (
        None,
        {},
        [],
        "ignore",
        [],
    )


def test_a_pin_may_be_written_as_a_bare_status() -> None:
    pinned = entry(versions={"2.3.1": "Published", "2.4.0": {"status": "Unlisted", "copy_from": "staging"}})
    assert pinned.versions["2.3.1"] == Pin(status="Published")
    assert pinned.versions["2.4.0"] == Pin(status="Unlisted", copy_from="staging")


@pytest.mark.parametrize("status", ["Unfinished", "published", "Gone"])
def test_a_pin_can_only_ask_for_a_declarable_status(status: str) -> None:
    found = error(PackageEntry, {"format": "npm", "name": "a", "versions": {"1.0.0": status}})
    assert (found["loc"], found["type"]) == (("versions", "1.0.0", "status"), "literal_error")


@pytest.mark.parametrize("otherwise", ["ignore", "Published", "Unlisted", "Archived", "Disposed", "Deleted"])
def test_otherwise_is_ignore_or_a_declarable_status(otherwise: str) -> None:
    assert entry(otherwise=otherwise).otherwise == otherwise


def test_otherwise_refuses_anything_else() -> None:
    assert error(PackageEntry, {"format": "npm", "name": "a", "otherwise": "Unfinished"})["loc"] == (
        "otherwise",
    )


def test_protect_takes_one_range_or_a_list() -> None:
    assert entry(protect=">=2.0.0").protect == [">=2.0.0"]
    assert entry(protect=[">=2.0.0", "<1.0.0"]).protect == [">=2.0.0", "<1.0.0"]


def test_protect_ranges_are_checked_in_the_formats_syntax() -> None:
    assert entry(format="pypi", protect="~=2.0").protect == ["~=2.0"]
    found = error(PackageEntry, {"format": "npm", "name": "a", "protect": [">=2.0.0", "[1.0,2.0)"]})
    assert found["loc"] == ("protect", 1)
    assert found["msg"].startswith("invalid npm range '[1.0,2.0)'")


def test_protect_of_a_generic_package_is_a_list_of_globs() -> None:
    assert entry(format="generic", namespace="tools", protect="1.*").protect == ["1.*"]


@pytest.mark.parametrize("format", ["maven", "swift", "generic"])
def test_formats_whose_identity_includes_a_namespace_require_one(format: str) -> None:
    found = error(PackageEntry, {"format": format, "name": "a"})
    assert (found["loc"], found["msg"]) == ((), f"Value error, namespace is required for {format} packages")
    assert entry(format=format, namespace="acme").namespace == "acme"


@pytest.mark.parametrize("format", ["pypi", "nuget", "ruby", "cargo"])
def test_formats_without_namespaces_refuse_one(format: str) -> None:
    found = error(PackageEntry, {"format": format, "name": "a", "namespace": "acme"})
    assert (found["loc"], found["msg"]) == (
        ("namespace",),
        f"Value error, {format} packages have no namespace",
    )
    assert entry(format=format).namespace is None


def test_an_npm_scope_is_optional_and_written_without_the_at_sign() -> None:
    assert entry(namespace="acme").namespace == "acme"
    assert entry().namespace is None
    found = error(PackageEntry, {"format": "npm", "name": "a", "namespace": "@acme"})
    assert found["msg"] == "Value error, write the npm scope without '@': acme"


def test_an_unknown_format_is_refused() -> None:
    assert error(PackageEntry, {"format": "rpm", "name": "a"})["type"] == "enum"


def test_a_name_with_glob_characters_is_a_glob() -> None:
    assert not entry(name="web-sdk").is_glob
    for glob in ("web-*", "web-?", "web-[ab]"):
        assert entry(name=glob).is_glob
    assert entry(name="web-*").matches("web-sdk")
    assert not entry(name="web-*").matches("api")


def test_names_and_version_keys_refuse_slashes_hashes_and_whitespace() -> None:
    assert error(PackageEntry, {"format": "npm", "name": "a/b"})["loc"] == ("name",)
    assert error(PackageEntry, {"format": "npm", "name": "a", "versions": {"1 0": "Published"}})["loc"] == (
        "versions",
        "1 0",
        "[key]",
    )


# --- Rule selectors


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90d", dt.timedelta(days=90)),
        ("12h", dt.timedelta(hours=12)),
        ("2w", dt.timedelta(weeks=2)),
        ("30m", dt.timedelta(minutes=30)),
        ("45s", dt.timedelta(seconds=45)),
    ],
)
def test_durations_are_a_whole_number_and_a_unit(text: str, delta: dt.timedelta) -> None:
    assert rule(older_than=text).older_than == delta
    assert rule(newer_than=text).newer_than == delta


@pytest.mark.parametrize("text", [30, "30", "1.5d", "3 months", "d", "-3d", "3y"])
def test_other_durations_are_refused(text: Any) -> None:
    found = error(Rule, {"status": "Archived", "older_than": text})
    assert found["msg"] == "Value error, a duration is a whole number and a unit: 90d, 12h, 2w, 30m or 45s"


@pytest.mark.parametrize(
    "text", ["99999999999d", "1000000000d", "142857143w", "86400000000000s", "9" * 5000 + "h"]
)
def test_a_duration_longer_than_a_timedelta_holds_is_too_large(text: str) -> None:
    found = error(Rule, {"status": "Archived", "older_than": text})
    assert found["msg"] == "Value error, duration too large: the longest is 999999999d"


def test_the_longest_duration_is_accepted() -> None:
    assert rule(newer_than="999999999d").newer_than == dt.timedelta(days=999999999)
    assert rule(older_than="0000000000000000000001d").older_than == dt.timedelta(days=1)


def test_match_takes_one_glob_or_a_list_but_not_an_empty_list() -> None:
    assert rule(match="*-rc.*").match == ["*-rc.*"]
    assert rule(match=["*-rc.*", "*-beta.*"]).match == ["*-rc.*", "*-beta.*"]
    assert error(Rule, {"status": "Archived", "match": []})["msg"] == "Value error, give at least one glob"


def test_current_takes_one_status_or_a_list_of_any_live_status() -> None:
    assert rule(current="Published").current == [Status.PUBLISHED]
    assert rule(current=["Unfinished", "Disposed"]).current == [Status.UNFINISHED, Status.DISPOSED]
    assert error(Rule, {"status": "Archived", "current": ["Gone"]})["loc"] == ("current", 0)


def test_a_regex_must_compile() -> None:
    assert rule(regex=r"^\d+\.\d+$").regex == r"^\d+\.\d+$"
    found = error(Rule, {"status": "Archived", "regex": "1.(["})
    assert found["loc"] == ("regex",)
    assert found["msg"].startswith("Value error, not a valid regular expression: ")


def test_a_regex_that_would_take_long_to_compile_is_refused_before_it_is_compiled() -> None:
    # The regex library unrolls counted repetitions when it compiles: this one is about 100,000 items
    # (a twentieth of a second); ((a{1000}){1000}){1000} would be minutes, out of reach of any timeout.
    found = error(Rule, {"status": "Archived", "regex": "(?:a{1000}){100}"})
    assert found["loc"] == ("regex",)
    assert found["msg"] == (
        "Value error, the regular expression repeats too much: its counted repetitions unroll to more "
        "than 10,000 items (100,100), which takes too long to compile"
    )
    uuid = r"v[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert rule(regex=uuid).regex == uuid


@pytest.mark.parametrize(
    ("pattern", "weight"),
    [
        (r"\d+\.\d+\.\d+", 5),  # an escape is one item; * + ? change nothing
        ("((.*)*)*x", 2),
        ("a{,5}b{0,9}", 2),  # a minimum of 0 unrolls nothing
        ("(?:a{1000}){0,1000}", 1001),
        ("(a{100})(b{100})", 200),  # repetitions in sequence add up
        ("(?:a{100}b){100}", 10200),  # nested ones multiply (a group's "?:" counts as an item)
        ("((a{1000}){1000}){1000}", 1000000),  # the count stops once past the limit
        ("(a|b{100}){100}", 10100),  # every alternative counts
        ("[]{}]{50}", 50),  # a set, with ] first and braces inside, is one item
        (r"\{1000\}", 6),  # escaped braces are no repetition
        ("(?#[){99}x{3}", 3),  # a comment is no item, brackets and braces in it included
        # Where the reading is not certain, length times every minimum count: never less.
        ("(?x)a{10} {10}", 1400),
        ("[[:alpha:]]{5}", 70),
        ("a)(b{100}", 900),
    ],
)
def test_a_regex_weight_counts_what_the_regex_library_unrolls(pattern: str, weight: int) -> None:
    assert regex_weight(pattern) == weight


def test_prerelease_is_true_or_false() -> None:
    assert rule(prerelease=True).prerelease is True
    assert rule(prerelease=False).prerelease is False
    assert error(Rule, {"status": "Archived", "prerelease": "maybe"})["loc"] == ("prerelease",)


def test_a_rule_without_selectors_takes_its_status_only() -> None:
    bare = rule()
    assert (bare.match, bare.regex, bare.range, bare.prerelease, bare.current) == (None,) * 5
    assert (bare.older_than, bare.newer_than, bare.keep_latest, bare.per, bare.by) == (None,) * 5
    assert error(Rule, {})["loc"] == ("status",)


@pytest.mark.parametrize(
    ("format", "text"),
    [
        ("npm", "^1.2.0"),
        ("npm", "<2.0.0"),
        ("pypi", ">=1.0,<2"),
        ("maven", "[1.0,2.0)"),
        ("nuget", "[1.0,2.0)"),
        ("cargo", "^1"),
        ("ruby", "~> 2.1"),
    ],
)
def test_a_range_in_the_formats_own_syntax_is_accepted(format: str, text: str) -> None:
    namespace = {"namespace": "acme"} if format == "maven" else {}
    assert (
        entry(format=format, rules=[{"range": text, "status": "Archived"}], **namespace).rules[0].range
        == text
    )


@pytest.mark.parametrize(("format", "text"), [("npm", "[1.0,2.0)"), ("pypi", "^1.2.0"), ("maven", "[1.0")])
def test_a_range_in_another_syntax_is_refused_at_its_rule(format: str, text: str) -> None:
    namespace = {"namespace": "acme"} if format == "maven" else {}
    rules = [{"status": "Published"}, {"range": text, "status": "Archived"}]
    found = error(PackageEntry, {"format": format, "name": "a", "rules": rules, **namespace})
    assert found["loc"] == ("rules", 1, "range")
    assert found["msg"].startswith(f"invalid {format} range {text!r}")


def test_generic_packages_have_no_ranges() -> None:
    rules = [{"range": ">=1.0", "status": "Archived"}]
    found = error(PackageEntry, {"format": "generic", "namespace": "tools", "name": "a", "rules": rules})
    assert found["loc"] == ("rules", 0, "range")


# --- Rule ranking


def test_keep_latest_must_be_greater_than_zero() -> None:
    assert rule(keep_latest=1).keep_latest == 1
    for count in (0, -1):
        found = error(Rule, {"status": "Archived", "keep_latest": count})
        assert (found["loc"], found["type"]) == (("keep_latest",), "greater_than")


def test_per_and_by_refine_keep_latest() -> None:
    ranked = rule(keep_latest=3, per="major", by="published")
    assert (ranked.per, ranked.by) == ("major", "published")
    assert rule(keep_latest=3, per="minor", by="version").per == "minor"


@pytest.mark.parametrize("option", [{"per": "major"}, {"by": "published"}])
def test_per_and_by_need_keep_latest(option: dict[str, str]) -> None:
    (key,) = option
    found = error(Rule, {"status": "Archived", **option})
    assert (found["loc"], found["msg"]) == ((key,), f"{key} only applies with keep_latest")


def test_per_and_by_take_only_their_values() -> None:
    assert error(Rule, {"status": "Archived", "keep_latest": 1, "per": "patch"})["loc"] == ("per",)
    assert error(Rule, {"status": "Archived", "keep_latest": 1, "by": "date"})["loc"] == ("by",)


def test_generic_packages_refuse_ranking_by_version() -> None:
    rules = [{"keep_latest": 3, "by": "version", "status": "Published"}]
    found = error(PackageEntry, {"format": "generic", "namespace": "tools", "name": "a", "rules": rules})
    assert (found["loc"], found["msg"]) == (
        ("rules", 0, "by"),
        "generic packages have no version order; use by: published",
    )
    for by in ("published", None):
        generic = entry(
            format="generic", namespace="tools", rules=[{"keep_latest": 3, "by": by, "status": "Published"}]
        )
        assert generic.rules[0].by == by


@pytest.mark.parametrize("per", ["major", "minor"])
def test_generic_packages_refuse_grouping_by_major_or_minor(per: str) -> None:
    rules = [{"keep_latest": 3, "per": per, "status": "Published"}]
    found = error(PackageEntry, {"format": "generic", "namespace": "tools", "name": "a", "rules": rules})
    assert (found["loc"], found["msg"]) == (
        ("rules", 0, "per"),
        f"generic packages have no version order, so no {per} to group by; remove per",
    )


def test_origin_takes_one_origin_type_or_a_list_of_them() -> None:
    assert rule(origin="EXTERNAL").origin == ["EXTERNAL"]
    assert rule(origin=["INTERNAL", "UNKNOWN"]).origin == ["INTERNAL", "UNKNOWN"]
    found = error(Rule, {"status": "Archived", "origin": "UPSTREAM"})
    assert found["loc"][0] == "origin"


def test_accept_takes_unlisted_or_archived_one_or_a_list() -> None:
    assert rule(accept="Unlisted").accept == ["Unlisted"]
    assert rule(accept=["Unlisted", "Archived"]).accept == ["Unlisted", "Archived"]
    for status in ("Published", "Disposed"):
        assert error(Rule, {"status": "Archived", "accept": status})["loc"][0] == "accept"


def test_only_age_selectors_and_ranking_by_publish_time_need_publish_times() -> None:
    assert rule(older_than="30d").needs_publish_times
    assert rule(newer_than="1d").needs_publish_times
    assert rule(keep_latest=1, by="published").needs_publish_times
    assert not rule(keep_latest=1, by="version", match="*").needs_publish_times


# --- copy_from


@pytest.mark.parametrize("model", [Pin, Rule])
def test_copy_from_options_default_to_false(model: type[Promotion]) -> None:
    promoted = model.model_validate({"status": "Published", "copy_from": "staging"})
    assert (promoted.copy_from, promoted.allow_overwrite, promoted.include_from_upstream) == (
        "staging",
        False,
        False,
    )


@pytest.mark.parametrize("model", [Pin, Rule])
@pytest.mark.parametrize("option", ["allow_overwrite", "include_from_upstream"])
def test_copy_from_options_need_copy_from(model: type[Promotion], option: str) -> None:
    assert getattr(
        model.model_validate({"status": "Published", "copy_from": "staging", option: True}), option
    )
    found = error(model, {"status": "Published", option: True})
    assert (found["loc"], found["msg"]) == ((option,), f"{option} only applies with copy_from")


def test_copy_from_names_a_repository() -> None:
    assert error(Pin, {"status": "Published", "copy_from": "staging repo"})["loc"] == ("copy_from",)


# --- schema


def test_every_key_of_the_schema_has_a_description() -> None:
    schema = json_schema()
    undescribed = [
        f"{name}.{key}"
        for name, definition in [("Manifest", schema), *schema["$defs"].items()]
        for key, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undescribed == []


def test_the_schema_accepts_the_shorthands_the_models_accept() -> None:
    definitions = json_schema()["$defs"]
    versions = definitions["PackageEntry"]["properties"]["versions"]["patternProperties"]
    (pin,) = versions.values()
    assert {"$ref": "#/$defs/Pin"} in pin["anyOf"]
    assert {"enum": ["Published", "Unlisted", "Archived", "Disposed", "Deleted"], "type": "string"} in pin[
        "anyOf"
    ]
    for key in ("match", "current"):
        types = [option.get("type") for option in definitions["Rule"]["properties"][key]["anyOf"]]
        assert "array" in types and "null" in types
    duration = {"type": "string", "pattern": r"^(\d+)([smhdw])$", "examples": ["90d", "12h", "2w"]}
    assert duration in definitions["Rule"]["properties"]["older_than"]["anyOf"]
