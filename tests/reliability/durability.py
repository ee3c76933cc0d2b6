"""Durability: kill -9 of the local service mid-write, then check what the database file kept.

A trial starts `reconciler local serve` on a database file, runs one to three concurrent writer
clients (tests.reliability.durable_writes) and sends the server SIGKILL at a seeded moment: after
k acknowledged writes and a random pause, as one write is being sent, or (on a new file) while the
server is still creating its database. Then it checks four invariants:

- `integrity ok`: `PRAGMA integrity_check` and `foreign_key_check`, run with sqlite3 on a copy of
  the files the killed server left (database, WAL, shared memory), find nothing;
- `restarts`: the service opens the same file again, stale WAL and shared memory included;
- `acknowledged writes present`: every write answered with a 2xx is there, as that answer said;
- `no partial write`: the write in flight at the kill is there whole or not at all (a published
  version with its whole asset, a batch on all its versions), and every asset still has its content;

and, on the file the trials share, `earlier trials intact`: what every earlier trial left is still
as it was read back then. Even trials use the shared file (so damage would accumulate), odd trials a
new one. Every choice of a trial comes from `random.Random(f"{seed}:{trial}")`; only the instant of
the kill is the machine's. What is not covered (power loss, the machine crashing): docs/reliability.md.

`python -m tests.reliability durability --trials N --seed S` runs N trials; `python -m
tests.reliability.durability --seed S --trial I` runs trial I alone, on new files.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.local.serving import ServeProcess
from tests.reliability.durable_writes import (
    COPYABLE,
    DOMAIN,
    FORMAT,
    NAMESPACE,
    PROD,
    STAGE,
    Key,
    State,
    Version,
    Writer,
    matches,
)
from tests.reliability.tally import Tally

INVARIANTS = (
    "integrity ok",
    "restarts",
    "acknowledged writes present",
    "no partial write",
    "earlier trials intact",
)
# One attempt per call (a retry would hide which write was in flight), and no long waits: a killed
# server refuses or resets at once.
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60
)
KILL_MODES = ("after acks", "while sending", "at startup")
# Writes a writer issues at most; the kill comes long before.
WRITES_PER_WRITER = 400
SIDECARS = ("-wal", "-shm")
_session: list[boto3.session.Session] = []


def _client(url: str) -> Any:
    """A CodeArtifact client signing with placeholder credentials (SigV4, as boto3 always does).

    One session for every client: a new session loads the service model again (a quarter second).
    Clients are made on the main thread only (a session is not thread-safe; its clients are).
    """
    if not _session:
        _session.append(
            boto3.session.Session(
                aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
            )
        )
    return _session[0].client("codeartifact", endpoint_url=url, config=CLIENT_CONFIG)


@dataclass
class Figures:
    """What the kills met, for the report: not invariants, but they show the trials bite."""

    kills: int = 0
    acknowledged: int = 0
    modes: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)  # applied / not applied / either
    stale_wal: int = 0
    startup: Counter[str] = field(default_factory=Counter)  # what kills at startup left
    rejected: list[str] = field(default_factory=list)  # writes answered with a 4xx, with their trial

    def line(self) -> str:
        modes = ", ".join(f"{count} {mode}" for mode, count in sorted(self.modes.items()))
        flight = ", ".join(f"{count} {what}" for what, count in sorted(self.in_flight.items()))
        startup = ", ".join(f"{count} {what}" for what, count in sorted(self.startup.items()))
        return (
            f"  {self.kills} kills ({modes}); {self.acknowledged} acknowledged writes checked; "
            f"writes in flight at the kill: {flight or 'none'}; a WAL left behind {self.stale_wal} times; "
            f"kills at startup left: {startup or 'none'}; {len(self.rejected)} writes refused with a 4xx"
            + "".join(f"\n    - {refusal}" for refusal in self.rejected[:5])
        )


@dataclass
class Shared:
    """The database file the even trials share, and what each of them left in it."""

    db: Path
    snapshot: dict[Key, State] = field(default_factory=dict)
    trials: list[int] = field(default_factory=list)


def run(trials: int, seed: int, tally: Tally) -> Figures:
    tally.declare(INVARIANTS)
    figures = Figures()
    with _workdir() as workdir:
        shared = Shared(workdir / "shared.db")
        for trial in range(trials):
            run_trial(seed, trial, tally, figures, workdir, shared if trial % 2 == 0 else None)
    print(figures.line())
    return figures


def run_trial(
    seed: int, trial: int, tally: Tally, figures: Figures, workdir: Path, shared: Shared | None
) -> None:
    rng = random.Random(f"{seed}:{trial}")
    where = f"seed {seed}, trial {trial}"
    db = shared.db if shared is not None else workdir / f"trial-{trial}.db"
    # Kills at startup only on new files (a sixth of them): they leave no writes to check.
    (mode,) = rng.choices(KILL_MODES, (5, 5, 2 if shared is None else 0))
    figures.modes[mode] += 1
    figures.kills += 1
    writers: list[Writer] = []
    if mode == "at startup":
        _kill_at_startup(workdir, db, rng)
    else:
        try:
            writers = _write_and_kill(workdir, db, rng, mode, trial)
        except AssertionError as exc:  # the server did not start on the file an earlier kill left
            tally.check("restarts", False, f"{where}: {exc}")
            return
    if not _integrity(db, workdir, where, tally, figures, mode):
        return
    server = ServeProcess(workdir, "--db", str(db))
    try:
        try:
            url = server.endpoint_url
        except AssertionError as exc:
            tally.check("restarts", False, f"{where}: {exc}")
            return
        client = _client(url)
        try:
            _setup(client)  # the service answers writes again
        except Exception as exc:  # any failure here is the finding, worded with its trial
            tally.check("restarts", False, f"{where}: the restarted service failed a write: {exc!r}")
            return
        tally.check("restarts", True)
        reader = Reader(client)
        _check_writers(writers, reader, where, tally, figures)
        if shared is not None:
            _check_earlier(shared, writers, reader, where, tally)
    finally:
        # The server that read everything back is killed too, now and then: the next trial on the
        # shared file then opens a file two kills deep.
        server.stop(signal.SIGKILL if rng.random() < 0.5 else signal.SIGTERM)


# --- the kill ------------------------------------------------------------------------------------


def _kill_at_startup(workdir: Path, db: Path, rng: random.Random) -> None:
    """Kill a server on a new file as it creates the database: once the file exists, after a pause
    of up to 60 ms, which spans its switch to WAL (through a rollback journal) and the schema's one
    transaction (about 15 ms on an idle machine, longer on a busy one)."""
    server = ServeProcess(workdir, "--db", str(db))
    deadline = time.monotonic() + 20
    while not db.exists() and server.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    time.sleep(rng.uniform(0, 0.06))
    server.stop(signal.SIGKILL)


def _write_and_kill(workdir: Path, db: Path, rng: random.Random, mode: str, trial: int) -> list[Writer]:
    server = ServeProcess(workdir, "--db", str(db))
    try:
        url = server.endpoint_url
        setup_client = _client(url)
        _setup(setup_client)
        acks = threading.Condition()
        count = [0]
        sending = threading.Event()
        armed = threading.Event()

        def on_ack() -> None:
            with acks:
                count[0] += 1
                acks.notify_all()

        def before_send() -> None:
            if armed.is_set():
                sending.set()

        writers = [
            Writer(
                f"t{trial}w{n}",
                _client(url),
                random.Random(rng.random()),
                on_ack=on_ack,
                before_send=before_send,
            )
            for n in range(rng.randint(1, 3))
        ]
        k = rng.randint(1, 30)
        pause = rng.uniform(0, 0.03) if mode == "after acks" else rng.uniform(0, 0.004)
        stop = threading.Event()
        threads = [
            threading.Thread(target=writer.run, args=(WRITES_PER_WRITER, stop), daemon=True)
            for writer in writers
        ]
        for thread in threads:
            thread.start()
        with acks:
            acks.wait_for(lambda: count[0] >= k or not any(t.is_alive() for t in threads), timeout=60)
        if mode == "while sending":
            armed.set()
            sending.wait(timeout=10)
        time.sleep(pause)
        server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for writer in writers:
            if writer.error is not None:  # a fault of the suite, not a finding: stop loudly
                raise RuntimeError(f"writer {writer.name} failed") from writer.error
        return writers
    finally:
        if server.process.poll() is None:
            server.stop(signal.SIGKILL)


def _setup(client: Any) -> None:
    """The domain and the two repositories every writer uses (already there on a shared file)."""
    for create in (
        lambda: client.create_domain(domain=DOMAIN),
        lambda: client.create_repository(domain=DOMAIN, repository=STAGE),
        lambda: client.create_repository(domain=DOMAIN, repository=PROD),
    ):
        try:
            create()
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConflictException":
                raise


# --- the file as the kill left it ---------------------------------------------------------------


def _integrity(db: Path, workdir: Path, where: str, tally: Tally, figures: Figures, mode: str) -> bool:
    """integrity_check and foreign_key_check on a copy of the killed server's files.

    A copy: the last connection to close checkpoints the WAL into the database and deletes it, and
    the service itself must be the one to find the stale WAL and shared memory when it restarts.
    """
    if Path(f"{db}-wal").exists():
        figures.stale_wal += 1
    if not db.exists():
        figures.startup["no file yet"] += 1
        return tally.check("integrity ok", True)  # killed before it created anything
    copy_dir = Path(tempfile.mkdtemp(dir=workdir))
    try:
        copy = copy_dir / db.name
        shutil.copyfile(db, copy)
        for suffix in SIDECARS:
            if Path(f"{db}{suffix}").exists():
                shutil.copyfile(f"{db}{suffix}", f"{copy}{suffix}")
        conn = sqlite3.connect(copy)
        try:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
            schema = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return tally.check("integrity ok", False, f"{where}: {db.name} cannot be read: {exc}")
    finally:
        shutil.rmtree(copy_dir, ignore_errors=True)
    if mode == "at startup":
        figures.startup["schema created" if schema else "no schema yet"] += 1
    holds = integrity == ["ok"] and not foreign
    return tally.check("integrity ok", holds, f"{where}: {integrity[:3]}, foreign keys {foreign[:3]}")


# --- reading back ---------------------------------------------------------------------------------


class Reader:
    """Reads what the service holds for a key, the way any client would."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._listings: dict[tuple[str, str], dict[str, Version]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self.damaged: list[str] = []  # assets whose content is not their SHA-256

    def read(self, key: Key, *, assets: bool = True) -> State:
        kind = key[0]
        if kind == "version":
            _, repository, package, version = key
            found = self._versions(repository, package).get(version)
            if found is None or not assets:
                return found
            return Version(found.status, found.revision, self._assets(repository, package, version, found))
        if kind == "tag":
            return self._tags_of(key[1]).get(key[2])
        if kind == "origin":
            restrictions = self.client.describe_package(
                domain=DOMAIN, repository=key[1], format=FORMAT, namespace=NAMESPACE, package=key[2]
            )["package"]["originConfiguration"]["restrictions"]
            return (restrictions["publish"], restrictions["upstream"])
        repository = self._repository(key[1])
        if kind == "repository":
            return None if repository is None else repository.get("description")
        connections = (repository or {}).get("externalConnections") or []
        return connections[0]["externalConnectionName"] if connections else None

    def _versions(self, repository: str, package: str) -> dict[str, Version]:
        if (repository, package) not in self._listings:
            found: dict[str, Version] = {}
            params = {
                "domain": DOMAIN,
                "repository": repository,
                "format": FORMAT,
                "namespace": NAMESPACE,
                "package": package,
            }
            try:
                for page in self.client.get_paginator("list_package_versions").paginate(**params):
                    for summary in page["versions"]:
                        found[summary["version"]] = Version(summary["status"], summary["revision"])
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
            self._listings[(repository, package)] = found
        return self._listings[(repository, package)]

    def _assets(
        self, repository: str, package: str, version: str, found: Version
    ) -> frozenset[tuple[str, str]]:
        coordinates = {
            "domain": DOMAIN,
            "repository": repository,
            "format": FORMAT,
            "namespace": NAMESPACE,
            "package": package,
            "packageVersion": version,
        }
        listed = self.client.list_package_version_assets(**coordinates)["assets"]
        assets = frozenset((asset["name"], asset["hashes"]["SHA-256"]) for asset in listed)
        if found.status in COPYABLE:  # Archived and Disposed assets cannot be downloaded
            for name, sha256 in assets:
                body = self.client.get_package_version_asset(**coordinates, asset=name)["asset"].read()
                if hashlib.sha256(body).hexdigest() != sha256:
                    self.damaged.append(f"{repository}/{package}@{version}/{name}")
        return assets

    def _tags_of(self, name: str) -> dict[str, str]:
        if name not in self._tags:
            repository = self._repository(name)
            tags = (
                []
                if repository is None
                else self.client.list_tags_for_resource(resourceArn=repository["arn"])["tags"]
            )
            self._tags[name] = {tag["key"]: tag["value"] for tag in tags}
        return self._tags[name]

    def _repository(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.client.describe_repository(domain=DOMAIN, repository=name)[
                "repository"
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return None
        return found


def _check_writers(writers: list[Writer], reader: Reader, where: str, tally: Tally, figures: Figures) -> None:
    lost: list[str] = []
    partial: list[str] = []
    for writer in writers:
        figures.acknowledged += writer.acknowledged
        figures.rejected.extend(f"{where}, {writer.name}: {refusal}" for refusal in writer.rejected)
        pending = writer.in_flight
        pending_keys = set(pending.after) if pending is not None else set()
        for key, expected in writer.state.items():
            if key in pending_keys:
                continue
            actual = reader.read(key)
            if not matches(expected, actual):
                lost.append(f"{'/'.join(key)}: acknowledged {expected}, read {actual}")
        if pending is None:
            continue
        actual_of = {key: reader.read(key) for key in pending.after}
        old = [matches(pending.before[key], actual_of[key]) for key in pending.after]
        new = [matches(pending.after[key], actual_of[key]) for key in pending.after]
        if pending.answered and not all(new):
            lost.append(f"{pending.operation} of {writer.name} answered 2xx; read {actual_of}")
        elif all(new) and not all(old):
            figures.in_flight["applied" if not pending.answered else "applied, answer cut short"] += 1
        elif all(old) and not all(new):
            figures.in_flight["not applied" if not writer.refused else "refused"] += 1
        elif all(old):
            figures.in_flight["either"] += 1
        elif all(o or n for o, n in zip(old, new, strict=True)):
            partial.append(
                f"{pending.operation} of {writer.name} applied to some of its keys only: {actual_of}"
            )
        else:  # a key is neither as acknowledged before nor as the write in flight would leave it
            lost.append(
                f"{pending.operation} of {writer.name} in flight; read {actual_of}, before {pending.before}"
            )
    partial.extend(f"asset content does not match its SHA-256: {name}" for name in reader.damaged)
    tally.check("acknowledged writes present", not lost, f"{where}: {lost[:3]}")
    tally.check("no partial write", not partial, f"{where}: {partial[:3]}")


def _check_earlier(shared: Shared, writers: list[Writer], reader: Reader, where: str, tally: Tally) -> None:
    """What earlier trials on the shared file left must be as it was read after each of them; this
    trial's keys then join it, as read now."""
    if shared.trials:
        changed = []
        for key, expected in shared.snapshot.items():
            actual = reader.read(key, assets=False)
            if actual != expected:
                changed.append(f"{'/'.join(key)}: was {expected}, read {actual}")
        tally.check(
            "earlier trials intact", not changed, f"{where} (after trials {shared.trials}): {changed[:3]}"
        )
    for writer in writers:
        keys = set(writer.state) | (set(writer.in_flight.after) if writer.in_flight else set())
        for key in keys:
            shared.snapshot[key] = reader.read(key, assets=False)
    shared.trials.append(int(where.rsplit(" ", 1)[1]))


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="reconciler-durability-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """One trial alone, on new files (a shared-file trial runs on a file of its own)."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.durability", description=main.__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--trial", type=int, required=True)
    args = parser.parse_args(argv)
    tally = Tally("durability", args.seed)
    tally.declare(INVARIANTS)
    figures = Figures()
    with _workdir() as workdir:
        shared = Shared(workdir / "shared.db") if args.trial % 2 == 0 else None
        run_trial(args.seed, args.trial, tally, figures, workdir, shared)
    print(tally.summary())
    print(figures.line())
    return 2 if tally.violations else 0


if __name__ == "__main__":
    sys.exit(main())
