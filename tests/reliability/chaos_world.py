"""A chaos trial's world: a small seeded population of `staging` and `prod`, and manifests for it.

Every package lives in both repositories (one version seeded in both is one version, copied, with
one revision). The manifests pin prod versions to other statuses (disposes and deletes included), promote
staging versions with `copy_from` pins (some to arrive Unlisted or Archived: a copy then its
settling update) and a `keep_latest` copy rule, archive or unlist old lines with a `match` rule,
and pin a few staging versions; so a plan has copies, status updates and disposes in both
repositories, and in some trials deletes in prod. Nothing in them is a plan error: a version the manifests promote is copyable, and
never changed in staging by them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import yaml

DOMAIN = "acme"
# (format, namespace): one with a namespace in a format where it is optional (npm), and formats
# where it is required (maven, generic) or refused (pypi, nuget, cargo).
KINDS = [
    ("npm", None),
    ("npm", "acme"),
    ("pypi", None),
    ("maven", "com.acme"),
    ("generic", "tools"),
    ("nuget", None),
    ("cargo", None),
]
VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0", "3.0.0", "3.1.0", "4.0.0"]
OPEN = ["Published", "Unlisted", "Archived"]
COPYABLE = ["Published", "Unlisted"]


@dataclass
class Package:
    format: str
    namespace: str | None
    name: str
    staging: dict[str, str]  # version -> status
    prod: dict[str, str]

    def seed(self, repository: str) -> dict[str, Any]:
        versions = self.staging if repository == "staging" else self.prod
        entry: dict[str, Any] = {"format": self.format, "name": self.name}
        if self.namespace:
            entry["namespace"] = self.namespace
        entry["versions"] = [{"version": v, "status": s} for v, s in versions.items()]
        return entry

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"format": self.format}
        if self.namespace:
            entry["namespace"] = self.namespace
        entry["name"] = self.name
        return entry


@dataclass
class World:
    packages: list[Package]
    prod_manifest: dict[str, Any]
    staging_manifest: dict[str, Any]
    # (repository, format, namespace, name) of every package, for the writer to pick from.
    refs: list[tuple[str, str, str | None, str]] = field(default_factory=list)

    def seed_document(self) -> dict[str, Any]:
        return {
            "apiVersion": "reconciler/v1",
            "kind": "LocalSeed",
            "domains": [
                {
                    "name": DOMAIN,
                    "repositories": [
                        {"name": "staging", "packages": [p.seed("staging") for p in self.packages]},
                        {"name": "prod", "packages": [p.seed("prod") for p in self.packages]},
                    ],
                }
            ],
        }

    def manifest_texts(self) -> dict[str, str]:
        return {
            "prod.yaml": yaml.safe_dump(self.prod_manifest, sort_keys=False),
            "staging.yaml": yaml.safe_dump(self.staging_manifest, sort_keys=False),
        }


def make_world(rng: random.Random) -> World:
    kinds = rng.sample(KINDS, rng.randint(3, 5))
    packages = [_package(rng, fmt, namespace, f"lib-{index}") for index, (fmt, namespace) in enumerate(kinds)]
    prod_entries = [_prod_entry(rng, package) for package in packages]
    staging_entries = [e for e in (_staging_entry(rng, package) for package in packages) if e is not None]
    return World(
        packages,
        _document("prod", prod_entries),
        _document("staging", staging_entries or [_staging_fallback(packages[0])]),
    )


def _document(repository: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "reconciler/v1",
        "kind": "PackageLifecycle",
        "target": {"domain": DOMAIN, "repository": repository},
        "packages": entries,
    }


def _package(rng: random.Random, fmt: str, namespace: str | None, name: str) -> Package:
    versions = VERSIONS[: rng.randint(5, len(VERSIONS))]
    # The newest staging version is copyable (a keep_latest promotion may take it); older ones mixed.
    staging = {v: rng.choices(OPEN, weights=[6, 2, 1])[0] for v in versions[:-1]}
    staging[versions[-1]] = rng.choice(COPYABLE)
    # prod holds the older versions, at least three, with statuses of their own.
    held = rng.randint(3, len(versions) - 2)
    prod = {v: rng.choices(OPEN, weights=[5, 2, 2])[0] for v in versions[:held]}
    return Package(fmt, namespace, name, staging, prod)


def _promotable(package: Package) -> list[str]:
    return [v for v, s in package.staging.items() if v not in package.prod and s in COPYABLE]


def _prod_entry(rng: random.Random, package: Package) -> dict[str, Any]:
    entry = package.entry()
    pins: dict[str, Any] = {}
    held = list(package.prod)
    for version in rng.sample(held, rng.randint(1, 2)):
        pins[version] = rng.choice([s for s in OPEN if s != package.prod[version]])
    destroyed = 0
    if rng.random() < 0.6:
        # One dispose at most per package, of one of three or more versions: within the share limit.
        disposable = [v for v in held if v not in pins]
        pins[rng.choice(disposable)] = "Disposed"
        destroyed += 1
    deletable = [v for v in held if v not in pins]
    if deletable and rng.random() < 0.5 and (destroyed + 1) * 2 <= len(held):
        # One delete at most (a version declared Deleted): disposes and deletes together stay within
        # half of the package's versions.
        pins[rng.choice(deletable)] = "Deleted"
    promotable = _promotable(package)
    newest = list(package.staging)[-1]
    for version in rng.sample(promotable, min(len(promotable), rng.randint(1, 2))):
        if version != newest:
            pins[version] = {"status": rng.choices(OPEN, weights=[3, 2, 1])[0], "copy_from": "staging"}
    entry["versions"] = pins
    rules: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        rules.append({"copy_from": "staging", "keep_latest": 1, "status": "Published"})
    if rng.random() < 0.5:
        rules.append({"match": "1.*", "status": rng.choice(["Unlisted", "Archived"])})
    if rules:
        entry["rules"] = rules
    return entry


def _staging_entry(rng: random.Random, package: Package) -> dict[str, Any] | None:
    """Pins of staging versions no promotion takes (neither already in prod nor the newest)."""
    candidates = [
        v for v in list(package.staging)[:-1] if v in package.prod and package.staging[v] != "Archived"
    ]
    if not candidates or rng.random() < 0.3:
        return None
    entry = package.entry()
    entry["versions"] = {
        version: rng.choice([s for s in OPEN if s != package.staging[version]])
        for version in rng.sample(candidates, min(len(candidates), rng.randint(1, 2)))
    }
    return entry


def _staging_fallback(package: Package) -> dict[str, Any]:
    entry = package.entry()
    version = next(iter(package.staging))
    entry["versions"] = {version: package.staging[version]}
    return entry
