"""Package group patterns as AWS's user guide defines them: syntax, matching, specificity, hierarchy."""

from __future__ import annotations

import pytest

from reconciler.local.errors import ValidationException
from reconciler.local.group_patterns import (
    GroupPattern,
    coordinate,
    encode_for_arn,
    most_specific,
    parent_of,
    parse_pattern,
)


@pytest.mark.parametrize(
    ("text", "fixed", "match", "value"),
    [
        # The six combinations AWS gives as examples, and the plain-prefix wildcard.
        ("/*", (), "all", ""),
        ("/npm/*", ("npm",), "all", ""),
        ("/maven/com.anycompany~", ("maven",), "word", "com.anycompany"),
        ("/npm/space/*", ("npm", "space"), "all", ""),
        ("/npm/space/anycompany-ui~", ("npm", "space"), "word", "anycompany-ui"),
        (
            "/maven/org.apache.logging.log4j/log4j-core$",
            ("maven", "org.apache.logging.log4j"),
            "exact",
            "log4j-core",
        ),
        ("/npm/space/anycompany-ui-*", ("npm", "space"), "prefix", "anycompany-ui-"),
        ("/maven/com.anycompany.*", ("maven",), "prefix", "com.anycompany."),
        # Formats without namespaces leave the namespace blank; npm packages may have none.
        ("/pypi//requests$", ("pypi", ""), "exact", "requests"),
        ("/pypi//*", ("pypi", ""), "all", ""),
        ("/npm//react$", ("npm", ""), "exact", "react"),
        # Case sensitive: these are three different groups.
        ("/npm//AsyncStorage$", ("npm", ""), "exact", "AsyncStorage"),
    ],
)
def test_valid_patterns_parse_into_their_components(
    text: str, fixed: tuple[str, ...], match: str, value: str
) -> None:
    assert parse_pattern(text) == GroupPattern(text, fixed, match, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("npm/*", "must start with '/'"),
        ("/", "is not a package format"),
        ("/npm", "after the format"),
        ("/npm$", "is not a package format"),
        ("/rpm/*", "is not a package format"),
        ("/npm/space", "ends with '~'"),
        ("/npm/~", "right after a slash"),
        ("/npm/space/~", "right after a slash"),
        ("/npm/space/$", "right after a slash"),
        ("/npm/space/x", "ends with '$'"),
        ("/npm/a-~", "'~' must follow a letter or digit"),
        ("/npm/space/ui-~", "'~' must follow a letter or digit"),
        ("/npm/a/b/c$", "at most three components"),
        ("/npm/sp*ce/x$", "only ends a pattern"),
        ("/npm/space/a$b$", "only ends a pattern"),
        ("/pypi/x~", "have no namespace"),
        ("/pypi/x/requests$", "have no namespace"),
        ("/nuget/x/*", "have no namespace"),
        ("/maven//log4j$", "always have a namespace"),
        ("/generic//*", "always have a namespace"),
        ("/pypi//Requests$", "use 'requests'"),
        ("/pypi//zope_interface$", "use 'zope-interface'"),
        ("/nuget//Newtonsoft.Json$", "use 'newtonsoft.json'"),
        ("/swift/Apple/*", "Swift namespaces normalized"),
    ],
)
def test_invalid_patterns_are_validation_errors_that_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValidationException) as caught:
        parse_pattern(text)
    assert caught.value.message.startswith(f"Invalid package group pattern '{text}': ")
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("pattern", "package", "strong"),
    [
        ("/*", ("cargo", "", "serde"), True),
        ("/npm/*", ("npm", "", "react"), True),
        ("/npm/*", ("pypi", "", "react"), False),
        ("/npm/space/*", ("npm", "space", "aui.components"), True),
        ("/npm/space/*", ("npm", "spacex", "aui.components"), False),
        # AWS's own word-boundary examples.
        ("/npm/space/foo~", ("npm", "space", "foo"), True),
        ("/npm/space/foo~", ("npm", "space", "foo-bar"), True),
        ("/npm/space/foo~", ("npm", "space", "food"), False),
        ("/npm/space/foo~", ("npm", "space", "foot"), False),
        ("/maven/com.anycompany~", ("maven", "com.anycompany.billing", "core"), True),
        ("/maven/com.anycompany~", ("maven", "com.anycompanyx", "core"), False),
        # A mark continues a word: no boundary between 'cafe' and a combining accent.
        ("/npm//cafe~", ("npm", "", "cafe\u0301-x"), False),
        ("/npm/space/anycompany-ui-*", ("npm", "space", "anycompany-ui-core"), True),
        ("/npm/space/anycompany-ui-*", ("npm", "space", "anycompany-ui"), False),
        (
            "/maven/org.apache.logging.log4j/log4j-core$",
            ("maven", "org.apache.logging.log4j", "log4j-core"),
            True,
        ),
        (
            "/maven/org.apache.logging.log4j/log4j-core$",
            ("maven", "org.apache.logging.log4j", "log4j-core2"),
            False,
        ),
        ("/npm//react$", ("npm", "facebook", "react"), False),
    ],
)
def test_strong_matching(pattern: str, package: tuple[str, str, str], strong: bool) -> None:
    assert parse_pattern(pattern).matches(package) is strong


@pytest.mark.parametrize(
    ("pattern", "package", "weak"),
    [
        # Case variations (AWS's AsyncStorage example) and runs of -, ., _ are weak matches.
        ("/npm//AsyncStorage$", ("npm", "", "asyncstorage"), True),
        ("/npm//AsyncStorage$", ("npm", "", "ASYNCSTORAGE"), True),
        ("/npm//foo-bar$", ("npm", "", "foo.bar"), True),
        ("/npm//foo-bar$", ("npm", "", "foo..bar"), True),
        ("/npm//foo-bar$", ("npm", "", "Foo_Bar"), True),
        # ... but separators are not ignored: foobar is no variation of foo-bar.
        ("/npm//foo-bar$", ("npm", "", "foobar"), False),
        ("/maven/com.act-on/*", ("maven", "com.act.on", "core"), True),
        ("/npm//anycompany~", ("npm", "", "AnyCompany-client"), True),
    ],
)
def test_weak_matching_ignores_case_and_separator_runs(
    pattern: str, package: tuple[str, str, str], weak: bool
) -> None:
    parsed = parse_pattern(pattern)
    assert parsed.matches_weakly(package) is weak
    assert parsed.matches(package) is False


GROUPS = [
    "/*",
    "/npm/*",
    "/npm/space~",
    "/npm/space/*",
    "/npm/space/anycompany~",
    "/npm/space/anycompany-ui~",
    "/npm/space/anycompany-ui-*",
    "/npm/space/anycompany-ui-components$",
    "/npm//AsyncStorage$",
    "/maven/com.anycompany~",
    "/maven/com.anycompany.billing/*",
    "/pypi/*",
]


@pytest.mark.parametrize(
    ("package", "group", "association"),
    [
        # AWS's example: /npm//react belongs to /npm/*, /npm/space/... to /npm/space/*.
        (("npm", "", "react"), "/npm/*", "STRONG"),
        (("npm", "space", "aui.components"), "/npm/space/*", "STRONG"),
        (("npm", "space", "amplify-ui-core"), "/npm/space/*", "STRONG"),
        # exact > longer prefix > shorter prefix > namespace > namespace prefix > format > root
        (("npm", "space", "anycompany-ui-components"), "/npm/space/anycompany-ui-components$", "STRONG"),
        (("npm", "space", "anycompany-ui-buttons"), "/npm/space/anycompany-ui-*", "STRONG"),
        (("npm", "space", "anycompany-ui"), "/npm/space/anycompany-ui~", "STRONG"),
        (("npm", "space", "anycompany.api"), "/npm/space/anycompany~", "STRONG"),
        (("npm", "space-tools", "x"), "/npm/space~", "STRONG"),
        (("maven", "com.anycompany.billing", "core"), "/maven/com.anycompany.billing/*", "STRONG"),
        (("maven", "com.anycompany.ui", "core"), "/maven/com.anycompany~", "STRONG"),
        (("pypi", "", "requests"), "/pypi/*", "STRONG"),
        (("cargo", "", "serde"), "/*", "STRONG"),
        # A look-alike of a specific group's package stays with that group, weakly.
        (("npm", "", "asyncstorage"), "/npm//AsyncStorage$", "WEAK"),
        (("npm", "space", "AnyCompany-UI-Components"), "/npm/space/anycompany-ui-components$", "WEAK"),
    ],
)
def test_a_package_is_associated_with_the_most_specific_group_it_matches(
    package: tuple[str, str, str], group: str, association: str
) -> None:
    found = most_specific([parse_pattern(text) for text in GROUPS], package)
    assert found is not None
    assert (found[0].text, "STRONG" if found[1] else "WEAK") == (group, association)


@pytest.mark.parametrize(
    ("group", "parent"),
    [
        ("/*", None),
        ("/npm/*", "/*"),
        ("/npm/space~", "/npm/*"),
        ("/npm/space/*", "/npm/space~"),
        ("/npm/space/anycompany~", "/npm/space/*"),
        ("/npm/space/anycompany-ui~", "/npm/space/anycompany~"),
        ("/npm/space/anycompany-ui-*", "/npm/space/anycompany-ui~"),
        ("/npm/space/anycompany-ui-components$", "/npm/space/anycompany-ui-*"),
        ("/npm//AsyncStorage$", "/npm/*"),
        ("/maven/com.anycompany~", "/*"),
        ("/maven/com.anycompany.billing/*", "/maven/com.anycompany~"),
        ("/pypi/*", "/*"),
    ],
)
def test_the_parent_is_the_most_specific_group_containing_the_pattern(group: str, parent: str | None) -> None:
    patterns = [parse_pattern(text) for text in GROUPS]
    found = parent_of(parse_pattern(group), patterns)
    assert (found.text if found else None) == parent


@pytest.mark.parametrize(
    ("outer", "inner", "contains"),
    [
        ("/npm/space/abc~", "/npm/space/abc-*", True),
        ("/npm/space/abc~", "/npm/space/abc*", False),  # abc* also matches abcd
        ("/npm/space/abc*", "/npm/space/abc~", True),
        ("/npm/space/abc*", "/npm/space/abcd$", True),
        ("/npm/space/abc~", "/npm/space/abcd$", False),
        ("/npm/space/abc$", "/npm/space/abc$", False),
        ("/npm/sp~", "/npm/space/*", False),
        ("/npm/*", "/pypi/*", False),
    ],
)
def test_containment_is_that_of_the_matched_packages(outer: str, inner: str, contains: bool) -> None:
    assert parse_pattern(outer).contains(parse_pattern(inner)) is contains


@pytest.mark.parametrize(
    ("pattern", "encoded"),
    [
        # As AWS's CloudFormation provider reads package group ARNs.
        ("/*", "/%2a"),
        ("/npm/*", "/npm/%2a"),
        ("/nuget//alpha$", "/nuget//alpha%24"),
        ("/nuget//alpha%beta%gamma~", "/nuget//alpha%25beta%25gamma~"),
        ("/npm/space/anycompany~", "/npm/space/anycompany~"),
    ],
)
def test_patterns_are_percent_encoded_in_arns(pattern: str, encoded: str) -> None:
    assert encode_for_arn(pattern) == encoded


@pytest.mark.parametrize(
    ("format", "namespace", "name", "expected"),
    [
        ("pypi", None, "Zope_Interface", ("pypi", "", "zope-interface")),
        ("nuget", None, "Newtonsoft.Json", ("nuget", "", "newtonsoft.json")),
        ("swift", "Apple", "Swift-NIO", ("swift", "apple", "swift-nio")),
        ("npm", "Space", "React", ("npm", "Space", "React")),
    ],
)
def test_packages_are_matched_by_their_normalized_names(
    format: str, namespace: str | None, name: str, expected: tuple[str, str, str]
) -> None:
    assert coordinate(format, namespace, name) == expected
