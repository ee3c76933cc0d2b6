"""`protect_in_use` from manifest to plan: paths and globs relative to the manifest file, names
compared as the format compares them, a refused plan naming the lockfile line, problems at the
lockfile's FILE:LINE, and a warning for a glob that matches nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import ManifestError
from reconciler.manifest import load_manifests
from reconciler.planner import make_plan
from tests.unit.planning import live, package, ref

DATA = Path(__file__).resolve().parents[1] / "data" / "lockfiles"
HEAD = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def manifest(root: Path, body: str, top: str = "") -> Path:
    return write(root, "manifests/prod.yaml", HEAD + textwrap.dedent(top) + textwrap.dedent(body))


def messages(paths: list[Path]) -> list[str]:
    with pytest.raises(ManifestError) as raised:
        load_manifests(paths)
    return raised.value.problems


def test_a_rule_that_would_dispose_a_version_a_lockfile_names_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    lock = write(tmp_path, "deploy/prod/package-lock.json", (DATA / "npm/v2/package-lock.json").read_text())
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            namespace: acme
            name: ui-kit
            protect_in_use: ../deploy/*/package-lock.json
            rules:
              - keep_latest: 1
                status: Published
            otherwise: Disposed
        """,
    )
    desired = load_manifests([path])
    ui_kit = ref("ui-kit", namespace="acme")
    plan = make_plan(
        desired,
        live(package(ui_kit, {"3.1.3": "Published", "3.1.4": "Published", "3.2.0": "Published"})),
        "https://example",
        "us-east-1",
    )
    assert not plan.applyable
    [error] = plan.errors
    assert (error.version, error.origin) == ("3.1.4", f"{path}:7")
    assert error.message.startswith(
        f"refused: Disposed of a version in use: named by {lock.parent}/package-lock.json:31 ("
    )
    # The version no lockfile names is planned as the rules say.
    assert [(c.version, c.after.value) for a in plan.actions for c in a.versions] == [
        ("3.1.3", "Disposed"),
        ("3.1.4", "Disposed"),
    ]


def test_names_are_compared_the_way_the_format_stores_them(tmp_path: Path) -> None:
    write(tmp_path, "locks/poetry.lock", (DATA / "python/poetry/poetry.lock").read_text())
    write(tmp_path, "locks/packages.lock.json", (DATA / "other/packages.lock.json").read_text())
    write(tmp_path, "locks/deployed.inventory", (DATA / "other/deployed.inventory").read_text())
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: pypi
            name: django-rest
            otherwise: Archived
          - format: nuget
            name: acme.core
            otherwise: Archived
          - format: maven
            namespace: com.acme
            name: billing-core
            otherwise: Archived
            protect_in_use: {path: ../locks/deployed.inventory, kind: inventory}
        """,
        top="""\
        protect_in_use:
          - ../locks/poetry.lock
          - ../locks/packages.lock.json
        """,
    )
    entries = {entry.entry.name: entry for entry in load_manifests([path]).entries}
    assert {key: dict(versions) for key, versions in entries["django-rest"].in_use.items()}.keys() == {
        (None, "certifi"),
        (None, "django-rest"),
        (None, "requests"),
    }
    assert str(
        entries["django-rest"].in_use[(None, "django-rest")]["3.14.0"]
    ) == "manifests/../locks/poetry.lock:14".replace("manifests/../", f"{tmp_path}/")
    assert set(entries["acme.core"].in_use) == {(None, "newtonsoft.json"), (None, "acme.core")}
    # The inventory line `com.acme:billing-core@2.3.0` names the Maven package.
    assert dict(entries["billing-core"].in_use[("com.acme", "billing-core")]).keys() == {"2.3.0"}


def test_a_lockfile_that_cannot_be_parsed_is_a_problem_at_its_own_line(tmp_path: Path) -> None:
    write(tmp_path, "manifests/locks/Cargo.lock", 'version = 3\n\n[[package]]\nname = "serde"\nversion = \n')
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: cargo
            name: serde
            protect_in_use: [locks/Cargo.lock]
        """,
    )
    [problem] = messages([path])
    assert problem.startswith(
        f"{path}:9: packages[0].protect_in_use[0]: {tmp_path}/manifests/locks/Cargo.lock:5: "
        "cannot read as cargo-lock: invalid TOML"
    )


def test_a_missing_file_or_a_name_of_no_known_kind_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "manifests/versions.txt", "left-pad@1.3.0\n")
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use:
              - gone/package-lock.json
              - versions.txt
        """,
    )
    problems = messages([path])
    assert problems[0] == (
        f"{path}:10: packages[0].protect_in_use[0]: {tmp_path}/manifests/gone/package-lock.json: "
        "cannot read: No such file or directory"
    )
    assert problems[1].startswith(f"{path}:11: packages[0].protect_in_use[1]: cannot tell what kind of file")
    assert "{path: versions.txt, kind: KIND}" in problems[1]


def test_a_glob_that_matches_no_file_is_a_plan_warning(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use: "deploy/**/package-lock.json"
            otherwise: Archived
        """,
    )
    desired = load_manifests([path])
    warning = f"{path}:9: packages[0].protect_in_use[0]: 'deploy/**/package-lock.json' matches no file"
    assert desired.warnings == (warning,)
    plan = make_plan(
        desired, live(package(ref("left-pad"), {"1.0.0": "Published"})), "https://example", "us-east-1"
    )
    assert warning in plan.warnings and plan.applyable


def test_the_digest_covers_the_lockfiles(tmp_path: Path) -> None:
    lock = write(tmp_path, "manifests/deployed.inventory", "left-pad@1.3.0\n")
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use: deployed.inventory
        """,
    )
    before = load_manifests([path]).digest
    lock.write_text("left-pad@1.4.0\n")
    assert load_manifests([path]).digest != before


@pytest.mark.parametrize("include", ["base.txt", "../shared/base.txt"])
def test_the_digest_covers_the_files_a_requirements_file_includes(tmp_path: Path, include: str) -> None:
    # The included file decides what is pinned as much as the file naming it: editing it after the
    # plan must refuse `apply --manifests`, even when the edit pins nothing yet (the next one may).
    write(tmp_path, "manifests/requirements.txt", f"-r {include}\n")
    base = write(
        tmp_path, str((tmp_path / "manifests" / include).resolve().relative_to(tmp_path)), "idna==3.6\n"
    )
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: pypi
            name: idna
            protect_in_use: requirements.txt
        """,
    )
    digests = [load_manifests([path]).digest]
    base.write_text("idna==3.7\n")
    digests.append(load_manifests([path]).digest)
    base.write_text("idna==3.7\n# a comment\n")
    digests.append(load_manifests([path]).digest)
    assert len(set(digests)) == 3
    # Named below the path given, so the digest does not depend on the directory it runs from.
    assert load_manifests([path]).digest == digests[-1]


def test_a_digest_does_not_depend_on_the_directory_it_is_made_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "manifests/requirements.txt", "-r base.txt\n")
    write(tmp_path, "manifests/base.txt", "idna==3.6\n")
    manifest(
        tmp_path,
        """\
        packages:
          - format: pypi
            name: idna
            protect_in_use: requirements.txt
        """,
    )
    monkeypatch.chdir(tmp_path)
    here = load_manifests([Path("manifests")]).digest
    monkeypatch.chdir(tmp_path / "manifests")
    assert load_manifests([Path(".")]).digest == here
    assert load_manifests([tmp_path / "manifests"]).digest == here


def test_a_lockfile_named_by_absolute_path_keeps_one_digest_however_the_manifests_are_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = write(tmp_path, "elsewhere/requirements.txt", "-r base.txt\n")
    write(tmp_path, "elsewhere/base.txt", "idna==3.6\n")
    manifest(
        tmp_path,
        f"""\
        packages:
          - format: pypi
            name: idna
            protect_in_use: {lock}
        """,
    )
    monkeypatch.chdir(tmp_path)
    assert load_manifests([Path("manifests")]).digest == load_manifests([tmp_path / "manifests"]).digest


def test_a_pin_may_not_archive_a_version_in_use_but_may_unlist_it(tmp_path: Path) -> None:
    write(tmp_path, "manifests/prod.inventory", "left-pad@1.0.0\nleft-pad@1.1.0\n# left-pad@1.2.0\n")
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use: prod.inventory
            versions:
              "1.0.0": Archived
              "1.1.0": Unlisted
              "1.2.0": Archived
        """,
    )
    plan = make_plan(
        load_manifests([path]),
        live(package(ref("left-pad"), {"1.0.0": "Published", "1.1.0": "Published", "1.2.0": "Published"})),
        "https://example",
        "us-east-1",
    )
    assert [(error.version, error.message.split(" (")[0]) for error in plan.errors] == [
        ("1.0.0", f"refused: Archived of a version in use: named by {tmp_path}/manifests/prod.inventory:1")
    ]


def test_validate_shows_the_warning_of_a_glob_that_matches_no_file(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use: ["locks/*.inventory"]
        """,
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: {path}:9: packages[0].protect_in_use[0]: 'locks/*.inventory' matches no file\n"
    )


def test_a_lockfile_of_another_format_is_a_problem_not_a_protection_of_nothing(tmp_path: Path) -> None:
    # A pypi entry given an npm lock would otherwise plan as if nothing were in use.
    write(tmp_path, "manifests/package-lock.json", (DATA / "npm/v2/package-lock.json").read_text())
    write(tmp_path, "manifests/deployed.inventory", "idna@3.6\n")
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: pypi
            name: idna
            protect_in_use: [deployed.inventory, package-lock.json]
        """,
    )
    assert messages([path]) == [
        f"{path}:9: packages[0].protect_in_use[1]: {tmp_path}/manifests/package-lock.json names only npm "
        "versions, so it protects nothing for this pypi entry"
    ]


def test_a_document_wide_lockfile_must_speak_for_one_of_its_entries(tmp_path: Path) -> None:
    write(tmp_path, "manifests/poetry.lock", '[[package]]\nname = "idna"\nversion = "3.6"\n')
    npm = "packages:\n  - format: npm\n    name: left-pad\n"
    path = manifest(tmp_path, npm, top="protect_in_use: poetry.lock\n")
    assert messages([path]) == [
        f"{path}:6: protect_in_use[0]: {tmp_path}/manifests/poetry.lock names only pypi versions, so it "
        "protects nothing for the entries of this document (npm)"
    ]
    # With an entry of its format among them, it protects that one, and the others are not its concern.
    path = manifest(tmp_path, npm + "  - format: pypi\n    name: idna\n", top="protect_in_use: poetry.lock\n")
    desired = load_manifests([path])
    assert [bool(entry.in_use) for entry in desired.entries] == [False, True]


def test_a_glob_may_match_files_of_other_formats_when_one_of_its_files_counts(tmp_path: Path) -> None:
    write(tmp_path, "manifests/locks/package-lock.json", (DATA / "npm/v2/package-lock.json").read_text())
    write(tmp_path, "manifests/locks/poetry.lock", '[[package]]\nname = "idna"\nversion = "3.6"\n')
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: pypi
            name: idna
            protect_in_use: locks/*
        """,
    )
    (entry,) = load_manifests([path]).entries
    assert set(entry.in_use) == {(None, "idna")}


def test_a_version_otherwise_decides_cites_the_line_of_otherwise(tmp_path: Path) -> None:
    write(tmp_path, "manifests/deployed.inventory", "left-pad@1.0.0\n")
    path = manifest(
        tmp_path,
        """\
        packages:
          - format: npm
            name: left-pad
            protect_in_use: deployed.inventory
            rules:
              - match: "2.*"
                status: Published
            otherwise: Archived
        """,
    )
    plan = make_plan(
        load_manifests([path]),
        live(package(ref("left-pad"), {"1.0.0": "Published", "1.1.0": "Published"})),
        "https://example",
        "us-east-1",
    )
    [error] = plan.errors
    assert f"(otherwise: Archived at {path}:13)" in error.message
    reasons = {change.version: change.reason for action in plan.actions for change in action.versions}
    assert reasons["1.1.0"] == f"otherwise: Archived at {path}:13"
