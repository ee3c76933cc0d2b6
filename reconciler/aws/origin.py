"""The origin controls of the packages a plan copies into, every call counted.

Per target package at most three reads: its own origin configuration (DescribePackage, only when
the repository holds it: a package that is not there has none), its package group's PUBLISH
setting (GetAssociatedPackageGroup, once per package name in a domain, whatever the repositories),
and, only when that setting is ALLOW_SPECIFIC_REPOSITORIES, the group's allowed repositories
(ListAllowedRepositoriesForGroup, once per group it is set on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from reconciler.addresses import PackageRef
from reconciler.aws.client import call, pages
from reconciler.aws.requests import domain_params, package_params
from reconciler.errors import AwsError
from reconciler.origincontrols import (
    ALLOW,
    ALLOW_SPECIFIC_REPOSITORIES,
    INHERIT,
    GroupPublish,
    PackageOrigin,
    PublishControls,
)

# A package name in a domain: what GetAssociatedPackageGroup is asked about (groups are domain-wide).
_Name = tuple[str, str | None, str, str | None, str]  # domain, owner, format, namespace, package
_Group = tuple[str, str | None, str]  # domain, owner, pattern
_K = TypeVar("_K")
_V = TypeVar("_V")


def publish_controls(
    client: Any, packages: Mapping[PackageRef, bool], max_workers: int = 8
) -> tuple[dict[PackageRef, PublishControls], Counter[str]]:
    """The controls of each package (mapped to whether its repository holds it), and the calls spent."""
    calls: Counter[str] = Counter()
    owned = _each(
        [ref for ref, exists in packages.items() if exists],
        lambda ref: _own_configuration(client, ref),
        calls,
        max_workers,
    )
    groups = _each(
        sorted({_name(ref) for ref in packages}, key=str),
        lambda name: _associated_group(client, name),
        calls,
        max_workers,
    )
    specific = sorted(
        {(name[0], name[1], group.source) for name, group in groups.items() if _needs_list(group)}, key=str
    )
    allowed = _each(specific, lambda group: _allowed_repositories(client, group), calls, max_workers)
    controls: dict[PackageRef, PublishControls] = {}
    for ref in packages:
        name = _name(ref)
        group = groups[name]
        if _needs_list(group):
            group = GroupPublish(
                group.pattern,
                group.association,
                group.mode,
                group.effective_mode,
                group.source,
                allowed[(name[0], name[1], group.source)],
            )
        controls[ref] = PublishControls(ref, owned.get(ref), group)
    return controls, calls


def _each(
    keys: Iterable[_K],
    read: Callable[[_K], tuple[_V, Counter[str]]],
    calls: Counter[str],
    max_workers: int,
) -> dict[_K, _V]:
    keys = list(keys)
    found: dict[_K, _V] = {}
    if not keys:
        return found
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(keys)))) as pool:
        for key, (value, spent) in zip(keys, pool.map(read, keys), strict=True):
            found[key] = value
            calls.update(spent)
    return found


def _name(ref: PackageRef) -> _Name:
    repository = ref.repository
    return (repository.domain, repository.domain_owner, ref.format.value, ref.namespace, ref.package)


def _needs_list(group: GroupPublish) -> bool:
    return group.effective_mode == ALLOW_SPECIFIC_REPOSITORIES and group.association != "WEAK"


def _own_configuration(client: Any, ref: PackageRef) -> tuple[PackageOrigin | None, Counter[str]]:
    calls: Counter[str] = Counter()
    try:
        described = call(client, "DescribePackage", calls, **package_params(ref))["package"]
    except AwsError as error:
        if error.code == "ResourceNotFoundException" and error.resource_type == "package":
            return None, calls  # gone since it was listed: no configuration of its own
        raise
    restrictions = described.get("originConfiguration", {}).get("restrictions", {})
    return PackageOrigin(restrictions.get("publish", ALLOW), restrictions.get("upstream", ALLOW)), calls


def _associated_group(client: Any, name: _Name) -> tuple[GroupPublish, Counter[str]]:
    domain, owner, format, namespace, package = name
    calls: Counter[str] = Counter()
    params: dict[str, Any] = {**domain_params(domain, owner), "format": format, "package": package}
    if namespace:
        params["namespace"] = namespace
    response = call(client, "GetAssociatedPackageGroup", calls, **params)
    group = response["packageGroup"]
    publish = group.get("originConfiguration", {}).get("restrictions", {}).get("PUBLISH", {})
    mode = publish.get("mode", ALLOW)
    effective = publish.get("effectiveMode", mode)
    inherited = publish.get("inheritedFrom", {}).get("pattern")
    source = inherited if mode == INHERIT and inherited else group["pattern"]
    association = response.get("associationType", "STRONG")
    return GroupPublish(group["pattern"], association, mode, effective, source), calls


def _allowed_repositories(client: Any, group: _Group) -> tuple[frozenset[str], Counter[str]]:
    domain, owner, pattern = group
    calls: Counter[str] = Counter()
    params = {**domain_params(domain, owner), "packageGroup": pattern, "originRestrictionType": "PUBLISH"}
    names: set[str] = set()
    for page in pages(client, "ListAllowedRepositoriesForGroup", calls, params):
        names.update(page.get("allowedRepositories", []))
    return frozenset(names), calls
