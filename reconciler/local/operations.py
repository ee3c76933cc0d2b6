"""The operations this service implements: botocore operation name -> function, and whether it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.local import batches, dependencies, domains, origin, package_ops, packages, publish


@dataclass(frozen=True)
class Operation:
    function: Callable[..., dict[str, Any]]
    writes: bool


OPERATIONS: dict[str, Operation] = {
    "CreateDomain": Operation(domains.create_domain, writes=True),
    "DescribeDomain": Operation(domains.describe_domain, writes=False),
    "ListDomains": Operation(domains.list_domains, writes=False),
    "CreateRepository": Operation(domains.create_repository, writes=True),
    "DescribeRepository": Operation(domains.describe_repository, writes=False),
    "ListRepositories": Operation(domains.list_repositories, writes=False),
    "ListRepositoriesInDomain": Operation(domains.list_repositories_in_domain, writes=False),
    "ListPackages": Operation(packages.list_packages, writes=False),
    "ListPackageVersions": Operation(packages.list_package_versions, writes=False),
    "DescribePackageVersion": Operation(packages.describe_package_version, writes=False),
    "ListPackageVersionAssets": Operation(packages.list_package_version_assets, writes=False),
    "GetPackageVersionAsset": Operation(packages.get_package_version_asset, writes=False),
    "PublishPackageVersion": Operation(publish.publish_package_version, writes=True),
    "CopyPackageVersions": Operation(batches.copy_package_versions, writes=True),
    "UpdatePackageVersionsStatus": Operation(batches.update_package_versions_status, writes=True),
    "DisposePackageVersions": Operation(batches.dispose_package_versions, writes=True),
    "DeletePackageVersions": Operation(batches.delete_package_versions, writes=True),
    "DescribePackage": Operation(package_ops.describe_package, writes=False),
    "DeletePackage": Operation(package_ops.delete_package, writes=True),
    "PutPackageOriginConfiguration": Operation(origin.put_package_origin_configuration, writes=True),
    "ListPackageVersionDependencies": Operation(dependencies.list_package_version_dependencies, writes=False),
    "GetPackageVersionReadme": Operation(dependencies.get_package_version_readme, writes=False),
}
