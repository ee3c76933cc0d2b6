"""`drift --accept` and `--accept-into`: the live status of drifted versions written as pins, every other
byte of the manifests kept, against the local service in process."""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.workflows import drifting

WEB_SDK = {"domain": "acme", "format": "npm", "namespace": "acme", "package": "web-sdk"}
DEPLOY_CLI = {"domain": "acme", "format": "generic", "namespace": "tools", "package": "deploy-cli"}

MANIFEST = """\
# Two documents, comments and aligned notes: all of it must survive an accept.
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: staging   # the first document speaks of staging

packages:
  - format: npm
    namespace: acme
    name: web-sdk
    otherwise: ignore

---
# --- prod ---------------------------------------------------------------
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    namespace: acme
    name: web-sdk
    # The pins below are reviewed by hand.
    versions:
      "2.3.12": Published          # the release customers use
      "2.3.11": { status: Published }
    rules:
      - match: "1.1.*"             # an old line still Published
        status: Published

  - format: generic
    namespace: tools             # generic packages have a namespace
    name: deploy-cli   # no pins yet
    rules:
      - match: "1.5.*"
        status: Published
"""


@pytest.fixture
def writer(db: Path) -> Iterator[Any]:
    with LocalCodeArtifact(db) as service:
        yield local_client(service)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def write(tmp_path: Path, text: str, name: str = "prod.yaml") -> Path:
    path = tmp_path / "manifests" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode())
    return path


def changes(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    """Every block of lines that differs: (lines before, lines after)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def test_accept_pins_the_live_status_and_leaves_every_other_byte_alone(
    tmp_path: Path, db: Path, writer: Any
) -> None:
    path = write(tmp_path, MANIFEST)
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["2.3.12"], targetStatus="Unlisted"
    )
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["2.3.11"], targetStatus="Archived"
    )
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["1.1.0"], targetStatus="Archived"
    )
    writer.update_package_versions_status(
        **DEPLOY_CLI, repository="prod", versions=["1.5.0"], targetStatus="Unlisted"
    )
    assert run("drift", path, "--local", db).exit_code == 2

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 0, result.output
    assert f"Accepted: 4 pins written to {path}" in result.stderr
    after = path.read_text()
    assert changes(MANIFEST, after) == [
        (['      "2.3.12": Published          # the release customers use\n',
          '      "2.3.11": { status: Published }\n'],
         ['      "1.1.0": Archived\n',
          '      "2.3.12": Unlisted           # the release customers use\n',
          '      "2.3.11": { status: Archived }\n']),
        ([], ['    versions:\n', '      "1.5.0": Unlisted\n']),
    ]  # fmt: skip
    assert run("drift", path, "--local", db).exit_code == 0
    planned = run("plan", path, "--local", db)
    assert planned.exit_code == 0, planned.output


def test_accept_keeps_crlf_line_endings(tmp_path: Path, db: Path, writer: Any) -> None:
    text = MANIFEST.replace("\n", "\r\n")
    path = write(tmp_path, text)
    writer.update_package_versions_status(
        **DEPLOY_CLI, repository="prod", versions=["1.5.0"], targetStatus="Unlisted"
    )

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 0, result.output
    after = path.read_bytes().decode()
    assert changes(text, after) == [([], ["    versions:\r\n", '      "1.5.0": Unlisted\r\n'])]


@pytest.mark.parametrize(
    ("versions", "problem"),
    [
        ('    versions: {"2.3.12": Published}\n', ":8: versions is a flow-style mapping"),
        (
            '    versions:\n      "2.3.12": &ok Published\n      "2.3.11": *ok\n',
            ":10: pin '2.3.11': the pin is anchored or an alias",
        ),
    ],
    ids=["flow-style", "alias"],
)
def test_accept_refuses_what_it_cannot_edit_and_changes_nothing(
    tmp_path: Path, db: Path, writer: Any, versions: str, problem: str
) -> None:
    text = (
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        "packages:\n  - format: npm\n    namespace: acme\n    name: web-sdk\n"
        + versions
        + '    rules:\n      - match: "1.1.*"\n        status: Published\n'
    )
    path = write(tmp_path, text)
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["1.1.0"], targetStatus="Archived"
    )
    if "*ok" in versions:
        writer.update_package_versions_status(
            **WEB_SDK, repository="prod", versions=["2.3.11"], targetStatus="Archived"
        )

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 1
    assert "cannot accept the drift" in result.stderr and "no file was changed" in result.stderr
    assert f"{path}{problem}" in result.stderr
    assert path.read_bytes() == text.encode()


def test_accept_edits_a_pin_inside_a_flow_mapping_in_place(tmp_path: Path, db: Path, writer: Any) -> None:
    text = (
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        'packages:\n  - {format: npm, namespace: acme, name: web-sdk, versions: {"2.3.12": Published}}\n'
    )
    path = write(tmp_path, text)
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["2.3.12"], targetStatus="Unlisted"
    )

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 0, result.output
    assert path.read_text() == text.replace('"2.3.12": Published', '"2.3.12": Unlisted')


GLOB = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: generic
    namespace: tools
    name: "deploy-*"            # every deploy tool
    rules:
      # The 1.5 line stays.
      - match: "1.5.*"
        status: Published
"""


def test_a_glob_entry_is_refused_by_accept_and_copied_by_accept_into(
    tmp_path: Path, db: Path, writer: Any
) -> None:
    path = write(tmp_path, GLOB)
    into = tmp_path / "manifests" / "accepted.yaml"
    writer.update_package_versions_status(
        **DEPLOY_CLI, repository="prod", versions=["1.5.1"], targetStatus="Archived"
    )

    refused = run("drift", path.parent, "--local", db, "--accept")
    assert refused.exit_code == 1
    assert f"{path}:5: glob entry 'deploy-*'" in refused.stderr

    result = run("drift", path.parent, "--local", db, "--accept-into", into)

    assert result.exit_code == 0, result.output
    assert path.read_text() == GLOB
    copied = into.read_text()
    assert 'name: "deploy-cli"            # every deploy tool' in copied
    assert '    versions:\n      "1.5.1": Archived\n    rules:\n      # The 1.5 line stays.\n' in copied
    assert run("plan", path.parent, "--local", db).exit_code == 0
    assert run("validate", path.parent).exit_code == 0


def test_accept_into_a_file_outside_the_paths_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, GLOB)

    result = run("drift", path, "--accept-into", tmp_path / "elsewhere.yaml")

    assert result.exit_code == 1
    assert "not under the PATHS given" in result.stderr


def test_a_missing_promotion_cannot_be_pinned_and_drift_stays(tmp_path: Path, db: Path) -> None:
    text = (
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        "packages:\n  - format: npm\n    namespace: acme\n    name: web-sdk\n"
        '    versions:\n      "2.4.0": {status: Unlisted, copy_from: staging}\n'
    )
    path = write(tmp_path, text)

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 2
    assert "Not accepted: acme/prod/npm/acme/web-sdk 2.4.0: not in acme/prod" in result.stderr
    assert path.read_text() == text


def test_an_entry_of_a_document_for_several_repositories_is_refused_and_nothing_changes(
    tmp_path: Path, db: Path, writer: Any
) -> None:
    # A pin in the shared entry would apply to staging as much as to prod, where it was not drift.
    text = (
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\n"
        "target: {domain: acme, repositories: [staging, prod]}\n"
        "packages:\n  - format: npm\n    namespace: acme\n    name: web-sdk\n"
        '    rules:\n      - match: "1.1.*"\n        status: Published\n'
    )
    path = write(tmp_path, text)
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["1.1.0"], targetStatus="Archived"
    )

    result = run("drift", path, "--local", db, "--accept")

    assert result.exit_code == 1, result.output
    assert f"{path}:5: the entry's document lists several repositories (target.repositories)" in result.stderr
    assert path.read_bytes() == text.encode()


SPLIT = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: %s
    namespace: %s
    name: %s
    versions: {"%s": Published}
"""


def test_a_file_that_cannot_be_written_part_way_names_the_files_written_before_it(
    tmp_path: Path, db: Path, writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path, SPLIT % ("npm", "acme", "web-sdk", "2.3.12"), "a.yaml")
    second = write(tmp_path, SPLIT % ("generic", "tools", "deploy-cli", "1.5.0"), "b.yaml")
    writer.update_package_versions_status(
        **WEB_SDK, repository="prod", versions=["2.3.12"], targetStatus="Unlisted"
    )
    writer.update_package_versions_status(
        **DEPLOY_CLI, repository="prod", versions=["1.5.0"], targetStatus="Unlisted"
    )
    real_write = drifting.write_atomically

    def full_disk_for_the_second(path: Path, text: str) -> None:
        if path.name == second.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, text)

    monkeypatch.setattr(drifting, "write_atomically", full_disk_for_the_second)

    result = run("drift", tmp_path / "manifests", "--local", db, "--accept")

    assert result.exit_code == 1
    assert f"Error: cannot write {second}: No space left on device" in result.stderr
    assert f"Written before it: {first} (1 pin). Not written: {second}." in result.stderr
    assert '"2.3.12": Unlisted' in first.read_text()  # as the message says
