"""Seeding: the example data loads whole, seeds land as declared, and bad seed files are refused clearly."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.seed import BulkVersion, SeedError, bulk_load, load_seed, seed_service
from tests.local.builders import seed_document, write_seed

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "local" / "example-data.yaml"
ALL_FORMATS = {"npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"}
DAY = 86400.0
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC).timestamp()


@pytest.fixture
def frozen(tmp_path: Path) -> Any:
    """A service whose clock stands still at NOW, so relative publish times are exact."""
    with LocalCodeArtifact(tmp_path / "frozen.db", clock=lambda: NOW) as service:
        yield service


@pytest.fixture
def example(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_service(service, load_seed(EXAMPLE))
    return service


def _declared_versions() -> int:
    document = load_seed(EXAMPLE)
    return sum(len(p.versions) for d in document.domains for r in d.repositories for p in r.packages)


def _all_versions(client: Any, **coordinates: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_package_versions")
    return [v for page in paginator.paginate(domain="acme", **coordinates) for v in page["versions"]]


def _all_packages(client: Any, repository: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_packages")
    return [p for page in paginator.paginate(domain="acme", repository=repository) for p in page["packages"]]


def _coordinates(package: dict[str, Any], repository: str) -> dict[str, Any]:
    found = {"repository": repository, "format": package["format"], "package": package["package"]}
    if package.get("namespace"):
        found["namespace"] = package["namespace"]
    return found


def _published(client: Any, version: str, **coordinates: Any) -> float:
    described = client.describe_package_version(domain="acme", packageVersion=version, **coordinates)
    return float(described["packageVersion"]["publishedTime"].timestamp())


# The example data


def test_example_data_loads_whole(service: LocalCodeArtifact) -> None:
    document = load_seed(EXAMPLE)

    counts = seed_service(service, document)

    declared = _declared_versions()
    assert counts == {"domains": 2, "repositories": 4, "packages": 26, "versions": declared}
    assert 300 <= declared <= 400


def test_example_data_is_what_the_api_lists(example: LocalCodeArtifact) -> None:
    listed = 0
    # The domain acme of each Region: each Region's client sees its own.
    for region, names in (("us-east-1", ["npm-proxy", "prod", "staging"]), ("eu-west-1", ["prod"])):
        client = local_client(example, region=region)
        repositories = client.list_repositories_in_domain(domain="acme")["repositories"]
        assert sorted(r["name"] for r in repositories) == names
        for repository in names:
            for package in _all_packages(client, repository):
                listed += len(_all_versions(client, **_coordinates(package, repository)))
    assert listed == _declared_versions()


def test_example_staging_has_every_format(example: LocalCodeArtifact) -> None:
    client = local_client(example)

    formats = {p["format"] for p in _all_packages(client, "staging")}

    assert formats == ALL_FORMATS


def test_example_prod_holds_copies_of_staging_versions(example: LocalCodeArtifact) -> None:
    client = local_client(example)
    web_sdk = {"format": "npm", "namespace": "acme", "package": "web-sdk"}
    staging = {v["version"]: v for v in _all_versions(client, repository="staging", **web_sdk)}
    prod = {v["version"]: v for v in _all_versions(client, repository="prod", **web_sdk)}

    assert set(prod) < set(staging)
    assert prod["2.3.0"]["revision"] == staging["2.3.0"]["revision"]
    assert prod["2.3.0"]["origin"] == {
        "domainEntryPoint": {"repositoryName": "staging"},
        "originType": "INTERNAL",
    }
    assert _published(client, "2.3.0", repository="prod", **web_sdk) == _published(
        client, "2.3.0", repository="staging", **web_sdk
    )
    disposed = [version for version, summary in prod.items() if summary["status"] == "Disposed"]
    assert disposed == ["1.1.1"]
    assets = client.list_package_version_assets(
        domain="acme", repository="prod", packageVersion="1.1.1", **web_sdk
    )
    assert assets["assets"] == []


def test_example_statuses_land_as_declared(example: LocalCodeArtifact) -> None:
    client = local_client(example)
    data = {"repository": "staging", "format": "pypi", "package": "acme-data"}
    snapshots = {
        "repository": "staging",
        "format": "maven",
        "namespace": "com.acme",
        "package": "billing-service",
    }

    statuses = {v["version"]: v["status"] for v in _all_versions(client, **data)}
    maven = {v["version"]: v["status"] for v in _all_versions(client, **snapshots)}

    assert statuses["1.10"] == "Published"  # quoted in the file, so not the float 1.1
    assert statuses["0.1.0"] == "Archived"
    assert statuses["1.0rc1"] == "Unlisted"
    assert {"1.0.post1", "2.0.dev3"} <= set(statuses)
    assert {v for v, s in maven.items() if v.endswith("-SNAPSHOT") and s == "Unlisted"} >= {
        "1.2.0-SNAPSHOT",
        "2.3.0-SNAPSHOT",
    }


def test_example_proxy_versions_are_external(example: LocalCodeArtifact) -> None:
    client = local_client(example)

    versions = _all_versions(client, repository="npm-proxy", format="npm", package="lodash")

    assert versions
    for summary in versions:
        assert summary["origin"] == {
            "domainEntryPoint": {"externalConnectionName": "public:npmjs"},
            "originType": "EXTERNAL",
        }


def test_example_has_old_and_recent_versions(example: LocalCodeArtifact) -> None:
    client = local_client(example)
    web_sdk = {"repository": "staging", "format": "npm", "namespace": "acme", "package": "web-sdk"}
    now = dt.datetime.now(dt.UTC).timestamp()

    ages = [
        (now - _published(client, v["version"], **web_sdk)) / DAY for v in _all_versions(client, **web_sdk)
    ]

    assert max(ages) > 90
    assert min(ages) < 30
    assert all(0 < age <= 401 for age in ages)


# What a seed declares is what the API reports


def test_status_origin_and_assets_land_as_declared(frozen: LocalCodeArtifact) -> None:
    seed_service(
        frozen,
        seed_document(
            [
                {
                    "name": "proxy",
                    "external_connections": [{"name": "public:pypi", "format": "pypi"}],
                    "packages": [
                        {
                            "format": "pypi",
                            "name": "requests",
                            "versions": [
                                {"version": "2.32.3", "origin": "EXTERNAL"},
                                {"version": "2.31.0", "status": "Archived", "origin": "UNKNOWN"},
                            ],
                        },
                        {
                            "format": "generic",
                            "namespace": "tools",
                            "name": "cli",
                            "versions": [
                                {
                                    "version": "1.0.0",
                                    "status": "Unlisted",
                                    "assets": [{"name": "cli.tar.gz", "size": 100}, {"name": "README"}],
                                },
                                "1.1.0",
                                {"version": "0.9.0", "status": "Disposed"},
                            ],
                        },
                    ],
                }
            ]
        ),
    )
    client = local_client(frozen)
    pypi = {"domain": "acme", "repository": "proxy", "format": "pypi", "package": "requests"}
    generic = {
        "domain": "acme",
        "repository": "proxy",
        "format": "generic",
        "namespace": "tools",
        "package": "cli",
    }

    versions = {v["version"]: v for v in client.list_package_versions(**pypi)["versions"]}
    assert versions["2.32.3"]["origin"] == {
        "domainEntryPoint": {"externalConnectionName": "public:pypi"},
        "originType": "EXTERNAL",
    }
    assert versions["2.31.0"]["status"] == "Archived"
    assert versions["2.31.0"]["origin"]["originType"] == "UNKNOWN"
    statuses = {v["version"]: v["status"] for v in client.list_package_versions(**generic)["versions"]}
    assert statuses == {"1.0.0": "Unlisted", "1.1.0": "Published", "0.9.0": "Disposed"}
    assets = client.list_package_version_assets(packageVersion="1.0.0", **generic)["assets"]
    assert sorted((a["name"], a["size"]) for a in assets) == [
        ("README", len(b"generic:tools:cli@1.0.0\n")),
        ("cli.tar.gz", 100),
    ]
    default = client.list_package_version_assets(packageVersion="1.1.0", **generic)["assets"]
    assert [a["name"] for a in default] == ["cli-1.1.0.bin"]
    assert client.list_package_version_assets(packageVersion="0.9.0", **generic)["assets"] == []


def test_relative_and_absolute_publish_times(frozen: LocalCodeArtifact, tmp_path: Path) -> None:
    path = write_seed(
        tmp_path,
        """
        apiVersion: reconciler/v1
        kind: LocalSeed
        domains:
          - name: acme
            repositories:
              - name: staging
                packages:
                  - format: cargo
                    name: serde
                    versions:
                      - {version: "1.0.0", published: -30d}
                      - {version: "1.0.1", published: -12h}
                      - {version: "1.0.2", published: -2w}
                      - {version: "1.0.3", published: "2026-01-31T12:00:00Z"}
                      - {version: "1.0.4", published: 2025-06-01T08:30:00Z}
                      - {version: "1.0.5", published: 2025-06-02}
                      - {version: "1.0.6", published: "2025-06-03T10:00:00+02:00"}
        """,
    )
    seed_service(frozen, load_seed(path))
    client = local_client(frozen)
    serde = {"repository": "staging", "format": "cargo", "package": "serde"}

    def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
        return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp()

    assert _published(client, "1.0.0", **serde) == NOW - 30 * DAY
    assert _published(client, "1.0.1", **serde) == NOW - 12 * 3600
    assert _published(client, "1.0.2", **serde) == NOW - 14 * DAY
    assert _published(client, "1.0.3", **serde) == utc(2026, 1, 31, 12)
    assert _published(client, "1.0.4", **serde) == utc(2025, 6, 1, 8, 30)
    assert _published(client, "1.0.5", **serde) == utc(2025, 6, 2)
    assert _published(client, "1.0.6", **serde) == utc(2025, 6, 3, 8)


def test_versions_without_times_are_a_day_apart_ending_a_day_ago(frozen: LocalCodeArtifact) -> None:
    seed_service(
        frozen,
        seed_document(
            [
                {
                    "name": "staging",
                    "packages": [{"format": "ruby", "name": "rack", "versions": ["1", "2", "3"]}],
                }
            ]
        ),
    )
    client = local_client(frozen)

    times = [
        _published(client, v, repository="staging", format="ruby", package="rack") for v in ("1", "2", "3")
    ]

    assert times == [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY]


def test_versions_without_times_are_spread_between_their_neighbours(frozen: LocalCodeArtifact) -> None:
    package = {
        "format": "nuget",
        "name": "Acme.Logging",
        "first_published": "-100d",
        "last_published": "-10d",
        "versions": ["1.0.0", "1.1.0", {"version": "2.0.0", "published": "-40d"}, "2.1.0", "2.2.0"],
    }
    seed_service(frozen, seed_document([{"name": "staging", "packages": [package]}]))
    client = local_client(frozen)
    coordinates = {"repository": "staging", "format": "nuget", "package": "Acme.Logging"}

    ages = [
        round((NOW - _published(client, v, **coordinates)) / DAY, 6)
        for v in ("1.0.0", "1.1.0", "2.0.0", "2.1.0", "2.2.0")
    ]

    assert ages == [100, 70, 40, 25, 10]


def test_a_version_in_a_later_repository_is_a_copy_unless_told_otherwise(frozen: LocalCodeArtifact) -> None:
    npm = {"format": "npm", "name": "left-pad"}
    seed_service(
        frozen,
        seed_document(
            [
                {
                    "name": "staging",
                    "packages": [{**npm, "versions": ["1.0.0", {"version": "1.1.0", "published": "-5d"}]}],
                },
                {
                    "name": "prod",
                    "upstreams": ["staging"],
                    "packages": [
                        {
                            **npm,
                            "versions": [
                                {"version": "1.0.0", "status": "Archived"},
                                {"version": "1.1.0", "published": "-1d", "revision": "own"},
                            ],
                        }
                    ],
                },
            ]
        ),
    )
    client = local_client(frozen)
    staging = {
        v["version"]: v for v in _all_versions(client, repository="staging", format="npm", package="left-pad")
    }
    prod = {
        v["version"]: v for v in _all_versions(client, repository="prod", format="npm", package="left-pad")
    }

    assert prod["1.0.0"]["revision"] == staging["1.0.0"]["revision"]
    assert (prod["1.0.0"]["status"], staging["1.0.0"]["status"]) == ("Archived", "Published")
    assert prod["1.0.0"]["origin"]["domainEntryPoint"] == {"repositoryName": "staging"}
    assert prod["1.1.0"]["revision"] == "own"
    assert _published(client, "1.1.0", repository="prod", format="npm", package="left-pad") == NOW - DAY
    assert (
        _published(client, "1.1.0", repository="staging", format="npm", package="left-pad") == NOW - 5 * DAY
    )


def test_bulk_load_writes_versions_listable_through_the_api(service: LocalCodeArtifact) -> None:
    rows = (
        BulkVersion(f"pkg-{p}", f"1.0.{v}", NOW - v * DAY, "Unlisted" if v == 0 else "Published")
        for p in range(3)
        for v in range(5)
    )

    written = bulk_load(service, "acme", "bulk", "npm", rows, chunk=4)

    client = local_client(service)
    assert written == 15
    assert len(_all_packages(client, "bulk")) == 3
    listed = _all_versions(client, repository="bulk", format="npm", package="pkg-2")
    assert {v["version"]: v["status"] for v in listed}["1.0.0"] == "Unlisted"
    assert len(listed) == 5


# Bad seed files


HEADER = """
apiVersion: reconciler/v1
kind: LocalSeed
domains:
  - name: acme
    repositories:
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            """
              - name: staging
                packages:
                  - {format: npm, name: a, versions: ["1.0.0"], color: blue}
            """,
            ":8: domains[0].repositories[0].packages[0].color: unknown key 'color'; expected one of: format,",
        ),
        (
            """
              - name: staging
                packages:
                  - format: npm
                    name: a
                    versions:
                      - {version: "1.0.0", status: Yanked}
            """,
            ":11: domains[0].repositories[0].packages[0].versions[0].status: Input should be 'Published', "
            "'Unfinished', 'Unlisted', 'Archived' or 'Disposed'",
        ),
        (
            """
              - name: staging
                packages:
                  - format: pypi
                    name: a
                    versions: ["1.9", 1.10]
            """,
            ":10: domains[0].repositories[0].packages[0].versions[1]: YAML read this as the number 1.1; quote",
        ),
        (
            """
              - name: staging
                packages:
                  - format: pypi
                    name: a
                    versions: [{version: 2}]
            """,
            "domains[0].repositories[0].packages[0].versions[0].version: YAML read this as the number 2;",
        ),
        (
            """
              - name: prod
                upstreams: [staging]
              - name: staging
            """,
            ":7: domains[0].repositories[0].upstreams[0]: upstream staging is listed after prod; list upstreams first",
        ),
        (
            """
              - name: prod
                upstreams: [qa]
            """,
            "domains[0].repositories[0].upstreams[0]: upstream qa is not a repository of domain acme",
        ),
        (
            """
              - name: staging
                packages:
                  - {format: maven, name: billing, versions: ["1.0"]}
            """,
            ":8: domains[0].repositories[0].packages[0].namespace: format maven needs a namespace",
        ),
        (
            """
              - name: staging
                packages:
                  - {format: pypi, namespace: acme, name: data, versions: ["1.0"]}
            """,
            "domains[0].repositories[0].packages[0].namespace: format pypi has no namespaces",
        ),
        (
            """
              - name: staging
                packages:
                  - {format: npm, namespace: "@types", name: node, versions: ["1.0.0"]}
            """,
            "packages[0].namespace: give an npm scope without '@'",
        ),
        (
            """
              - name: staging
                packages:
                  - {format: npm, name: a, versions: ["1.0.0", "1.0.0"]}
            """,
            "packages[0].versions[1].version: version 1.0.0 is listed twice",
        ),
        (
            """
              - name: staging
                packages:
                  - {format: npm, name: a, versions: [{version: "1.0.0", published: yesterday}]}
            """,
            "versions[0].published: 'yesterday' is neither a time like 2026-01-31T12:00:00Z nor a relative one like -30d",
        ),
    ],
    ids=[
        "unknown-key",
        "bad-status",
        "float-version",
        "int-version",
        "upstream-after",
        "upstream-missing",
        "maven-without-namespace",
        "pypi-with-namespace",
        "npm-scope-with-at",
        "duplicate-version",
        "bad-time",
    ],
)
def test_bad_seed_files_name_the_file_line_and_field(tmp_path: Path, body: str, expected: str) -> None:
    path = write_seed(tmp_path, HEADER + textwrap.indent(textwrap.dedent(body).lstrip(), "      "))

    with pytest.raises(SeedError) as caught:
        load_seed(path)

    assert f"{path}" in str(caught.value)
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_seed(
        tmp_path,
        HEADER
        + """\
      - name: staging
        packages:
          - {format: swift, name: kit, versions: ["1.0.0"]}
          - {format: cargo, namespace: acme, name: core, versions: ["1.0.0"]}
""",
    )

    with pytest.raises(SeedError) as caught:
        load_seed(path)

    assert str(caught.value).splitlines() == [
        f"{path}:8: domains[0].repositories[0].packages[0].namespace: format swift needs a namespace",
        f"{path}:9: domains[0].repositories[0].packages[1].namespace: format cargo has no namespaces",
    ]


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = write_seed(tmp_path, "domains: [unclosed\n")

    with pytest.raises(SeedError, match=r"seed\.yaml:\d+: not valid YAML"):
        load_seed(path)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "an empty file"),
        ("# nothing yet\n", "an empty file"),
        ("- acme\n", "a list"),
        ("42\n", "a number"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused_in_the_seed_files_words(
    text: str, found: str, tmp_path: Path
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(text)

    with pytest.raises(SeedError) as caught:
        load_seed(path)

    assert (
        str(caught.value)
        == f"{path}:1: a seed file is a mapping with apiVersion, kind and domains, not {found}"
    )


def test_a_document_built_in_code_is_checked_too(service: LocalCodeArtifact) -> None:
    document = seed_document(
        [{"name": "staging", "packages": [{"format": "generic", "name": "cli", "versions": ["1"]}]}]
    )

    with pytest.raises(SeedError, match=r"packages\[0\]\.namespace: format generic needs a namespace"):
        seed_service(service, document)


def test_a_failed_seed_leaves_the_database_unchanged(service: LocalCodeArtifact, tmp_path: Path) -> None:
    seed_service(service, seed_document([{"name": "staging"}]))
    path = write_seed(
        tmp_path,
        """
        apiVersion: reconciler/v1
        kind: LocalSeed
        domains:
          - name: other
            repositories:
              - name: staging
                packages:
                  - {format: npm, name: a, versions: ["1.0.0", "1.1.0"]}
          - name: acme
        """,
    )
    document = load_seed(path)

    with pytest.raises(SeedError, match=r"seed\.yaml:9: domains\[1\]\.name: domain acme already exists"):
        seed_service(service, document)

    client = local_client(service)
    assert [d["name"] for d in client.list_domains()["domains"]] == ["acme"]
    with service.store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM package_version").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM repository").fetchone()[0] == 1


# The command line


def test_cli_seed_prints_counts(tmp_path: Path) -> None:
    db = tmp_path / "data" / "local.db"

    result = CliRunner().invoke(cli, ["local", "seed", str(EXAMPLE), "--db", str(db)])

    assert result.exit_code == 0, result.output
    declared = _declared_versions()
    assert result.output == (
        "Normalised as CodeArtifact stores it: nuget Acme.Logging is stored as nuget acme.logging\n"
        f"Seeded {db}: 2 domains, 4 repositories, 26 packages, {declared} versions.\n"
    )
    with LocalCodeArtifact(db) as service:
        assert len(local_client(service).list_repositories()["repositories"]) == 3


def test_cli_seed_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    path = write_seed(tmp_path, HEADER + "      - name: staging\n        upstreams: [nowhere]\n")
    db = tmp_path / "local.db"

    result = CliRunner().invoke(cli, ["local", "seed", str(path), "--db", str(db)])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output == (
        f"Error: {path}:7: domains[0].repositories[0].upstreams[0]: "
        "upstream nowhere is not a repository of domain acme\n"
    )


def test_cli_seed_twice_reports_the_existing_domain(tmp_path: Path) -> None:
    copy = tmp_path / "example.yaml"
    shutil.copy(EXAMPLE, copy)
    db = tmp_path / "local.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["local", "seed", str(copy), "--db", str(db)]).exit_code == 0

    result = runner.invoke(cli, ["local", "seed", str(copy), "--db", str(db)])

    assert result.exit_code == 1
    assert "domains[0].name: domain acme already exists" in result.output
    assert "Traceback" not in result.output
