"""`reconciler import` through the command line, against the example data in the local service
(in process with --local, and over HTTP with --endpoint-url)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.addresses import PackageRef
from reconciler.aws import reads
from reconciler.aws.client import Backend, connect
from reconciler.cli import cli
from reconciler.codeartifact import Format
from reconciler.importer import (
    ImportedPackage,
    ImportSelection,
    imported_repository,
    package_lines,
    render_manifest,
)
from reconciler.local import BackgroundServer, LocalCodeArtifact, local_client
from reconciler.manifest import load_manifests
from reconciler.workflows.reading import read_packages

STATUS_NAMES = "Published|Unlisted|Archived|Disposed"


@pytest.fixture
def endpoint(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The example data served over HTTP, with placeholder AWS credentials in the environment."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with LocalCodeArtifact(db) as service, BackgroundServer(service) as server:
        yield server.endpoint_url


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, list(map(str, args)))


def import_(out: Path, *args: str | Path, repository: str = "staging") -> Result:
    return run("import", "--domain", "acme", "--repository", repository, "-o", out, *args)


def pins(path: Path) -> dict[str, dict[str, str]]:
    """`format namespace/name` -> the imported pins, in file order."""
    document = yaml.safe_load(path.read_text())
    return {
        f"{entry['format']} {entry.get('namespace', '')}/{entry['name']}".replace(" /", " "): entry[
            "versions"
        ]
        for entry in document["packages"]
    }


@pytest.mark.parametrize("repository", ["staging", "prod"])
def test_import_of_a_whole_repository_plans_no_changes_and_validates(
    tmp_path: Path, db: Path, repository: str
) -> None:
    out = tmp_path / f"{repository}.yaml"

    imported = import_(out, "--local", db, repository=repository)
    planned = run("plan", out, "--local", db, "--detailed-exitcode", "-o", tmp_path / "plan.json")
    validated = run("validate", out)

    assert imported.exit_code == 0, imported.output
    assert planned.exit_code == 0, planned.output
    assert "No changes. Live state matches the manifests." in planned.stdout
    assert validated.exit_code == 0, validated.output
    desired = load_manifests([out])
    assert len(desired.entries) == (11 if repository == "staging" else 10)
    assert {d.target.repository for d in desired.entries} == {repository}


def test_import_pins_every_version_at_its_status_in_the_formats_order(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "staging.yaml"

    result = import_(out, "--local", db)

    assert result.exit_code == 0, result.output
    imported = pins(out)
    assert list(imported) == [
        "cargo acme-core",
        "generic tools/deploy-cli",
        "maven com.acme/billing-service",
        "npm acme-cli",
        "npm lodash",
        "npm acme/web-sdk",
        "nuget acme.logging",  # CodeArtifact lists NuGet names lowercased
        "pypi acme-data",
        "pypi acme-schemas",
        "ruby acme-client",
        "swift acme/ios-kit",
    ]
    data = list(imported["pypi acme-data"].items())
    assert data[:6] == [
        ("0.1.0", "Archived"),
        ("0.2.0", "Archived"),
        ("0.3.0", "Archived"),
        ("0.4.0", "Archived"),
        ("0.5.0", "Unlisted"),
        ("0.5.1", "Published"),
    ]
    assert [version for version, _ in data[10:14]] == ["1.0rc1", "1.0", "1.0.post1", "1.1"]
    assert [version for version, _ in data[-7:]] == [
        "1.11",
        "1.11.1",
        "2.0.dev1",
        "2.0.dev2",
        "2.0.dev3",
        "2.0a1",
        "2.0b1",
    ]
    assert list(imported["npm acme/web-sdk"])[-3:] == ["3.0.0-alpha.1", "3.0.0-beta.1", "3.0.0-beta.2"]
    assert imported["npm acme/web-sdk"]["2.4.3"] == "Archived"
    assert "Imported 11 packages, 228 versions from acme/staging into" in result.stderr


def test_import_quotes_every_version(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "staging.yaml"

    assert import_(out, "--local", db).exit_code == 0

    text = out.read_text()
    version_lines = [line for line in text.splitlines() if line.startswith("      ")]
    assert len(version_lines) == 228
    assert all(re.fullmatch(rf'      "[^"]+": ({STATUS_NAMES})', line) for line in version_lines)
    assert '      "1.10": Published' in text  # YAML would read an unquoted 1.10 as the number 1.1


def test_import_leaves_out_unfinished_versions_and_says_so(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "staging.yaml"

    result = import_(out, "--local", db)

    assert result.exit_code == 0, result.output
    assert "2.2.0" not in pins(out)["generic tools/deploy-cli"]
    text = out.read_text()
    assert '    # Unfinished, left out: "2.2.0"\n' in text
    assert "# Left out: 1 Unfinished version (an upload in progress cannot be declared)" in text
    assert (
        "Left out 1 Unfinished version (an upload in progress cannot be declared): "
        "generic tools/deploy-cli@2.2.0"
    ) in result.stderr


def test_import_never_declares_a_deleted_version_and_keeps_disposed_ones(tmp_path: Path, db: Path) -> None:
    with LocalCodeArtifact(db) as service:
        local_client(service).delete_package_versions(
            domain="acme",
            repository="prod",
            format="npm",
            namespace="acme",
            package="web-sdk",
            versions=["2.3.12"],
        )
    out = tmp_path / "prod.yaml"

    assert import_(out, "--local", db, repository="prod").exit_code == 0

    web_sdk = pins(out)["npm acme/web-sdk"]
    assert "2.3.12" not in web_sdk
    assert web_sdk["1.1.1"] == "Disposed"
    assert len(web_sdk) == 38


@pytest.mark.http
def test_import_over_http_of_one_format_namespace_and_glob_round_trips(tmp_path: Path, endpoint: str) -> None:
    out = tmp_path / "web.yaml"

    result = import_(
        out, "--format", "npm", "--namespace", "acme", "--package", "web-*", "--endpoint-url", endpoint
    )
    planned = run("plan", out, "--endpoint-url", endpoint, "--detailed-exitcode", "-o", tmp_path / "p.json")

    assert result.exit_code == 0, result.output
    assert list(pins(out)) == ["npm acme/web-sdk"]
    assert "# Only format npm, namespace acme, packages matching web-*." in out.read_text()
    assert planned.exit_code == 0, planned.output
    assert "Imported 1 package, 71 versions from acme/staging" in result.stderr


@pytest.mark.http
def test_import_over_http_with_a_glob_alone_spans_formats(tmp_path: Path, endpoint: str) -> None:
    out = tmp_path / "acme.yaml"

    result = import_(out, "--package", "acme-*", "--endpoint-url", endpoint)

    assert result.exit_code == 0, result.output
    assert list(pins(out)) == [
        "cargo acme-core",
        "npm acme-cli",
        "pypi acme-data",
        "pypi acme-schemas",
        "ruby acme-client",
    ]


def test_import_with_a_format_filter_keeps_only_that_format(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "pypi.yaml"

    assert import_(out, "--local", db, "--format", "pypi").exit_code == 0

    assert list(pins(out)) == ["pypi acme-data", "pypi acme-schemas"]
    assert load_manifests([out]).entries[0].entry.format == "pypi"


def test_import_that_matches_nothing_writes_a_valid_manifest_and_warns(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "none.yaml"

    result = import_(out, "--local", db, "--package", "nothing-*")

    assert result.exit_code == 0, result.output
    assert "Warning: no package matched" in result.stderr
    assert load_manifests([out]).entries == ()


def test_import_gives_the_same_bytes_for_the_same_state(tmp_path: Path, db: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"

    assert import_(first, "--local", db).exit_code == 0
    assert import_(second, "--local", db).exit_code == 0

    assert first.read_bytes() == second.read_bytes()


def test_import_refuses_to_overwrite_a_file_unless_forced(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "staging.yaml"
    out.write_text("# mine\n")

    refused = import_(out, "--local", db)

    assert refused.exit_code == 1
    assert (
        refused.stderr == f"Error: {out} already exists\nGive --force to overwrite it, or another -o file.\n"
    )
    assert out.read_text() == "# mine\n"

    forced = import_(out, "--local", db, "--force")

    assert forced.exit_code == 0, forced.output
    assert out.read_text().startswith("# The live state of acme/staging")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_import_writes_the_domain_owner_it_was_given(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "prod.yaml"

    result = import_(
        out, "--local", db, "--domain-owner", "111122223333", "--format", "cargo", repository="prod"
    )

    assert result.exit_code == 0, result.output
    target = load_manifests([out]).entries[0].target
    assert (target.domain, target.domain_owner, target.repository) == ("acme", "111122223333", "prod")


def test_import_exits_1_for_a_repository_that_does_not_exist(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "out.yaml"

    result = import_(out, "--local", db, repository="nope")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: acme/nope: Repository not found")
    assert not out.exists()


def test_import_exits_1_for_a_domain_owner_that_is_not_an_account_id(tmp_path: Path, db: Path) -> None:
    result = import_(tmp_path / "out.yaml", "--local", db, "--domain-owner", "1234")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: invalid target\n--domain-owner: ")


def test_import_exits_1_for_a_region_that_is_not_a_region_code(tmp_path: Path, db: Path) -> None:
    result = import_(tmp_path / "out.yaml", "--local", db, "--region", "bad region!")

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        "Error: invalid target\n--region: expected an AWS Region code such as us-east-1 or eu-west-2, "
        "got 'bad region!'\n"
    )


@pytest.mark.parametrize("below", ["out.yaml", "sub/out.yaml"])
def test_import_refuses_an_output_it_cannot_write_before_any_aws_call(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, below: str
) -> None:
    def connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("connected to CodeArtifact before checking the output")

    monkeypatch.setattr("reconciler.workflows.importing.connect", connect)
    (tmp_path / "file").write_text("not a folder\n")
    out = tmp_path / "file" / below

    result = import_(out, "--local", db)

    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"Error: cannot write {out}: {tmp_path / 'file'} is not a directory\nGive another -o file.\n"
    )


def test_import_creates_the_folders_of_its_output(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "new" / "folders" / "staging.yaml"

    result = import_(out, "--local", db)

    assert result.exit_code == 0, result.output
    assert load_manifests([out]).entries


def test_import_that_fails_to_write_exits_1_naming_the_file_and_leaves_nothing(
    tmp_path: Path, db: Path
) -> None:
    # Short enough to pass the checks, too long for the temporary file written next to it.
    out = tmp_path / ("m" * 245 + ".yaml")

    result = import_(out, "--local", db)

    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: cannot write {out}: File name too long\nGive another -o file.\n"
    assert [path.name for path in tmp_path.iterdir()] == ["codeartifact.db"]


def whole_rendering(db: Path, selection: ImportSelection) -> str:
    """The manifest as import wrote it before it streamed: every package read first (in parallel,
    into memory), then the whole text rendered at once."""
    connection = connect(Backend(local_db=str(db)))
    try:
        calls: Counter[str] = Counter()
        refs = [
            PackageRef(selection.repository_ref, format, namespace, name)
            for format, namespace, name in reads.list_packages(
                connection.client, selection.repository_ref, calls
            )
            if selection.selects(format, namespace, name)
        ]
        refs.sort(key=lambda ref: (ref.format.value, ref.namespace or "", ref.package))
        states, _ = read_packages(connection.client, refs)
    finally:
        connection.close()
    return render_manifest(imported_repository(selection, refs, states, calls))


@pytest.mark.parametrize(
    ("repository", "options", "selection"),
    [
        ("staging", [], ImportSelection("acme", "staging")),  # with an Unfinished version left out
        ("prod", [], ImportSelection("acme", "prod")),
        ("staging", ["--format", "npm"], ImportSelection("acme", "staging", format=Format.NPM)),
        ("staging", ["--package", "nothing-*"], ImportSelection("acme", "staging", package="nothing-*")),
    ],
)
def test_the_streamed_import_writes_what_the_whole_rendering_wrote(
    tmp_path: Path, db: Path, repository: str, options: list[str], selection: ImportSelection
) -> None:
    out = tmp_path / "out.yaml"

    to_file = import_(out, "--local", db, "--concurrency", "3", *options, repository=repository)
    to_stdout = import_(Path("-"), "--local", db, *options, repository=repository)

    assert to_file.exit_code == 0, to_file.output
    assert to_stdout.exit_code == 0, to_stdout.output
    expected = whole_rendering(db, selection)
    assert out.read_text() == expected
    assert to_stdout.stdout == expected


@pytest.mark.parametrize("existing", [None, "# mine\n"])
def test_an_interrupted_import_leaves_no_file_and_keeps_the_one_there(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, existing: str | None
) -> None:
    out = tmp_path / "out" / "staging.yaml"
    if existing is not None:
        out.parent.mkdir()
        out.write_text(existing)
    written: list[ImportedPackage] = []

    def interrupt_on_the_fourth(package: ImportedPackage) -> str:
        written.append(package)
        if len(written) == 4:
            raise KeyboardInterrupt  # as Ctrl-C would, three packages into the file
        return package_lines(package)

    monkeypatch.setattr("reconciler.workflows.importing.package_lines", interrupt_on_the_fourth)

    result = import_(out, "--local", db, "--force")

    assert result.exit_code == 130, result.output
    assert len(written) == 4
    if existing is None:
        assert not out.exists()
    else:
        assert out.read_text() == existing
        assert [path.name for path in out.parent.iterdir()] == ["staging.yaml"]


def test_import_over_its_own_local_database_is_refused_even_with_force(db: Path) -> None:
    before = db.read_bytes()

    result = run("import", "--domain", "acme", "--repository", "prod", "-o", db, "--force", "--local", db)

    assert result.exit_code == 1
    assert f"-o {db} is the --local database the import reads" in result.stderr
    assert db.read_bytes() == before
