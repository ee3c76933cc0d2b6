"""Loading manifests: discovery, line-aware errors (golden files), cross-document checks, the digest."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ManifestError, ReconcilerError
from reconciler.manifest import describe, load_manifests, render_path
from reconciler.models import DesiredState, Origin

DATA = Path(__file__).parent.parent / "data" / "manifests"
INVALID = DATA / "invalid"
CASES = sorted(path.stem for path in INVALID.glob("*.yaml"))

HEADER = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
packages:
"""


def manifest(*names: str, repository: str = "prod") -> str:
    entries = "".join(f"  - format: pypi\n    name: {name}\n" for name in names)
    return HEADER.replace("repository: prod", f"repository: {repository}") + entries


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(ManifestError) as raised:
        load_manifests(paths)
    return raised.value.problems


def names(desired: DesiredState) -> list[str]:
    return [declared.entry.name for declared in desired.entries]


# --- golden files: every problem of a broken manifest, exactly as the user sees it


@pytest.mark.parametrize("case", CASES)
def test_broken_manifest_reports_every_problem_as_file_line_path_message(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(INVALID)
    actual = "\n".join(problems_of(Path(f"{case}.yaml"))) + "\n"
    expected = INVALID / f"{case}.expected"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(actual)
    assert actual == expected.read_text()


def test_every_golden_expectation_has_its_manifest() -> None:
    assert sorted(path.stem for path in INVALID.glob("*.expected")) == CASES


def test_example_manifests_are_valid() -> None:
    desired = load_manifests([DATA / "valid"])
    assert len(desired.manifests) == 3
    assert len(desired.entries) == 9


# --- discovery


def test_directories_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", manifest("from-b"))
    write(tmp_path, "a/z.yml", manifest("from-a-z"))
    write(tmp_path, "a/b/c.yaml", manifest("from-a-b-c"))
    write(tmp_path, "a-c.yaml", manifest("from-a-c"))
    desired = load_manifests([tmp_path])
    assert names(desired) == ["from-a-b-c", "from-a-z", "from-a-c", "from-b"]
    assert desired.files == tuple(
        str(tmp_path / name) for name in ("a/b/c.yaml", "a/z.yml", "a-c.yaml", "b.yaml")
    )


def test_files_without_a_yaml_suffix_and_hidden_paths_are_not_read_from_directories(tmp_path: Path) -> None:
    write(tmp_path, "prod.yaml", manifest("kept"))
    write(tmp_path, "notes.txt", "not: [yaml")
    write(tmp_path, ".github/workflows/ci.yml", "on: push")
    write(tmp_path, ".draft.yaml", "broken: [")
    assert names(load_manifests([tmp_path])) == ["kept"]


def test_a_file_named_on_the_command_line_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "prod.manifest", manifest("named"))
    assert names(load_manifests([path])) == ["named"]


def test_a_file_reached_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "prod.yaml", manifest("once"))
    desired = load_manifests([tmp_path, path])
    assert names(desired) == ["once"]
    assert desired.files == (str(path),)


def test_order_of_the_paths_given_does_not_change_the_load_order(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", manifest("a"))
    b = write(tmp_path, "b.yaml", manifest("b"))
    assert load_manifests([b, a]) == load_manifests([a, b])


def test_every_document_of_a_multi_document_file_is_a_manifest(tmp_path: Path) -> None:
    text = manifest("first") + "---\n" + manifest("second", repository="staging")
    desired = load_manifests([write(tmp_path, "both.yaml", text)])
    assert [(d.target.repository, d.entry.name) for d in desired.entries] == [
        ("prod", "first"),
        ("staging", "second"),
    ]
    assert desired.manifests == (
        Origin(str(tmp_path / "both.yaml"), 1),
        Origin(str(tmp_path / "both.yaml"), 10),
    )


def test_empty_documents_and_comment_only_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "---\n---\n" + manifest("kept") + "---\n# nothing here\n---\n")
    write(tmp_path, "b.yaml", "# only a comment\n")
    write(tmp_path, "c.yaml", "")
    desired = load_manifests([tmp_path])
    assert names(desired) == ["kept"]
    assert len(desired.manifests) == 1
    assert desired.files == (str(tmp_path / "a.yaml"),)  # only files that hold a manifest are planned from


def test_local_seed_documents_are_skipped_even_when_they_would_not_validate(tmp_path: Path) -> None:
    seed = "apiVersion: reconciler/v1\nkind: LocalSeed\ndomains: []\ndomains: [again]\n"
    write(tmp_path, "example-data.yaml", seed)
    write(tmp_path, "prod.yaml", seed + "---\n" + manifest("kept"))
    desired = load_manifests([tmp_path])
    assert names(desired) == ["kept"]
    assert len(desired.manifests) == 1


def test_a_path_that_does_not_exist_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "prod.yaml", manifest("kept"))
    missing = tmp_path / "missing"
    assert problems_of(tmp_path, missing) == [f"{missing}: no such file or directory"]


def test_a_symbolic_link_loop_is_a_problem_that_says_so(tmp_path: Path) -> None:
    write(tmp_path, "prod.yaml", manifest("kept"))
    (tmp_path / "a.yaml").symlink_to("b.yaml")  # a loop inside a folder read
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    given = tmp_path / "given"  # and a loop given by name (read whatever its name)
    given.symlink_to(given)

    assert problems_of(tmp_path, given) == [
        f"{given}: cannot read: Too many levels of symbolic links",
        f"{tmp_path / 'a.yaml'}: cannot read: Too many levels of symbolic links",
        f"{tmp_path / 'b.yaml'}: cannot read: Too many levels of symbolic links",
    ]


def test_a_path_given_that_cannot_be_searched_is_a_problem_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a user who may not search a folder meets it (root may search every folder, so the denial
    # is made here): `Path.is_dir()` raises for it rather than answer.
    write(tmp_path, "prod.yaml", manifest("kept"))
    hidden = tmp_path / "locked" / "prod.yaml"
    stat = Path.stat

    def denied(path: Path, **kwargs: Any) -> Any:
        if path == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return stat(path, **kwargs)

    monkeypatch.setattr(Path, "stat", denied)
    assert problems_of(tmp_path, hidden) == [f"{hidden}: cannot read: Permission denied"]


def test_a_lockfile_behind_a_symbolic_link_loop_is_a_problem_of_its_entry(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").symlink_to("again.txt")
    (tmp_path / "again.txt").symlink_to("requirements.txt")
    write(tmp_path, "prod.yaml", "protect_in_use: [requirements.txt]\n" + manifest("a"))

    (problem,) = problems_of(tmp_path)

    assert problem.endswith(
        f"protect_in_use[0]: {tmp_path / 'requirements.txt'}: cannot read: Too many levels of symbolic links"
    )


def test_no_manifest_at_all_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "example-data.yaml", "apiVersion: reconciler/v1\nkind: LocalSeed\n")
    write(tmp_path, "readme.md", "# not yaml")
    assert problems_of(tmp_path) == [
        f"no manifest found in {tmp_path} (*.yaml and *.yml files of kind PackageLifecycle)"
    ]


def test_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    write(tmp_path, "prod.yaml", manifest("kept"))
    assert problems_of(tmp_path) == [f"{tmp_path / 'dangling.yaml'}: cannot read: No such file or directory"]


def test_a_file_that_is_not_utf8_is_a_problem_at_the_line_of_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(manifest("caf\xe9").encode("latin-1"))
    assert problems_of(path) == [f"{path}:8: not UTF-8 text: byte 0xe9 at offset 131; save the file as UTF-8"]


def test_problems_of_all_files_are_reported_together_in_file_and_line_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "b.yaml", HEADER.replace("domain: acme", "domain: Acme"))
    write(tmp_path, "a.yaml", manifest("ok") + "    rules: [{keep_latest: 0, status: Published}]\n")
    write(tmp_path, "c.yaml", "key: [unclosed\n")
    assert problems_of(Path(".")) == [
        "a.yaml:9: packages[0].rules[0].keep_latest: Input should be greater than 0",
        "b.yaml:4: target.domain: expected a domain name: 2 to 50 lowercase letters, digits and hyphens, "
        "starting with a letter, got 'Acme'",
        "b.yaml:6: packages: expected a list, got nothing",
        "c.yaml:2: invalid YAML: expected ',' or ']', but got '<stream end>' (column 1), "
        "while parsing a flow sequence at line 1",
    ]


def test_manifest_errors_are_reconciler_errors_with_a_summary_and_one_problem_per_line(
    tmp_path: Path,
) -> None:
    with pytest.raises(ReconcilerError) as raised:
        load_manifests([write(tmp_path, "a.yaml", "kind: [")])
    assert raised.value.summary == "1 problem in the manifests"
    assert raised.value.detail.startswith(f"{tmp_path / 'a.yaml'}:1: invalid YAML: ")


# --- what the planner gets


def test_entries_carry_their_target_and_where_they_and_their_pins_were_written(tmp_path: Path) -> None:
    text = HEADER + (
        "  - format: npm\n"  # line 7
        "    name: web-sdk\n"
        "    versions:\n"
        '      "2.3.1": Published\n'  # line 10
        "      2.4.0: {status: Unlisted}\n"  # line 11
    )
    path = write(tmp_path, "prod.yaml", text)
    (declared,) = load_manifests([path]).entries
    assert declared.target.repository == "prod"
    assert declared.entry.versions["2.4.0"].status == "Unlisted"
    assert declared.origin == Origin(str(path), 7)
    assert declared.pin_origins == {"2.3.1": Origin(str(path), 10), "2.4.0": Origin(str(path), 11)}


def test_merge_keys_share_settings_and_explicit_keys_override_them(tmp_path: Path) -> None:
    text = HEADER + (
        "  - &web\n"
        "    format: npm\n"
        "    name: web-sdk\n"
        "    rules: [{keep_latest: 3, status: Published}]\n"
        "  - <<: *web\n"
        "    name: web-cli\n"
    )
    desired = load_manifests([write(tmp_path, "prod.yaml", text)])
    assert names(desired) == ["web-sdk", "web-cli"]
    assert desired.entries[1].entry.rules == desired.entries[0].entry.rules
    assert desired.entries[1].origin.line == 11


def test_an_alias_that_contains_itself_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    path = write(tmp_path, "loop.yaml", HEADER + "  - &loop [*loop]\n")
    assert problems_of(path)[0] == f"{path}:7: packages[0][0]: an alias refers to itself"


def test_aliases_that_expand_to_millions_of_values_are_a_problem_found_fast(tmp_path: Path) -> None:
    # Ten lines that stand for 10**9 values: each level repeats the one above ten times.
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)]
    bomb = "apiVersion: reconciler/v1\nkind: PackageLifecycle\n" + "".join(levels)
    path = write(tmp_path, "bomb.yaml", bomb + "---\n" + manifest("after").replace("packages:", "pkgs:"))

    # Refused by counting, before anything is expanded (expanded, it would exhaust the memory).
    found = problems_of(path)

    assert found[0] == f"{path}:1: document too large or too many aliases"
    # The next document of the file is still read and checked.
    assert found[1:] == [
        f"{path}:13: packages: missing required key",
        f"{path}:18: pkgs: unknown key (did you mean packages?)",
    ]


def test_aliases_within_the_limit_expand_as_usual(tmp_path: Path) -> None:
    first = (
        "  - &first {format: pypi, name: p0, rules: [{match: '0.*', older_than: 30d, status: Archived}]}\n"
    )
    others = "".join(f"  - {{<<: *first, name: p{i}}}\n" for i in range(1, 500))
    desired = load_manifests([write(tmp_path, "many.yaml", HEADER + first + others)])
    assert len(desired.entries) == 500
    assert {declared.entry.rules[0].match[0] for declared in desired.entries} == {"0.*"}  # type: ignore[index]


def test_an_unknown_yaml_tag_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "tag.yaml", manifest("a").replace("domain: acme", "domain: !Ref Domain"))
    assert problems_of(path) == [
        f"{path}:4: target.domain: could not determine a constructor for the tag '!Ref' (column 11)"
    ]


def test_a_duration_too_large_is_a_problem_at_its_line(tmp_path: Path) -> None:
    text = (
        HEADER
        + "  - format: pypi\n    name: a\n    rules:\n      - older_than: 99999999999d\n        status: Archived\n"
    )
    path = write(tmp_path, "prod.yaml", text)
    assert problems_of(path) == [
        f"{path}:10: packages[0].rules[0].older_than: duration too large: the longest is 999999999d"
    ]


def test_a_region_that_is_not_a_region_code_is_a_problem_at_its_line(tmp_path: Path) -> None:
    text = manifest("a").replace("  domain: acme\n", '  domain: acme\n  region: "not a region!!"\n')
    path = write(tmp_path, "prod.yaml", text)
    assert problems_of(path) == [
        f"{path}:5: target.region: expected an AWS Region code such as us-east-1 or eu-west-2, "
        "got 'not a region!!'"
    ]


def test_copy_from_the_target_repository_itself_is_a_problem_at_its_line(tmp_path: Path) -> None:
    text = HEADER + (
        "  - format: npm\n"
        "    name: web-sdk\n"
        "    versions:\n"
        '      "2.4.0": {status: Published, copy_from: staging}\n'
        '      "2.4.1": {status: Published, copy_from: prod}\n'
        "    rules:\n"
        "      - match: '2.*'\n"
        "        copy_from: staging\n"
        "        status: Published\n"
        "      - match: '1.*'\n"
        "        copy_from: prod\n"
        "        status: Published\n"
    )
    path = write(tmp_path, "prod.yaml", text)
    assert problems_of(path) == [
        f'{path}:11: packages[0].versions["2.4.1"].copy_from: cannot copy from the target repository itself',
        f"{path}:17: packages[0].rules[1].copy_from: cannot copy from the target repository itself",
    ]


def test_copy_from_the_same_name_in_another_manifests_repository_is_fine(tmp_path: Path) -> None:
    text = manifest().replace("repository: prod", "repository: staging") + (
        "  - format: npm\n    name: web-sdk\n    versions:\n"
        '      "2.4.1": {status: Published, copy_from: prod}\n'
    )
    assert len(load_manifests([write(tmp_path, "staging.yaml", text)]).entries) == 1


# --- duplicates


def test_a_version_pinned_twice_names_both_lines(tmp_path: Path) -> None:
    text = (
        HEADER
        + '  - format: npm\n    name: a\n    versions:\n      "1.0.0": Published\n      "1.0.0": Archived\n'
    )
    path = write(tmp_path, "prod.yaml", text)
    assert problems_of(path) == [
        f'{path}:11: packages[0].versions["1.0.0"]: version 1.0.0 is pinned twice, at lines 10 and 11'
    ]


def test_versions_that_yaml_reads_as_numbers_must_be_quoted(tmp_path: Path) -> None:
    text = (
        HEADER
        + "  - format: pypi\n    name: a\n    versions:\n      1.10: Published\n      2.0.1: Published\n"
    )
    path = write(tmp_path, "prod.yaml", text)
    assert problems_of(path) == [
        f'{path}:10: packages[0].versions["1.10"]: version keys must be quoted strings: '
        'write "1.10" (YAML reads 1.10 as the number 1.1)'
    ]


def test_the_same_package_declared_in_two_files_names_both_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", manifest("shared", "other"))
    write(tmp_path, "b.yaml", manifest("unique", "shared"))
    assert problems_of(Path(".")) == [
        "b.yaml:9: packages[1]: pypi package shared in acme/prod is also declared at a.yaml:7"
    ]


def test_pypi_names_are_compared_as_codeartifact_normalizes_them(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", manifest("Acme_Utils", "acme.utils"))
    assert problems_of(path) == [
        f"{path}:9: packages[1]: pypi package acme-utils in acme/prod is also declared at {path}:7"
    ]


def test_the_same_glob_twice_for_one_repository_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", manifest('"acme-*"', '"acme-*"'))
    assert problems_of(path) == [
        f"{path}:9: packages[1]: glob acme-* (pypi) in acme/prod is also declared at {path}:7"
    ]


def test_one_package_in_different_repositories_is_no_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", manifest("shared"))
    write(tmp_path, "b.yaml", manifest("shared", repository="staging"))
    assert len(load_manifests([tmp_path]).entries) == 2


def test_an_owner_written_in_one_manifest_applies_to_its_domain_everywhere(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", manifest("first"))
    owned = manifest("second").replace("  domain: acme\n", '  domain: acme\n  domain_owner: "111122223333"\n')
    write(tmp_path, "b.yaml", owned)
    assert {entry.target.domain_owner for entry in load_manifests([tmp_path]).entries} == {"111122223333"}


def test_a_package_declared_with_and_without_its_domain_owner_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", manifest("shared"))
    owned = manifest("shared").replace("  domain: acme\n", '  domain: acme\n  domain_owner: "111122223333"\n')
    write(tmp_path, "c.yaml", owned)
    with pytest.raises(ManifestError) as error:
        load_manifests([tmp_path])
    assert any("is also declared at" in problem for problem in error.value.problems)


def test_a_domain_given_two_owners_is_a_problem(tmp_path: Path) -> None:
    for name, owner in (("a.yaml", "111122223333"), ("b.yaml", "444455556666")):
        text = manifest(name[0]).replace("  domain: acme\n", f'  domain: acme\n  domain_owner: "{owner}"\n')
        write(tmp_path, name, text)
    with pytest.raises(ManifestError) as error:
        load_manifests([tmp_path])
    assert any("domain acme is owned by 111122223333" in problem for problem in error.value.problems)


def test_an_exact_name_and_a_glob_that_matches_it_may_both_be_declared(tmp_path: Path) -> None:
    desired = load_manifests([write(tmp_path, "a.yaml", manifest("acme-utils", '"acme-*"'))])
    assert names(desired) == ["acme-utils", "acme-*"]


def test_a_duplicate_entry_is_reported_along_with_the_other_problems_of_its_document(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.yaml", manifest("dup", "dup") + "  - format: pypi\n    name: bad\n    otherwise: no\n"
    )
    assert problems_of(path) == [
        f"{path}:9: packages[1]: pypi package dup in acme/prod is also declared at {path}:7",
        f"{path}:13: packages[2].otherwise: expected one of ignore, Published, Unlisted, Archived, Disposed, Deleted, "
        "got false",
    ]


# --- digest


def test_digest_is_stable_for_the_same_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", manifest("a"))
    write(tmp_path, "b/c.yaml", manifest("c"))
    assert load_manifests([tmp_path]).digest == load_manifests([tmp_path]).digest


def test_digest_changes_when_a_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", manifest("a"))
    before = load_manifests([tmp_path]).digest
    path.write_text(manifest("a") + "# a comment counts too\n")
    assert load_manifests([tmp_path]).digest != before


def test_digest_changes_when_a_file_is_renamed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", manifest("a"))
    before = load_manifests([tmp_path]).digest
    path.rename(tmp_path / "b.yaml")
    assert load_manifests([tmp_path]).digest != before


def test_digest_does_not_depend_on_where_the_manifests_are_checked_out(tmp_path: Path) -> None:
    write(tmp_path, "one/manifests/a.yaml", manifest("a"))
    write(tmp_path, "two/manifests/a.yaml", manifest("a"))
    first = load_manifests([tmp_path / "one" / "manifests"])
    second = load_manifests([tmp_path / "two" / "manifests"])
    assert first.digest == second.digest
    assert first.files != second.files


# --- how problems are written


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "document"),
        (("target",), "target"),
        (("packages", 0, "rules", 2, "keep_latest"), "packages[0].rules[2].keep_latest"),
        (("packages", 1, "versions", "2.3.1", "status"), 'packages[1].versions["2.3.1"].status'),
        (("packages", 0, "protect", 1), "packages[0].protect[1]"),
    ],
)
def test_field_paths_read_like_the_yaml(path: tuple[str | int, ...], text: str) -> None:
    assert render_path(path) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nothing"),
        (True, "true"),
        (1.1, "the number 1.1"),
        ([1], "a list"),
        ({}, "a mapping"),
        ("x", "'x'"),
    ],
)
def test_values_are_described_in_words(value: object, text: str) -> None:
    assert describe(value) == text


# --- target.repositories: one document for several repositories


def test_a_document_for_several_repositories_declares_its_entries_once_per_repository(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        manifest("one", "two").replace("repository: prod", "repositories: [staging, prod]"),
    )
    desired = load_manifests([path])
    assert [(d.target.repository, d.entry.name, d.origin.line) for d in desired.entries] == [
        ("staging", "one", 7),
        ("staging", "two", 9),
        ("prod", "one", 7),
        ("prod", "two", 9),
    ]


def test_a_package_a_list_of_repositories_declares_is_a_duplicate_in_each_repository_declared_again(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.yaml", manifest("shared").replace("repository: prod", "repositories: [staging, prod]"))
    write(tmp_path, "b.yaml", manifest("shared"))
    assert problems_of(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:7: packages[0]: pypi package shared in acme/prod is also declared at {tmp_path / 'a.yaml'}:7"
    ]


def test_copy_from_may_not_name_a_repository_the_same_list_targets(tmp_path: Path) -> None:
    text = (
        manifest("lib").replace("repository: prod", "repositories: [staging, prod]")
        + '    versions:\n      "1.0": {status: Published, copy_from: staging}\n'
    )
    path = write(tmp_path, "a.yaml", text)
    assert problems_of(path) == [
        f'{path}:10: packages[0].versions["1.0"].copy_from: cannot copy from a repository that '
        "target.repositories also lists: it would copy into itself"
    ]
