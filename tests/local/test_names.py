"""Name normalisation per format, as CodeArtifact documents it: stored forms, request forms, the seed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client, names
from reconciler.local.context import Options
from reconciler.local.seed import SeedDocument, SeedError, normalisations, seed_service
from tests.local.builders import raises_client_error, seed_document

DOMAIN = "acme"
REPO = "staging"


@pytest.mark.parametrize(
    ("format", "given", "stored"),
    [
        ("pypi", "Foo_Bar.baz", "foo-bar-baz"),
        ("pypi", "pigeon_cli", "pigeon-cli"),
        ("pypi", "pigeon.cli", "pigeon-cli"),
        ("pypi", "a--__..b", "a-b"),
        ("nuget", "Newtonsoft.Json", "newtonsoft.json"),
        ("swift", "myPackage", "mypackage"),
        ("npm", "MyLib", "MyLib"),
        ("maven", "Commons_Lang", "Commons_Lang"),
        ("generic", "Tool.CLI", "Tool.CLI"),
        ("ruby", "Rails_Ext", "Rails_Ext"),
        ("cargo", "Serde_JSON", "Serde_JSON"),
    ],
)
def test_package_names_are_stored_as_each_formats_page_says(format: str, given: str, stored: str) -> None:
    assert names.package_name(format, given) == stored
    assert names.package_name(format, stored) == stored  # normalising is idempotent


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        # The examples of the NuGet normalisation page, one by one.
        ("1.00", "1.0"),
        ("1.01.1", "1.1.1"),
        ("1.00.0.1", "1.0.0.1"),
        ("1.0.0.0", "1.0.0"),
        ("1.0.01.0", "1.0.1"),
        ("1.0.7+r3456", "1.0.7"),
        ("12.0.03.0", "12.0.3"),
        ("12.0.3", "12.0.3"),
        ("2.0.0-preview.01", "2.0.0-preview.01"),  # only the release part is normalised
        ("01.2.0-beta+build.5", "1.2.0-beta"),
    ],
)
def test_nuget_versions_are_normalised_as_the_page_lists(given: str, stored: str) -> None:
    assert names.version("nuget", given) == stored
    assert names.version("nuget", stored) == stored


@pytest.mark.parametrize("format", ["npm", "pypi", "maven", "generic", "swift", "ruby", "cargo"])
def test_other_formats_keep_their_versions(format: str) -> None:
    assert names.version(format, "1.0.0.0+Build") == "1.0.0.0+Build"


def test_swift_namespaces_are_lowercased_and_others_kept() -> None:
    assert names.namespace("swift", "MyScope") == "myscope"
    assert names.namespace("maven", "Com.Acme") == "Com.Acme"
    assert names.namespace("npm", "Vue") == "Vue"


def _seed(service: LocalCodeArtifact, packages: list[dict[str, Any]]) -> None:
    seed_service(service, _document(packages))


def _document(packages: list[dict[str, Any]]) -> SeedDocument:
    return seed_document([{"name": REPO, "packages": packages}, {"name": "prod"}])


NUGET = {"format": "nuget", "name": "Newtonsoft.Json", "versions": ["12.0.3.0", "13.0.01"]}
PYPI = {"format": "pypi", "name": "Foo_Bar.baz", "versions": ["1.0"]}
SWIFT = {"format": "swift", "namespace": "MyScope", "name": "myPackage", "versions": ["1.0.0"]}


@pytest.fixture
def normalised(service: LocalCodeArtifact) -> LocalCodeArtifact:
    _seed(service, [NUGET, PYPI, SWIFT])
    return service


def test_list_packages_returns_the_stored_names(normalised: LocalCodeArtifact, any_client: Any) -> None:
    packages = any_client.list_packages(domain=DOMAIN, repository=REPO)["packages"]

    assert sorted((p["format"], p.get("namespace"), p["package"]) for p in packages) == [
        ("nuget", None, "newtonsoft.json"),
        ("pypi", None, "foo-bar-baz"),
        ("swift", "myscope", "mypackage"),
    ]


def test_nuget_names_and_versions_are_normalised_on_every_request(
    normalised: LocalCodeArtifact, any_client: Any
) -> None:
    # The page's own example: --package Newtonsoft.JSON --version 12.0.03.0.
    package = {"domain": DOMAIN, "repository": REPO, "format": "nuget", "package": "Newtonsoft.JSON"}

    listed = any_client.list_package_versions(**package)
    described = any_client.describe_package_version(**package, packageVersion="12.0.03.0")["packageVersion"]
    assets = any_client.list_package_version_assets(**package, packageVersion="12.0.3.0")
    asset = any_client.get_package_version_asset(
        **package, packageVersion="12.0.3", asset="newtonsoft.json.12.0.3.nupkg"
    )

    assert listed["package"] == "newtonsoft.json"
    assert [v["version"] for v in listed["versions"]] == ["12.0.3", "13.0.1"]
    assert described["packageName"] == "newtonsoft.json"
    assert described["version"] == "12.0.3"
    assert described["displayName"] == "Newtonsoft.Json"  # the non-normalised name, as the page says
    assert assets["package"] == "newtonsoft.json"
    assert assets["version"] == "12.0.3"
    assert [a["name"] for a in assets["assets"]] == ["newtonsoft.json.12.0.3.nupkg"]
    assert asset["packageVersion"] == "12.0.3"
    assert asset["asset"].read()


def test_nuget_asset_names_are_not_normalised_on_input(normalised: LocalCodeArtifact, client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        client.get_package_version_asset(
            domain=DOMAIN,
            repository=REPO,
            format="nuget",
            package="newtonsoft.json",
            packageVersion="12.0.3",
            asset="Newtonsoft.Json.12.0.3.nupkg",
        )
    assert error["resourceType"] == "asset"


def test_nuget_batches_key_their_outcomes_by_the_normalised_version(
    normalised: LocalCodeArtifact, any_client: Any
) -> None:
    package = {"domain": DOMAIN, "format": "nuget", "package": "NewtonSoft.Json"}

    updated = any_client.update_package_versions_status(
        **package, repository=REPO, versions=["12.0.3.0"], targetStatus="Unlisted"
    )
    copied = any_client.copy_package_versions(
        **package, sourceRepository=REPO, destinationRepository="prod", versions=["012.0.3"]
    )
    disposed = any_client.dispose_package_versions(
        **package, repository="prod", versions=["12.0.3.0"], expectedStatus="Unlisted"
    )
    deleted = any_client.delete_package_versions(**package, repository=REPO, versions=["13.0.1.0"])

    assert list(updated["successfulVersions"]) == ["12.0.3"]
    assert list(copied["successfulVersions"]) == ["12.0.3"]
    assert disposed["successfulVersions"]["12.0.3"]["status"] == "Disposed"
    assert deleted["successfulVersions"]["13.0.1"]["status"] == "Deleted"
    prod = any_client.list_package_versions(
        domain=DOMAIN, repository="prod", format="nuget", package="newtonsoft.json"
    )
    assert prod["package"] == "newtonsoft.json"
    copied_version = any_client.describe_package_version(
        domain=DOMAIN, repository="prod", format="nuget", package="newtonsoft.json", packageVersion="12.0.3"
    )
    assert copied_version["packageVersion"]["displayName"] == "Newtonsoft.Json"  # travels with the copy


def test_swift_names_and_namespaces_are_normalised_on_requests(
    normalised: LocalCodeArtifact, any_client: Any
) -> None:
    listed = any_client.list_package_versions(
        domain=DOMAIN, repository=REPO, format="swift", namespace="MYSCOPE", package="MyPackage"
    )
    filtered = any_client.list_packages(domain=DOMAIN, repository=REPO, format="swift", namespace="MyS")

    described = any_client.describe_package_version(
        domain=DOMAIN,
        repository=REPO,
        format="swift",
        namespace="myscope",
        package="mypackage",
        packageVersion="1.0.0",
    )["packageVersion"]

    assert (listed["namespace"], listed["package"]) == ("myscope", "mypackage")
    assert (described["namespace"], described["packageName"]) == ("myscope", "mypackage")
    assert described["displayName"] == "MyScope/myPackage"  # as published
    assert [v["version"] for v in listed["versions"]] == ["1.0.0"]
    assert [p["package"] for p in filtered["packages"]] == ["mypackage"]


def test_list_packages_normalises_the_package_prefix_for_the_formats_that_normalise(
    normalised: LocalCodeArtifact, client: Any
) -> None:
    nuget = client.list_packages(domain=DOMAIN, repository=REPO, format="nuget", packagePrefix="NewtonSoft.")

    assert [p["package"] for p in nuget["packages"]] == ["newtonsoft.json"]


def test_pypi_requests_must_use_the_normalised_name(normalised: LocalCodeArtifact, any_client: Any) -> None:
    # "the normalized name must be used in CodeArtifact CLI or API requests" (Python normalisation page).
    package = {"domain": DOMAIN, "repository": REPO, "format": "pypi"}

    listed = any_client.list_package_versions(**package, package="foo-bar-baz")
    described = any_client.describe_package_version(**package, package="foo-bar-baz", packageVersion="1.0")

    assert listed["package"] == "foo-bar-baz"
    assert described["packageVersion"]["displayName"] == "Foo_Bar.baz"
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.list_package_versions(**package, package="Foo_Bar.baz")
    assert error["resourceType"] == "package"


def test_pypi_request_names_are_normalised_when_the_option_asks(tmp_path: Path) -> None:
    with LocalCodeArtifact(
        tmp_path / "lenient.db", options=Options(normalize_pypi_request_names=True)
    ) as service:
        _seed(service, [PYPI])
        listed = local_client(service).list_package_versions(
            domain=DOMAIN, repository=REPO, format="pypi", package="Foo_Bar.Baz"
        )
    assert listed["package"] == "foo-bar-baz"


def test_formats_without_normalisation_keep_names_case_sensitive(
    service: LocalCodeArtifact, client: Any
) -> None:
    _seed(
        service,
        [
            {"format": "npm", "name": "MyLib", "versions": ["1.0.0"]},
            {"format": "npm", "name": "mylib", "versions": ["2.0.0"]},
        ],
    )
    package = {"domain": DOMAIN, "repository": REPO, "format": "npm"}

    assert [v["version"] for v in client.list_package_versions(**package, package="MyLib")["versions"]] == [
        "1.0.0"
    ]
    assert [v["version"] for v in client.list_package_versions(**package, package="mylib")["versions"]] == [
        "2.0.0"
    ]


def test_a_generic_package_is_published_and_found_exactly_as_named(any_client: Any) -> None:
    any_client.create_domain(domain=DOMAIN)
    any_client.create_repository(domain=DOMAIN, repository=REPO)
    content = b"tool"
    published = any_client.publish_package_version(
        domain=DOMAIN,
        repository=REPO,
        format="generic",
        namespace="Tools",
        package="My_CLI",
        packageVersion="1.0.0.0",
        assetContent=content,
        assetName="cli.bin",
        assetSHA256=hashlib.sha256(content).hexdigest(),
    )

    assert (published["namespace"], published["package"], published["version"]) == (
        "Tools",
        "My_CLI",
        "1.0.0.0",
    )
    with raises_client_error("ResourceNotFoundException"):
        any_client.list_package_versions(
            domain=DOMAIN, repository=REPO, format="generic", namespace="tools", package="my_cli"
        )


# The seed: normalises what AWS would, says so, and refuses what AWS could never hold.


def test_the_seed_refuses_two_pypi_names_that_normalise_alike(service: LocalCodeArtifact) -> None:
    document = _document(
        [
            {"format": "pypi", "name": "Foo_Bar.baz", "versions": ["1.0"]},
            {"format": "pypi", "name": "foo-bar-baz", "versions": ["2.0"]},
        ]
    )

    with pytest.raises(
        SeedError, match=r"pypi foo-bar-baz and package pypi Foo_Bar.baz are the same pypi package"
    ):
        seed_service(service, document)
    assert local_client(service).list_domains()["domains"] == []


def test_the_seed_refuses_nuget_versions_that_normalise_alike(service: LocalCodeArtifact) -> None:
    document = _document([{"format": "nuget", "name": "Acme.Logging", "versions": ["1.0.0", "1.0.0.0"]}])

    with pytest.raises(SeedError, match=r"versions 1.0.0 and 1.0.0.0 are the same nuget version .*\(1.0.0\)"):
        seed_service(service, document)


def test_the_seed_refuses_swift_names_that_differ_only_in_case(service: LocalCodeArtifact) -> None:
    document = _document(
        [
            {"format": "swift", "namespace": "Acme", "name": "Kit", "versions": ["1.0.0"]},
            {"format": "swift", "namespace": "acme", "name": "kit", "versions": ["2.0.0"]},
        ]
    )

    with pytest.raises(SeedError, match=r"same swift package once normalised .*\(swift acme/kit\)"):
        seed_service(service, document)


def test_the_seed_refuses_a_nuget_asset_codeartifact_would_name_otherwise(service: LocalCodeArtifact) -> None:
    document = _document(
        [
            {
                "format": "nuget",
                "name": "Acme.Logging",
                "versions": [{"version": "1.0", "assets": [{"name": "x.zip"}]}],
            }
        ]
    )

    with pytest.raises(SeedError, match=r"one asset, named acme.logging.1.0.nupkg by CodeArtifact"):
        seed_service(service, document)


def test_the_seed_says_what_it_normalised() -> None:
    document = _document([NUGET, PYPI, SWIFT, {"format": "npm", "name": "MyLib", "versions": ["1.0.0.0"]}])

    assert normalisations(document) == [
        "nuget Newtonsoft.Json is stored as nuget newtonsoft.json",
        "nuget Newtonsoft.Json version 12.0.3.0 is stored as 12.0.3",
        "nuget Newtonsoft.Json version 13.0.01 is stored as 13.0.1",
        "pypi Foo_Bar.baz is stored as pypi foo-bar-baz",
        "swift MyScope/myPackage is stored as swift myscope/mypackage",
    ]
