"""The operations this service implements: botocore operation name -> function, and whether it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.local import (
    batches,
    connections,
    dependencies,
    domains,
    endpoints,
    groups,
    lifecycle,
    origin,
    package_ops,
    packages,
    policies,
    publish,
    tags,
)


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
    "DeleteDomain": Operation(lifecycle.delete_domain, writes=True),
    "DeleteRepository": Operation(lifecycle.delete_repository, writes=True),
    "UpdateRepository": Operation(lifecycle.update_repository, writes=True),
    "AssociateExternalConnection": Operation(connections.associate_external_connection, writes=True),
    "DisassociateExternalConnection": Operation(connections.disassociate_external_connection, writes=True),
    "PutDomainPermissionsPolicy": Operation(policies.put_domain_permissions_policy, writes=True),
    "GetDomainPermissionsPolicy": Operation(policies.get_domain_permissions_policy, writes=False),
    "DeleteDomainPermissionsPolicy": Operation(policies.delete_domain_permissions_policy, writes=True),
    "PutRepositoryPermissionsPolicy": Operation(policies.put_repository_permissions_policy, writes=True),
    "GetRepositoryPermissionsPolicy": Operation(policies.get_repository_permissions_policy, writes=False),
    "DeleteRepositoryPermissionsPolicy": Operation(
        policies.delete_repository_permissions_policy, writes=True
    ),
    "GetAuthorizationToken": Operation(endpoints.get_authorization_token, writes=False),
    "GetRepositoryEndpoint": Operation(endpoints.get_repository_endpoint, writes=False),
    "TagResource": Operation(tags.tag_resource, writes=True),
    "UntagResource": Operation(tags.untag_resource, writes=True),
    "ListTagsForResource": Operation(tags.list_tags_for_resource, writes=False),
    # Package groups (reconciler.local.groups).
    "CreatePackageGroup": Operation(groups.create_package_group, writes=True),
    "DescribePackageGroup": Operation(groups.describe_package_group, writes=False),
    "UpdatePackageGroup": Operation(groups.update_package_group, writes=True),
    "DeletePackageGroup": Operation(groups.delete_package_group, writes=True),
    "ListPackageGroups": Operation(groups.list_package_groups, writes=False),
    "ListSubPackageGroups": Operation(groups.list_sub_package_groups, writes=False),
    "UpdatePackageGroupOriginConfiguration": Operation(
        groups.update_package_group_origin_configuration, writes=True
    ),
    "ListAllowedRepositoriesForGroup": Operation(groups.list_allowed_repositories_for_group, writes=False),
    "ListAssociatedPackages": Operation(groups.list_associated_packages, writes=False),
    "GetAssociatedPackageGroup": Operation(groups.get_associated_package_group, writes=False),
    "DescribePackage": Operation(package_ops.describe_package, writes=False),
    "DeletePackage": Operation(package_ops.delete_package, writes=True),
    "PutPackageOriginConfiguration": Operation(origin.put_package_origin_configuration, writes=True),
    "ListPackageVersionDependencies": Operation(dependencies.list_package_version_dependencies, writes=False),
    "GetPackageVersionReadme": Operation(dependencies.get_package_version_readme, writes=False),
}
