"""The reads the reconciler makes, one function each, every call counted.

A plain set of reads over identities: they never see manifests or the planner (the use cases in
`reconciler.workflows` decide what to read). Reading a package costs one paginated
ListPackageVersions listing (1,000 a page); with age thresholds, each is located by bisection over
a listing sorted by publish time, about log2(n) DescribePackageVersion calls instead of one per
version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.client import call, pages
from reconciler.aws.requests import domain_params, package_params, repository_params
from reconciler.codeartifact import MAX_PAGE_SIZE, Format, Status
from reconciler.errors import AwsError, ReconcilerError
from reconciler.state import PackageState, ReadSpec, VersionState

STATUSES = {status.value: status for status in Status}  # a listing's status text, as an enum
_NO_ORIGIN: dict[str, Any] = {}
# CodeArtifact searches at most this many repositories for a copy with includeFromUpstream.
MAX_UPSTREAM_SEARCH = 25


def domain_owner(client: Any, domain: str, owner: str | None, calls: Counter[str]) -> str:
    """The account that owns `domain` (one DescribeDomain)."""
    return str(call(client, "DescribeDomain", calls, **domain_params(domain, owner))["domain"]["owner"])


def list_packages(
    client: Any,
    repository: RepositoryRef,
    calls: Counter[str],
    *,
    format: Format | None = None,
    namespace: str | None = None,
    prefix: str = "",
) -> Iterator[tuple[Format, str | None, str]]:
    """(format, namespace, name) of every package ListPackages returns. `namespace` is a prefix filter
    server-side: callers that want one namespace exactly compare it themselves."""
    params: dict[str, Any] = {**repository_params(repository), "maxResults": MAX_PAGE_SIZE}
    if format is not None:
        params["format"] = format.value
    if namespace:
        params["namespace"] = namespace
    if prefix:
        params["packagePrefix"] = prefix
    for page in pages(client, "ListPackages", calls, params):
        for package in page["packages"]:
            yield Format(package["format"]), package.get("namespace") or None, package["package"]


def upstream_chain(client: Any, source: RepositoryRef, calls: Counter[str]) -> tuple[str, ...]:
    """The repositories a copy with includeFromUpstream searches after `source`: its upstreams,
    depth first in their listed order, each once, at most 25 repositories in all (CodeArtifact's limit)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or len(order) >= MAX_UPSTREAM_SEARCH:
            return
        order.append(name)
        repository = RepositoryRef(source.domain, name, source.domain_owner, source.region)
        described = call(client, "DescribeRepository", calls, **repository_params(repository))["repository"]
        for upstream in described.get("upstreams", []):
            visit(upstream["repositoryName"])

    visit(source.repository)
    return tuple(order[1:])


def read_package(client: Any, spec: ReadSpec) -> tuple[PackageState | None, Counter[str]]:
    """Every version of a package (None: it does not exist in that repository), and the calls spent."""
    ref = spec.ref
    calls: Counter[str] = Counter()
    params: dict[str, Any] = {**package_params(ref), "maxResults": MAX_PAGE_SIZE}
    if spec.time_sorted:
        params["sortBy"] = "PUBLISHED_TIME"
    versions: dict[str, VersionState] = {}
    origin_types: dict[str, str] = {}  # one string per origin type, not one per version
    default: str | None = None
    try:
        # Each page becomes version states as it comes: a package of 100,000 versions never holds
        # its 100,000 response items at once (about a kilobyte each).
        for page in pages(client, "ListPackageVersions", calls, params):
            _add_version_states(versions, origin_types, ref, page["versions"], spec.time_sorted)
            default = page.get("defaultDisplayVersion", default)
    except AwsError as error:
        if error.code == "ResourceNotFoundException" and error.resource_type == "package":
            return None, calls  # the package does not exist in this repository (yet)
        raise
    # In listing order (by publish time when thresholds are asked for): dicts keep insertion order.
    newest_first = list(versions) if spec.thresholds else []
    times: dict[str, float] = {}  # thresholds of one package share what bisection already read
    published_after = {
        threshold: _bisect(lambda v: _published_time(client, ref, v, times, calls), newest_first, threshold)
        for threshold in sorted(spec.thresholds)
    }
    return PackageState(ref, versions, default, spec.time_sorted, published_after), calls


def version_asset_bytes(client: Any, ref: PackageRef, version: str) -> tuple[int, Counter[str]]:
    """The bytes of every asset of a version (the `size` of each, from a paginated
    ListPackageVersionAssets), and the calls spent."""
    calls: Counter[str] = Counter()
    params: dict[str, Any] = {**package_params(ref), "packageVersion": version, "maxResults": MAX_PAGE_SIZE}
    total = 0
    for page in pages(client, "ListPackageVersionAssets", calls, params):
        total += sum(int(asset.get("size") or 0) for asset in page.get("assets", []))
    return total, calls


def _add_version_states(
    versions: dict[str, VersionState],
    origin_types: dict[str, str],
    ref: PackageRef,
    items: list[dict[str, Any]],
    time_sorted: bool,
) -> None:
    for item in items:
        origin_type = item.get("origin", _NO_ORIGIN).get("originType", "UNKNOWN")
        versions[item["version"]] = VersionState(
            item["version"],
            item.get("revision", ""),
            STATUSES.get(item["status"]) or _status(ref, item),
            origin_types.setdefault(origin_type, origin_type),
            len(versions) if time_sorted else None,
        )


def _bisect(published_time: Callable[[str], float], newest_first: list[str], threshold: float) -> int:
    """How many versions (the newest ones) were published at or after `threshold`."""
    low, high = 0, len(newest_first)
    while low < high:
        middle = (low + high) // 2
        if published_time(newest_first[middle]) < threshold:
            high = middle
        else:
            low = middle + 1
    return low


def _published_time(
    client: Any, ref: PackageRef, version: str, times: dict[str, float], calls: Counter[str]
) -> float:
    if version in times:
        return times[version]
    params: dict[str, Any] = {**package_params(ref), "packageVersion": version}
    described = call(client, "DescribePackageVersion", calls, **params)["packageVersion"]
    published = described.get("publishedTime")
    # A version with no publish time (an upload still in progress) counts as the newest: an age rule
    # must never take it for old.
    times[version] = float(published.timestamp()) if published is not None else float("inf")
    return times[version]


def _status(ref: PackageRef, item: dict[str, Any]) -> Status:
    try:
        return Status(item["status"])
    except ValueError:
        raise ReconcilerError(
            f"{ref}@{item['version']}: CodeArtifact reports status {item['status']!r}, which this version "
            "of the reconciler does not know",
            "Upgrade the reconciler, or leave the package out of the manifests for now.",
        ) from None
