"""The seed file's semantic checks, the rules that span fields which its models alone cannot hold:
`check_seed` finds every problem of a loaded `reconciler.local.seedfile.SeedDocument`, each by its
field path. Names are unique (domains per owner, repositories per domain, packages and versions as
CodeArtifact stores them normalised), upstreams are listed before the repositories that use them,
external connections are ones AWS supports, namespaces and assets fit their format, tags and
policies are ones the API would take, and package groups have patterns that parse and allowed
repositories that exist.
"""

from __future__ import annotations

import re

from reconciler.local import names
from reconciler.local.connections import PUBLIC_CONNECTIONS
from reconciler.local.context import NAMESPACED_FORMATS, NAMESPACELESS_FORMATS
from reconciler.local.errors import ValidationException
from reconciler.local.group_patterns import ROOT, parse_pattern
from reconciler.local.policies import MAX_POLICY_LENGTH, check_policy_document
from reconciler.local.quotas import DEFAULTS as QUOTA_DEFAULTS
from reconciler.local.seedfile import (
    DomainSeed,
    Location,
    PackageSeed,
    Policy,
    RepositorySeed,
    SeedDocument,
    label,
    policy_text,
    stored_key,
    stored_label,
)
from reconciler.local.tags import TAGS_PER_RESOURCE

_CONNECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}")
_MAX_UPSTREAMS = QUOTA_DEFAULTS["direct_upstreams"]


def check_seed(document: SeedDocument) -> list[tuple[Location, str]]:
    """The rules that span fields: names unique, upstreams listed first, namespaces per format."""
    problems: list[tuple[Location, str]] = []
    domains: set[tuple[str, str, str]] = set()
    for d, domain in enumerate(document.domains):
        at: Location = ("domains", d)
        # A domain is (Region, owner, name): two accounts may each own one of the same name, and one
        # account one in each Region.
        key = (domain.region or "", domain.owner or "", domain.name)
        if key in domains:
            owned = f" of account {domain.owner}" if domain.owner else ""
            where = f" in {domain.region}" if domain.region else ""
            problems.append(((*at, "name"), f"domain {domain.name}{owned}{where} is listed twice"))
        domains.add(key)
        problems += _check_tags_and_policy(at, domain.tags, domain.policy)
        earlier: set[str] = set()
        for r, repository in enumerate(domain.repositories):
            problems += _check_repository((*at, "repositories", r), domain, repository, earlier)
            earlier.add(repository.name)
        problems += _check_package_groups(at, domain)
    return problems


def _check_package_groups(at: Location, domain: DomainSeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    patterns: set[str] = set()
    repositories = {repository.name for repository in domain.repositories}
    for g, group in enumerate(domain.package_groups):
        where: Location = (*at, "package_groups", g)
        try:
            parse_pattern(group.pattern)
        except ValidationException as exc:
            problems.append(((*where, "pattern"), exc.message))
        if group.pattern in patterns:
            problems.append(((*where, "pattern"), f"package group {group.pattern} is listed twice"))
        patterns.add(group.pattern)
        if group.pattern == ROOT and "INHERIT" in group.restrictions.values():
            problems.append(((*where, "restrictions"), "the root group /* has no parent to inherit from"))
        for restriction, allowed in group.allowed_repositories.items():
            for n, name in enumerate(allowed):
                if name not in repositories:
                    problems.append(
                        (
                            (*where, "allowed_repositories", restriction, n),
                            f"{name} is not a repository of {domain.name}",
                        )
                    )
    return problems


def _check_repository(
    at: Location, domain: DomainSeed, repository: RepositorySeed, earlier: set[str]
) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    if repository.name in earlier:
        problems.append(((*at, "name"), f"repository {repository.name} is listed twice in {domain.name}"))
    problems += _check_upstreams(at, domain, repository, earlier)
    problems += _check_tags_and_policy(at, repository.tags, repository.policy)
    problems += _check_external_connections(at, repository)
    problems += _check_packages(at, repository)
    return problems


def _check_upstreams(
    at: Location, domain: DomainSeed, repository: RepositorySeed, earlier: set[str]
) -> list[tuple[Location, str]]:
    """Upstreams as CreateRepository takes them; each listed before the repositories that use it."""
    problems: list[tuple[Location, str]] = []
    all_names = {r.name for r in domain.repositories}
    if len(repository.upstreams) > _MAX_UPSTREAMS:
        problems.append(((*at, "upstreams"), f"at most {_MAX_UPSTREAMS} upstreams per repository"))
    for u, upstream in enumerate(repository.upstreams):
        if upstream == repository.name:
            message = "a repository cannot be its own upstream"
        elif upstream in repository.upstreams[:u]:
            message = f"upstream {upstream} is listed twice"
        elif upstream not in all_names:
            message = f"upstream {upstream} is not a repository of domain {domain.name}"
        elif upstream not in earlier:
            message = f"upstream {upstream} is listed after {repository.name}; list upstreams first"
        else:
            continue
        problems.append(((*at, "upstreams", u), message))
    return problems


def _check_external_connections(at: Location, repository: RepositorySeed) -> list[tuple[Location, str]]:
    """At most one, each a public connection AWS supports, in its own format."""
    problems: list[tuple[Location, str]] = []
    if len(repository.external_connections) > 1:
        problems.append(((*at, "external_connections"), "a repository has at most one external connection"))
    for c, connection in enumerate(repository.external_connections):
        at_connection: Location = (*at, "external_connections", c)
        if not _CONNECTION_NAME.fullmatch(connection.name):
            problems.append(((*at_connection, "name"), "not a valid external connection name"))
        elif connection.name not in PUBLIC_CONNECTIONS:
            supported = ", ".join(PUBLIC_CONNECTIONS)
            problems.append(
                ((*at_connection, "name"), f"not an external connection AWS supports ({supported})")
            )
        elif connection.format not in (None, PUBLIC_CONNECTIONS[connection.name]):
            kind = PUBLIC_CONNECTIONS[connection.name]
            problems.append(((*at_connection, "format"), f"{connection.name} is a {kind} connection"))
    return problems


def _check_packages(at: Location, repository: RepositorySeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    packages: dict[tuple[str, str, str], PackageSeed] = {}
    for p, package in enumerate(repository.packages):
        where: Location = (*at, "packages", p)
        # CodeArtifact stores names normalised (PyPI, NuGet, Swift): two names that normalise
        # alike are one package, which AWS could never hold twice.
        key = stored_key(package)
        first = packages.get(key)
        if first is not None and label(first) == label(package):
            problems.append((where, f"package {label(package)} is listed twice in {repository.name}"))
        elif first is not None:
            problems.append(
                (
                    where,
                    f"package {label(package)} and package {label(first)} are the same {package.format} "
                    f"package once normalised as CodeArtifact stores it ({stored_label(key)})",
                )
            )
        packages.setdefault(key, package)
        problems += _check_package(where, package)
    return problems


def _check_tags_and_policy(at: Location, tags: dict[str, str], policy: Policy) -> list[tuple[Location, str]]:
    """The rules TagResource and Put*PermissionsPolicy apply, so a seed holds only what the API could."""
    problems: list[tuple[Location, str]] = []
    if len(tags) > TAGS_PER_RESOURCE:
        problems.append(((*at, "tags"), f"at most {TAGS_PER_RESOURCE} tags per resource"))
    for key in tags:
        if key.lower().startswith("aws:"):
            problems.append(((*at, "tags", key), "the aws: prefix is reserved for AWS"))
    if policy is not None:
        text = policy_text(policy)
        try:
            check_policy_document(text)
        except ValidationException as exc:
            problems.append(((*at, "policy"), exc.message))
        if len(text) > MAX_POLICY_LENGTH:
            problems.append(((*at, "policy"), f"a policy has at most {MAX_POLICY_LENGTH} characters"))
    return problems


def _check_package(at: Location, package: PackageSeed) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    if package.format in NAMESPACED_FORMATS and not package.namespace:
        problems.append(((*at, "namespace"), f"format {package.format} needs a namespace"))
    if package.format in NAMESPACELESS_FORMATS and package.namespace:
        problems.append(((*at, "namespace"), f"format {package.format} has no namespaces"))
    if package.format == "npm" and package.namespace and package.namespace.startswith("@"):
        problems.append(((*at, "namespace"), "give an npm scope without '@' (@types/node: namespace types)"))
    seen: dict[str, str] = {}
    for v, version in enumerate(package.versions):
        where: Location = (*at, "versions", v)
        stored = names.version(package.format, version.version)
        if seen.get(stored) == version.version:
            problems.append(((*where, "version"), f"version {version.version} is listed twice"))
        elif stored in seen:
            problems.append(
                (
                    (*where, "version"),
                    f"versions {seen[stored]} and {version.version} are the same {package.format} version "
                    f"once normalised as CodeArtifact stores it ({stored})",
                )
            )
        seen.setdefault(stored, version.version)
        if version.external_connection is not None and version.origin != "EXTERNAL":
            problems.append(((*where, "external_connection"), "only an EXTERNAL version has one"))
        if version.status == "Disposed" and version.assets:
            problems.append(((*where, "assets"), "a Disposed version has no assets"))
        asset_names = [asset.name for asset in version.assets or []]
        if len(set(asset_names)) != len(asset_names):
            problems.append(((*where, "assets"), "asset names must be unique"))
        if package.format == "nuget" and version.assets:
            # CodeArtifact builds a NuGet version's one asset name from the normalised name and version.
            expected = names.nuget_asset_name(package.name, version.version)
            if len(version.assets) > 1 or version.assets[0].name.lower() != expected.lower():
                problems.append(
                    (
                        (*where, "assets"),
                        f"a NuGet package version has one asset, named {expected} by CodeArtifact",
                    )
                )
    return problems
