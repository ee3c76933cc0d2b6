"""Seeding what the package operations read: dependencies, readmes and origin configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.seed import SeedError, load_seed, seed_service
from tests.local.builders import seed, write_seed

SEED = """
apiVersion: reconciler/v1
kind: LocalSeed
domains:
  - name: acme
    repositories:
      - name: staging
        packages:
          - format: npm
            namespace: acme
            name: web-sdk
            publish: BLOCK
            upstream: BLOCK
            versions:
              - version: "1.0.0"
                readme: |
                  # web-sdk
                dependencies:
                  - {package: react, dependency_type: peer, version_requirement: ^18.0.0}
                  - {namespace: acme, package: core, dependency_type: regular, version_requirement: "1.2.3"}
              - "1.1.0"
      - name: prod
        packages:
          - format: npm
            namespace: acme
            name: web-sdk
            versions:
              - "1.0.0"
              - {version: "1.1.0", readme: "prod's own readme"}
"""


def _web_sdk(repository: str) -> dict[str, str]:
    return {
        "domain": "acme",
        "repository": repository,
        "format": "npm",
        "namespace": "acme",
        "package": "web-sdk",
    }


@pytest.fixture
def seeded(service: LocalCodeArtifact, tmp_path: Path) -> Any:
    seed_service(service, load_seed(write_seed(tmp_path, SEED)))
    return local_client(service)


def test_a_seed_file_declares_dependencies_and_a_readme(seeded: Any) -> None:
    staging = {**_web_sdk("staging"), "packageVersion": "1.0.0"}

    dependencies = seeded.list_package_version_dependencies(**staging)["dependencies"]
    readme = seeded.get_package_version_readme(**staging)["readme"]

    assert dependencies == [
        {"package": "react", "dependencyType": "peer", "versionRequirement": "^18.0.0"},
        {"namespace": "acme", "package": "core", "dependencyType": "regular", "versionRequirement": "1.2.3"},
    ]
    assert readme == "# web-sdk\n"


def test_a_version_seeded_again_takes_the_first_ones_dependencies_and_readme_unless_given(
    seeded: Any,
) -> None:
    prod = _web_sdk("prod")

    inherited = seeded.get_package_version_readme(**prod, packageVersion="1.0.0")
    own = seeded.get_package_version_readme(**prod, packageVersion="1.1.0")
    dependencies = seeded.list_package_version_dependencies(**prod, packageVersion="1.0.0")["dependencies"]

    assert inherited["readme"] == "# web-sdk\n"
    assert own["readme"] == "prod's own readme"
    assert [d["package"] for d in dependencies] == ["react", "core"]


def test_a_seed_file_declares_origin_configuration(seeded: Any) -> None:
    staging = seeded.describe_package(**_web_sdk("staging"))["package"]["originConfiguration"]
    prod = seeded.describe_package(**_web_sdk("prod"))["package"]["originConfiguration"]

    assert staging == {"restrictions": {"publish": "BLOCK", "upstream": "BLOCK"}}
    assert prod == {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}  # its own, not staging's


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        ({"versions": ["1.0.0"]}, ("ALLOW", "BLOCK")),
        ({"versions": [{"version": "1.0.0", "origin": "EXTERNAL"}, "1.1.0"]}, ("BLOCK", "ALLOW")),
        ({"versions": ["1.0.0", {"version": "1.1.0", "origin": "EXTERNAL"}]}, ("ALLOW", "BLOCK")),
        ({"versions": []}, ("ALLOW", "BLOCK")),
        ({"versions": [{"version": "1.0.0", "origin": "EXTERNAL"}], "publish": "ALLOW"}, ("ALLOW", "ALLOW")),
        ({"versions": ["1.0.0"], "upstream": "ALLOW"}, ("ALLOW", "ALLOW")),
    ],
    ids=["published", "ingested", "first-published", "empty", "publish-given", "upstream-given"],
)
def test_origin_configuration_not_given_follows_how_the_first_version_arrived(
    service: LocalCodeArtifact, package: dict[str, Any], expected: tuple[str, str]
) -> None:
    seed(service, [{"name": "staging", "packages": [{"format": "npm", "name": "lib", **package}]}])

    described = local_client(service).describe_package(
        domain="acme", repository="staging", format="npm", package="lib"
    )
    restrictions = described["package"]["originConfiguration"]["restrictions"]
    assert (restrictions["publish"], restrictions["upstream"]) == expected


def test_a_dependency_with_an_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
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
                  - format: npm
                    name: a
                    versions:
                      - version: "1.0.0"
                        dependencies:
                          - {package: b, scope: dev}
        """,
    )
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    assert (
        ":13: domains[0].repositories[0].packages[0].versions[0].dependencies[0].scope: unknown key 'scope'"
        in str(caught.value)
    )


def test_a_package_seeded_again_takes_the_ingested_defaults_from_its_inherited_origin(
    service: LocalCodeArtifact,
) -> None:
    ingested = {"format": "npm", "name": "lib", "versions": [{"version": "1.0.0", "origin": "EXTERNAL"}]}
    again = {"format": "npm", "name": "lib", "versions": ["1.0.0"]}  # inherits EXTERNAL from npm-proxy
    seed(
        service,
        [
            {"name": "npm-proxy", "packages": [ingested]},
            {"name": "staging", "upstreams": ["npm-proxy"], "packages": [again]},
        ],
    )

    client = local_client(service)
    described = client.describe_package(domain="acme", repository="staging", format="npm", package="lib")
    versions = client.list_package_versions(domain="acme", repository="staging", format="npm", package="lib")
    assert versions["versions"][0]["origin"]["originType"] == "EXTERNAL"
    assert described["package"]["originConfiguration"] == {
        "restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}
    }
