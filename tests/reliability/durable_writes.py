"""The writers of the durability suite, and what each of their writes must have made true.

A writer owns its own names (a package, repositories and their tags), so the writers of a trial never
touch each other's resources and each one's record is exact: every key it wrote holds the state of
its last acknowledged write to it, unless its one write in flight when the service was killed took
effect too, whole. A key is a tuple naming one thing the service stores (a version in a repository,
a tag, an origin configuration, a repository, its external connection), a state what a read of it
answers; `None` is absent.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

DOMAIN = "durable"
STAGE = "stage"
PROD = "prod"
NAMESPACE = "dur"
FORMAT = "generic"
UPDATABLE = ("Published", "Unlisted", "Archived")
COPYABLE = ("Published", "Unlisted")
CONNECTION = "public:npmjs"
TAG_KEYS = ("team", "cost-centre", "stage")
# A version's revision a write in flight would have given it: unknown, any revision matches.
ANY_REVISION = "*"
# The origin restrictions of a package nobody configured (CodeArtifact's default for a package
# created by a publish).
DEFAULT_ORIGIN = ("ALLOW", "BLOCK")

Key = tuple[str, ...]
# What a whole answer of each operation holds; a batch's answer is needed whole, since only its
# `failedVersions` tells whether it changed anything.
_ANSWER_FIELDS = {
    "PublishPackageVersion": "versionRevision",
    "UpdatePackageVersionsStatus": "successfulVersions",
    "CopyPackageVersions": "successfulVersions",
    "DisposePackageVersions": "successfulVersions",
    "DeletePackageVersions": "successfulVersions",
    "PutPackageOriginConfiguration": "originConfiguration",
    "CreateRepository": "repository",
    "AssociateExternalConnection": "repository",
}
# Operations whose 2xx alone says they changed what they were asked to (a batch's 2xx does not).
_COMMITTED_WHEN_ANSWERED = frozenset(
    {
        "PublishPackageVersion",
        "PutPackageOriginConfiguration",
        "CreateRepository",
        "AssociateExternalConnection",
    }
)


def _cut_short(write: Write, response: Any) -> bool:
    wanted = _ANSWER_FIELDS.get(write.operation)
    return wanted is not None and wanted not in response


@dataclass(frozen=True)
class Version:
    """A package version as the reads answer it: status, revision, and assets by (name, SHA-256)."""

    status: str
    revision: str
    assets: frozenset[tuple[str, str]] = frozenset()


State = Any  # a Version, a string, a (publish, upstream) pair, or None for absent


def matches(expected: State, actual: State) -> bool:
    if isinstance(expected, Version) and isinstance(actual, Version) and expected.revision == ANY_REVISION:
        return (expected.status, expected.assets) == (actual.status, actual.assets)
    return bool(expected == actual)


@dataclass
class Write:
    """One write request: the states it makes true (`after`) in place of those before it."""

    operation: str
    before: dict[Key, State]
    after: dict[Key, State]
    # A 2xx status line arrived but the answer's body was cut short by the kill: the write was
    # committed (the service answers only after its commit), only its new revision is unknown.
    answered: bool = False


@dataclass
class Writer:
    """One client issuing a seeded sequence of writes until the service stops answering."""

    name: str  # unique in the database file: t<trial>w<n>
    client: Any
    rng: random.Random
    on_ack: Callable[[], None] = lambda: None
    before_send: Callable[[], None] = lambda: None
    # The state of every key this writer wrote, as its acknowledged writes left it.
    state: dict[Key, State] = field(default_factory=dict)
    acknowledged: int = 0
    operations: Counter[str] = field(default_factory=Counter)  # acknowledged, by operation
    rejected: list[str] = field(default_factory=list)  # writes answered with a 4xx (none expected)
    in_flight: Write | None = None  # sent, not answered: the service was killed under it
    refused: bool = False  # the last write found no service listening: it was never sent
    error: Exception | None = None  # what stopped this writer, if not the service
    _arns: dict[str, str] = field(default_factory=dict)  # of the repositories this writer created
    _versions: int = 0
    _repositories: int = 0

    @property
    def package(self) -> str:
        return f"pkg-{self.name}"

    def run(self, limit: int, stop: threading.Event) -> None:
        """Write until `limit` writes, `stop`, or the first write the service did not answer."""
        try:
            self._run(limit, stop)
        except Exception as exc:  # kept for the thread that started this one, which raises it
            self.error = exc

    def _run(self, limit: int, stop: threading.Event) -> None:
        for _ in range(limit):
            if stop.is_set():
                return
            write, call = self._next()
            self.in_flight = write
            self.before_send()
            try:
                response = call()
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if 400 <= status < 500:  # refused before anything was written
                    self.in_flight = None
                    self.rejected.append(f"{write.operation}: {error}")
                    continue
                return  # a 5xx may come after a commit: the write stays in flight
            except EndpointConnectionError:
                self.refused = True
                return
            except BotoCoreError:
                return
            if _cut_short(write, response):
                # botocore parses a 2xx whose body the kill truncated as {} or {"message": ...}.
                write.answered = write.operation in _COMMITTED_WHEN_ANSWERED
                return
            failed = response.get("failedVersions")
            if failed:  # a batch is all or nothing: a failed version means nothing changed
                self.in_flight = None
                self.rejected.append(f"{write.operation}: {failed}")
                continue
            self._acknowledge(write, response)
            self.on_ack()

    def _acknowledge(self, write: Write, response: dict[str, Any]) -> None:
        after = dict(write.after)
        if write.operation == "PublishPackageVersion":
            ((key, version),) = after.items()
            after[key] = Version(version.status, response["versionRevision"], version.assets)
        if write.operation == "CreateRepository":
            ((key, _),) = after.items()
            self._arns[key[1]] = response["repository"]["arn"]
        self.state.update(after)
        self.in_flight = None
        self.acknowledged += 1
        self.operations[write.operation] += 1

    # --- the seeded choice of the next write -------------------------------------------------

    def _next(self) -> tuple[Write, Callable[[], Any]]:
        choices: list[tuple[int, Callable[[], tuple[Write, Callable[[], Any]] | None]]] = [
            (5, self._publish),
            (3, self._update_status),
            (2, self._copy),
            (1, self._dispose),
            (1, self._delete),
            (1, self._tag),
            (1, self._origin),
            (1, self._create_repository),
            (1, self._associate),
        ]
        weights = [weight for weight, _ in choices]
        makers = [make for _, make in choices]
        while True:
            (make,) = self.rng.choices(makers, weights)
            made = make()
            if made is not None:
                return made

    def _versions_in(self, repository: str, statuses: tuple[str, ...] | None = None) -> list[str]:
        found = []
        for key, state in self.state.items():
            if (
                key[0] == "version"
                and key[1] == repository
                and isinstance(state, Version)
                and (statuses is None or state.status in statuses)
            ):
                found.append(key[3])
        return sorted(found)

    def _version_key(self, repository: str, version: str) -> Key:
        return ("version", repository, self.package, version)

    def _coordinates(self, repository: str) -> dict[str, str]:
        return {
            "domain": DOMAIN,
            "repository": repository,
            "format": FORMAT,
            "namespace": NAMESPACE,
            "package": self.package,
        }

    def _sample(self, versions: list[str], most: int) -> list[str]:
        return self.rng.sample(versions, self.rng.randint(1, min(most, len(versions))))

    def _publish(self) -> tuple[Write, Callable[[], Any]]:
        self._versions += 1
        version = f"1.0.{self._versions}"
        # Mostly small assets; now and then a larger one, whose transaction lasts long enough for
        # the kill to land inside it.
        size = self.rng.randint(1, 4096) if self.rng.random() < 0.8 else self.rng.randint(64_000, 400_000)
        content = self.rng.randbytes(size)
        sha256 = hashlib.sha256(content).hexdigest()
        asset = f"{self.package}-{version}.tgz"
        key = self._version_key(STAGE, version)
        write = Write(
            "PublishPackageVersion",
            {key: self.state.get(key)},
            {key: Version("Published", ANY_REVISION, frozenset({(asset, sha256)}))},
        )
        return write, lambda: self.client.publish_package_version(
            **self._coordinates(STAGE),
            packageVersion=version,
            assetContent=content,
            assetName=asset,
            assetSHA256=sha256,
        )

    def _update_status(self) -> tuple[Write, Callable[[], Any]] | None:
        repository = self.rng.choice((STAGE, PROD))
        target = self.rng.choice(UPDATABLE)
        candidates = [
            v for v in self._versions_in(repository, UPDATABLE) if self._at(repository, v).status != target
        ]
        if not candidates:
            return None
        versions = self._sample(candidates, 5)
        keys = [self._version_key(repository, v) for v in versions]
        before = {key: self.state[key] for key in keys}
        after = {key: Version(target, state.revision, state.assets) for key, state in before.items()}
        params: dict[str, Any] = {"versions": versions, "targetStatus": target}
        statuses = {state.status for state in before.values()}
        if len(statuses) == 1 and self.rng.random() < 0.5:
            params["expectedStatus"] = statuses.pop()
        if self.rng.random() < 0.3:
            params["versionRevisions"] = {key[3]: state.revision for key, state in before.items()}
        return Write(
            "UpdatePackageVersionsStatus", before, after
        ), lambda: self.client.update_package_versions_status(**self._coordinates(repository), **params)

    def _copy(self) -> tuple[Write, Callable[[], Any]] | None:
        candidates = [
            v
            for v in self._versions_in(STAGE, COPYABLE)
            if self.state.get(self._version_key(PROD, v)) is None
        ]
        if not candidates:
            return None
        versions = self._sample(candidates, 5)
        before = {self._version_key(PROD, v): None for v in versions}
        # A copy keeps the source's revision, status and assets.
        after = {self._version_key(PROD, v): self._at(STAGE, v) for v in versions}
        coordinates = self._coordinates(STAGE)
        del coordinates["repository"]
        return Write("CopyPackageVersions", before, after), lambda: self.client.copy_package_versions(
            **coordinates, sourceRepository=STAGE, destinationRepository=PROD, versions=versions
        )

    def _dispose(self) -> tuple[Write, Callable[[], Any]] | None:
        repository = self.rng.choice((STAGE, PROD))
        candidates = self._versions_in(repository, ("Published", "Unlisted", "Archived"))
        if not candidates:
            return None
        versions = self._sample(candidates, 3)
        keys = [self._version_key(repository, v) for v in versions]
        before = {key: self.state[key] for key in keys}
        after = {key: Version("Disposed", state.revision) for key, state in before.items()}
        return Write("DisposePackageVersions", before, after), lambda: self.client.dispose_package_versions(
            **self._coordinates(repository), versions=versions
        )

    def _delete(self) -> tuple[Write, Callable[[], Any]] | None:
        repository = self.rng.choice((STAGE, PROD))
        candidates = self._versions_in(repository)
        if not candidates:
            return None
        versions = self._sample(candidates, 3)
        keys = [self._version_key(repository, v) for v in versions]
        before = {key: self.state[key] for key in keys}
        return Write(
            "DeletePackageVersions", before, dict.fromkeys(keys)
        ), lambda: self.client.delete_package_versions(**self._coordinates(repository), versions=versions)

    def _tag(self) -> tuple[Write, Callable[[], Any]] | None:
        # On the writer's own repositories: a repository holds at most 50 tags, and a shared one
        # would reach that after a few dozen trials on the shared file.
        if not self._arns:
            return None
        repository = self.rng.choice(sorted(self._arns))
        name = self.rng.choice(TAG_KEYS)
        key = ("tag", repository, name)
        value = f"v{self.rng.randrange(10**6)}"
        arn = self._arns[repository]
        return Write(
            "TagResource", {key: self.state.get(key)}, {key: value}
        ), lambda: self.client.tag_resource(resourceArn=arn, tags=[{"key": name, "value": value}])

    def _origin(self) -> tuple[Write, Callable[[], Any]] | None:
        if not any(key[0] == "version" and key[1] == STAGE for key in self.state):
            return None  # the package is created by its first publish
        key = ("origin", STAGE, self.package)
        restrictions = ("ALLOW", self.rng.choice(("ALLOW", "BLOCK")))
        coordinates = self._coordinates(STAGE)
        return Write(
            "PutPackageOriginConfiguration", {key: self.state.get(key, DEFAULT_ORIGIN)}, {key: restrictions}
        ), lambda: self.client.put_package_origin_configuration(
            **coordinates, restrictions={"publish": restrictions[0], "upstream": restrictions[1]}
        )

    def _create_repository(self) -> tuple[Write, Callable[[], Any]]:
        self._repositories += 1
        name = f"{self.name}-r{self._repositories}"
        description = f"created by {self.name}, {self.rng.randrange(10**6)}"
        key = ("repository", name)
        return Write(
            "CreateRepository", {key: None}, {key: description}
        ), lambda: self.client.create_repository(domain=DOMAIN, repository=name, description=description)

    def _associate(self) -> tuple[Write, Callable[[], Any]] | None:
        candidates = [
            key[1]
            for key, state in self.state.items()
            if key[0] == "repository" and state is not None and self.state.get(("external", key[1])) is None
        ]
        if not candidates:
            return None
        name = self.rng.choice(sorted(candidates))
        key = ("external", name)
        return Write(
            "AssociateExternalConnection", {key: None}, {key: CONNECTION}
        ), lambda: self.client.associate_external_connection(
            domain=DOMAIN, repository=name, externalConnection=CONNECTION
        )

    def _at(self, repository: str, version: str) -> Version:
        state = self.state[self._version_key(repository, version)]
        assert isinstance(state, Version)
        return state
