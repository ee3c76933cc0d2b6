"""Builders for apply tests: plans and actions from compact arguments, and a fake CodeArtifact that
answers batch calls with the API's per-version semantics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.addresses import PackageRef
from reconciler.applier import BatchResult
from reconciler.aws.requests import action_request
from reconciler.codeartifact import Format, Status
from reconciler.plan import (
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
)
from tests.refs import package_ref

DOMAIN = "acme"
OWNER = "111122223333"


def address(package: str = "app", repository: str = "prod", format: Format = Format.NPM) -> PackageRef:
    return package_ref(domain=DOMAIN, repository=repository, format=format, package=package)


def change(
    version: str,
    prior: Status = Status.PUBLISHED,
    after: Status = Status.ARCHIVED,
    revision: str | None = None,
) -> VersionChange:
    return VersionChange(
        version=version,
        prior_status=prior,
        prior_revision=revision or f"rev-{version}",
        after=after,
        reason="test",
    )


def update(
    *versions: str,
    package: str = "app",
    prior: Status = Status.PUBLISHED,
    after: Status = Status.ARCHIVED,
) -> Action:
    return Action(
        kind=ActionKind.UPDATE_STATUS,
        package=address(package),
        expected_status=prior,
        target_status=after,
        versions=tuple(change(v, prior, after) for v in versions),
    )


def dispose(*versions: str, package: str = "app", prior: Status = Status.PUBLISHED) -> Action:
    return Action(
        kind=ActionKind.DISPOSE,
        package=address(package),
        expected_status=prior,
        target_status=Status.DISPOSED,
        versions=tuple(change(v, prior, Status.DISPOSED) for v in versions),
    )


def copy(*versions: str, package: str = "app", source: str = "staging") -> Action:
    return Action(
        kind=ActionKind.COPY,
        package=address(package),
        expected_status=Status.PUBLISHED,
        target_status=Status.PUBLISHED,
        versions=tuple(change(v, Status.PUBLISHED, Status.PUBLISHED) for v in versions),
        source_repository=source,
    )


def make_plan(*actions: Action, package_versions: dict[str, int] | None = None) -> Plan:
    return Plan(
        tool_version="test",
        created_at="2027-01-15T12:00:00+00:00",
        evaluated_at=1_800_000_000.0,
        manifest_digest="sha256:test",
        manifest_files=("manifests/test.yaml",),
        targets=(TargetIdentity(endpoint="local:test", region="us-east-1", domains={DOMAIN: OWNER}),),
        actions=actions,
        summary=Summary(),
        api_calls={},
        package_versions=package_versions or {},
    )


Key = tuple[str, str, str]  # (repository, package, version)


@dataclass
class FakeCodeArtifact:
    """An `Executor` over an in-memory store, all or nothing like CodeArtifact today: each version
    that fails on its own gets its code, every other one SKIPPED, and nothing changes.

    `versions` maps (repository, package, version) to (status, revision). `script` can answer a
    call instead (return None to let the store answer). Every request is recorded, in call order.
    """

    versions: dict[Key, tuple[str, str]] = field(default_factory=dict)
    script: Callable[[Action], BatchResult | None] | None = None
    delay: float = 0.0
    requests: list[tuple[ActionKind, dict[str, Any]]] = field(default_factory=list)
    active: int = 0
    most_active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, repository: str, package: str, *versions: str, status: str = "Published") -> None:
        for version in versions:
            self.versions[(repository, package, version)] = (status, f"rev-{version}")

    def execute(self, action: Action) -> BatchResult:
        with self._lock:
            self.requests.append((action.kind, action_request(action)))
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            scripted = self.script(action) if self.script is not None else None
            if scripted is not None:
                return scripted
            with self._lock:
                return self._answer(action)
        finally:
            with self._lock:
                self.active -= 1

    def calls_of(self, kind: ActionKind) -> list[dict[str, Any]]:
        return [request for made, request in self.requests if made is kind]

    def _answer(self, action: Action) -> BatchResult:
        if action.kind is ActionKind.COPY:
            return self._copy(action)
        return self._update(action)

    def _copy(self, action: Action) -> BatchResult:
        package, source, destination = action.package.package, action.source_repository or "", _repo(action)
        failed: dict[str, tuple[str, str]] = {}
        identical: set[str] = set()
        for change in action.versions:
            found = self.versions.get((source, package, change.version))
            there = self.versions.get((destination, package, change.version))
            if found is None:
                failed[change.version] = ("NOT_FOUND", f"Could not find version {change.version}")
            elif found[1] != change.prior_revision:
                failed[change.version] = ("MISMATCHED_REVISION", f"current revision: {found[1]}")
            elif there is not None and there[1] == found[1]:
                identical.add(change.version)
            elif there is not None:
                failed[change.version] = ("ALREADY_EXISTS", f"Version {change.version} already exists")
        if failed:
            return self._skip_others(action, failed)
        successful = {}
        for change in action.versions:
            if change.version not in identical:
                found = self.versions[(source, package, change.version)]
                self.versions[(destination, package, change.version)] = found
                successful[change.version] = found[0]
        return BatchResult(successful=successful)

    def _update(self, action: Action) -> BatchResult:
        package, repository = action.package.package, _repo(action)
        failed: dict[str, tuple[str, str]] = {}
        for change in action.versions:
            current = self.versions.get((repository, package, change.version))
            if current is None:
                failed[change.version] = ("NOT_FOUND", f"Could not find version {change.version}")
            elif current[0] != action.expected_status.value:
                failed[change.version] = (
                    "MISMATCHED_STATUS",
                    f"current status: {current[0]}, expected status: {action.expected_status.value}",
                )
            elif current[1] != change.prior_revision:
                failed[change.version] = ("MISMATCHED_REVISION", f"current revision: {current[1]}")
        if failed:
            return self._skip_others(action, failed)
        for change in action.versions:
            key = (repository, package, change.version)
            self.versions[key] = (action.target_status.value, self.versions[key][1])
        return BatchResult(successful={c.version: action.target_status.value for c in action.versions})

    @staticmethod
    def _skip_others(action: Action, failed: dict[str, tuple[str, str]]) -> BatchResult:
        for change in action.versions:
            failed.setdefault(change.version, ("SKIPPED", f"version {change.version} is skipped"))
        return BatchResult(failed=failed)


def _repo(action: Action) -> str:
    return action.package.repository.repository
