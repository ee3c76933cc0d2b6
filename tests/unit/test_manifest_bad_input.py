"""Manifests no person would write on purpose: each is a problem at its FILE:LINE, never a crash.

Each case here once escaped the loader as an exception (a traceback and exit 3 through the command
line) or as a problem without a line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest import MAX_DEPTH, load_manifests

HEADER = "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"


def problems(tmp_path: Path, content: str | bytes) -> list[str]:
    path = tmp_path / "m.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises(ManifestError) as raised:
        load_manifests([path])
    prefix = f"{path}:"
    return [problem.removeprefix(prefix) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + "packages: [{format: npm, name: a\x01b}]\n", "4: invalid YAML: character 0x0001"),
        ("\x00" + HEADER, "1: invalid YAML: character 0x0000"),
        (HEADER + "# a comment with \x1b[31m colour\n", "4: invalid YAML: character 0x001b"),
    ],
)
def test_a_character_yaml_forbids_anywhere_is_a_problem_at_its_line_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    (problem,) = problems(tmp_path, text)
    assert problem.startswith(expected)
    assert "(column " in problem and "remove it" in problem


def test_a_control_character_names_its_column(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, HEADER + "packages: [{format: npm, name: a\x01b}]\n")
    assert "(column 33)" in problem


def test_nesting_deeper_than_the_limit_is_a_problem_where_it_goes_too_deep(tmp_path: Path) -> None:
    text = HEADER + "packages:\n  - " + "[" * 5000 + "]" * 5000 + "\n"
    (problem,) = problems(tmp_path, text)
    assert problem.startswith(f"5: invalid YAML: nested deeper than {MAX_DEPTH} levels")


def test_nesting_built_up_through_aliases_is_refused_at_the_document(tmp_path: Path) -> None:
    # Each anchor is 60 levels deep and holds the one before: written depth stays low, built depth grows.
    lines = [HEADER.rstrip("\n"), "a0: &a0 " + "[" * 60 + "]" * 60]
    lines += [f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 for i in range(1, 6)]
    (problem,) = problems(tmp_path, "\n".join(lines) + "\n")
    assert problem == f"1: nested deeper than {MAX_DEPTH} levels (aliases and merges included)"


def test_a_long_chain_of_merge_keys_is_refused_without_exhausting_the_stack(tmp_path: Path) -> None:
    lines = [HEADER.rstrip("\n"), "m0: &m0 {x: 1}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}}}" for i in range(1, 3000)]
    (problem,) = problems(tmp_path, "\n".join(lines) + "\n")
    assert problem == f"1: nested deeper than {MAX_DEPTH} levels (aliases and merges included)"


def test_a_number_beyond_pythons_digit_limit_is_a_problem_at_its_line(tmp_path: Path) -> None:
    text = (
        HEADER
        + "packages:\n  - format: npm\n    name: a\n    rules: [{keep_latest: "
        + "9" * 5000
        + ", status: Archived}]\n"
    )
    assert problems(tmp_path, text) == [
        "7: packages[0].rules[0].keep_latest: cannot read 99999999999999999999...(5000 characters) "
        "as a number: more than 4300 digits"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-13-01", "cannot read '2026-13-01' as a date: month must be in 1..12"),
        ("!!bool maybe", "cannot read 'maybe' as true or false"),
        ("!!timestamp soon", "cannot read 'soon' as a date"),
        ("!!int 0x", "cannot read '0x' as a whole number: invalid literal for int() with base 16: ''"),
        ("!!float abc", "cannot read 'abc' as a number: could not convert string to float: 'abc'"),
    ],
)
def test_a_value_yaml_cannot_convert_is_a_problem_at_its_line(
    tmp_path: Path, value: str, expected: str
) -> None:
    text = HEADER + f"packages:\n  - format: npm\n    name: a\n    versions: {{'1.0.0': {value}}}\n"
    assert f'7: packages[0].versions["1.0.0"]: {expected}' in problems(tmp_path, text)


def test_an_unconvertible_key_is_kept_as_written_and_named_by_the_schema(tmp_path: Path) -> None:
    assert problems(tmp_path, HEADER + "packages: []\n2026-13-01: x\n") == [
        "5: 2026-13-01: unknown key; the keys here are apiVersion, kind, target, protect_in_use, packages"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: reconciler/v1\nkind: [PackageLifecycle]\n",
            ["2: kind: expected PackageLifecycle, got a list"],
        ),
        (
            "apiVersion: {v: 1}\nkind: {k: 1}\n",
            [
                "1: apiVersion: expected reconciler/v1, got a mapping",
                "2: kind: expected PackageLifecycle, got a mapping",
            ],
        ),
        (
            "apiVersion: reconciler/v1\nkind: [LocalSeed]\n",
            ["2: kind: expected PackageLifecycle, got a list"],
        ),
    ],
)
def test_kind_or_api_version_of_the_wrong_type_is_a_problem(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert problems(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!foo\n", "1: document: could not determine a constructor for the tag '!foo' (column 1)"),
        ("--- !foo\n", "1: document: could not determine a constructor for the tag '!foo' (column 5)"),
        ("!foo {a: 1}\n", "1: document: YAML tag !foo is not supported"),
        ("--- !!set {a, b}\n", "1: document: YAML tag tag:yaml.org,2002:set is not supported"),
        (HEADER + "---\n!!python/object:os.system x\n", "5: document: could not determine a constructor"),
    ],
)
def test_a_document_that_is_only_a_tag_is_a_problem_at_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    found = problems(tmp_path, text)
    assert any(problem.startswith(expected) for problem in found), found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"\xff\xfe" + HEADER.encode("utf-16-le"),
            "1: not UTF-8 text (it looks like UTF-16): byte 0xff at offset 0",
        ),
        (HEADER.encode() + b"# \xe9t\xe9\n", "4: not UTF-8 text: byte 0xe9 at offset 92"),
        (bytes(range(256)), "2: not UTF-8 text: byte 0x80 at offset 128"),
    ],
)
def test_a_file_that_is_not_utf8_is_a_problem_at_the_line_of_its_first_bad_byte(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    assert problems(tmp_path, content) == [f"{expected}; save the file as UTF-8"]
