"""Builders for planner tests: declared state from plain dicts, live state from compact tables."""

from __future__ import annotations

from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status
from reconciler.models import DeclaredEntry, DesiredState, Manifest, Origin
from reconciler.state import LiveState, PackageScope, PackageState, VersionState

NOW = 1_800_000_000.0
DAY = 86400.0


def desired(*packages: dict[str, Any], repository: str = "prod", domain: str = "acme") -> DesiredState:
    manifest = Manifest.model_validate(
        {
            "apiVersion": "reconciler/v1",
            "kind": "PackageLifecycle",
            "target": {"domain": domain, "repository": repository},
            "packages": list(packages),
        }
    )
    entries = tuple(
        DeclaredEntry(
            target=manifest.target.targets()[0],
            entry=entry,
            origin=Origin("manifests/test.yaml", 10 + 20 * index),
            pin_origins={
                version: Origin("manifests/test.yaml", 12 + 20 * index) for version in entry.versions
            },
        )
        for index, entry in enumerate(manifest.packages)
    )
    return DesiredState(entries=entries, digest="sha256:test", files=("manifests/test.yaml",))


def ref(name: str, format: str = "npm", namespace: str | None = None, repository: str = "prod") -> PackageRef:
    return PackageRef(RepositoryRef("acme", repository), Format(format), namespace, name)


def package(
    package_ref: PackageRef,
    versions: dict[str, str],
    *,
    ages_days: dict[str, float] | None = None,
    default: str | None = None,
    now: float = NOW,
) -> PackageState:
    """`versions`: version -> status. With `ages_days`, the package is listed newest first by publish
    time and every age threshold of the test's rules is located exactly."""
    states = {
        version: VersionState(version=version, revision=f"rev-{version}", status=Status(status))
        for version, status in versions.items()
    }
    if ages_days is None:
        return PackageState(package_ref, states, default)
    order = sorted(states, key=lambda v: (ages_days[v], v))
    ranked = {
        version: VersionState(version, states[version].revision, states[version].status, time_rank=rank)
        for rank, version in enumerate(order)
    }
    thresholds = {now - days * DAY for days in (1, 7, 14, 30, 60, 90, 180, 365)}
    published_after = {
        threshold: sum(1 for v in order if now - ages_days[v] * DAY >= threshold) for threshold in thresholds
    }
    return PackageState(package_ref, ranked, default, True, published_after)


def live(*states: PackageState, names: dict[str, list[str]] | None = None, now: float = NOW) -> LiveState:
    state = LiveState(now=now, domain_owners={"acme": "111122223333"})
    for item in states:
        state.packages[item.ref] = item
    for key, listed in (names or {}).items():
        format, _, namespace = key.partition(":")
        scope = PackageScope(RepositoryRef("acme", "prod"), Format(format), namespace or None)
        state.package_names[scope] = set(listed)
    return state
