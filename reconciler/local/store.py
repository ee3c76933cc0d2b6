"""SQLite persistence for the local service: schema, migrations, connections and transactions.

One database file may be shared by several threads and processes: every thread gets its own
connection, the file runs in WAL mode so readers never block the writer, and every write runs in
a `BEGIN IMMEDIATE` transaction, so a guard check (expected status, revision) and the write it
guards cannot interleave with another writer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator

# Each migration runs once, in order, in its own transaction; PRAGMA user_version records how
# many have run (the idea of sqlite-utils' named migrations, without the bookkeeping table).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE domain (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_time REAL NOT NULL,
        encryption_key TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE repository (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domain(name),
        name TEXT NOT NULL,
        description TEXT,
        administrator_account TEXT NOT NULL,
        created_time REAL NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        UNIQUE (domain, name)
    );
    CREATE TABLE upstream (
        repository_id INTEGER NOT NULL REFERENCES repository(id),
        position INTEGER NOT NULL,
        upstream_id INTEGER NOT NULL REFERENCES repository(id),
        PRIMARY KEY (repository_id, position)
    );
    CREATE TABLE external_connection (
        repository_id INTEGER NOT NULL REFERENCES repository(id),
        name TEXT NOT NULL,
        format TEXT NOT NULL,
        PRIMARY KEY (repository_id, name)
    );
    CREATE TABLE package (
        id INTEGER PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repository(id),
        format TEXT NOT NULL,
        namespace TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL,
        publish TEXT NOT NULL DEFAULT 'ALLOW',
        upstream TEXT NOT NULL DEFAULT 'BLOCK',
        UNIQUE (repository_id, format, namespace, name)
    );
    CREATE TABLE package_version (
        id INTEGER PRIMARY KEY,
        package_id INTEGER NOT NULL REFERENCES package(id),
        version TEXT NOT NULL,
        revision TEXT NOT NULL,
        status TEXT NOT NULL,
        published_time REAL NOT NULL,
        origin_type TEXT NOT NULL,
        entry_repository TEXT,
        entry_external_connection TEXT,
        summary TEXT,
        home_page TEXT,
        source_code_repository TEXT,
        licenses TEXT NOT NULL DEFAULT '[]',
        UNIQUE (package_id, version)
    );
    -- ListPackageVersions with sortBy=PUBLISHED_TIME pages along this index: O(page), not O(package).
    CREATE INDEX package_version_by_time ON package_version (package_id, published_time, version);
    CREATE TABLE asset (
        version_id INTEGER NOT NULL REFERENCES package_version(id),
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        md5 TEXT NOT NULL,
        sha1 TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        sha512 TEXT NOT NULL,
        content BLOB,
        PRIMARY KEY (version_id, name)
    );
    """,
    # 2: the account model. A domain is identified by (owner, name), so two accounts may each own a
    # domain of one name; a repository records the owner of its domain. A package records the name
    # it was published under when normalisation changed it (PackageVersionDescription.displayName).
    # SQLite cannot change a primary key in place: both tables are rebuilt (foreign keys are off
    # while migrations run, and checked before they commit).
    """
    CREATE TABLE domain_v2 (
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        created_time REAL NOT NULL,
        encryption_key TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (owner, name)
    );
    INSERT INTO domain_v2 (owner, name, created_time, encryption_key, tags)
        SELECT owner, name, created_time, encryption_key, tags FROM domain;
    CREATE TABLE repository_v2 (
        id INTEGER PRIMARY KEY,
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        administrator_account TEXT NOT NULL,
        created_time REAL NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        UNIQUE (domain_owner, domain, name),
        FOREIGN KEY (domain_owner, domain) REFERENCES domain (owner, name)
    );
    INSERT INTO repository_v2 (id, domain_owner, domain, name, description, administrator_account,
                               created_time, tags)
        SELECT r.id, d.owner, r.domain, r.name, r.description, r.administrator_account, r.created_time, r.tags
        FROM repository r JOIN domain d ON d.name = r.domain;
    DROP TABLE repository;
    DROP TABLE domain;
    ALTER TABLE domain_v2 RENAME TO domain;
    ALTER TABLE repository_v2 RENAME TO repository;
    ALTER TABLE package ADD COLUMN display_name TEXT;
    """,
    # Resource policies of domains (repository '') and repositories, by domain owner and name: stored
    # and returned with their revision, not enforced.
    """
    CREATE TABLE resource_policy (
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        repository TEXT NOT NULL DEFAULT '',
        revision TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (domain_owner, domain, repository)
    );
    """,
    # Package groups (reconciler.local.group_model), keyed by the domain's owner and name. Every domain
    # has the root group /*, which allows every origin: databases made before groups get theirs here.
    """
    CREATE TABLE package_group (
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        pattern TEXT NOT NULL,
        created_time REAL NOT NULL,
        contact_info TEXT,
        description TEXT,
        publish TEXT NOT NULL DEFAULT 'INHERIT',
        external_upstream TEXT NOT NULL DEFAULT 'INHERIT',
        internal_upstream TEXT NOT NULL DEFAULT 'INHERIT',
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (domain_owner, domain, pattern)
    );
    CREATE TABLE package_group_allowed_repository (
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        pattern TEXT NOT NULL,
        restriction_type TEXT NOT NULL,
        repository TEXT NOT NULL,
        PRIMARY KEY (domain_owner, domain, pattern, restriction_type, repository)
    );
    INSERT INTO package_group (domain_owner, domain, pattern, created_time, publish, external_upstream,
                               internal_upstream)
        SELECT owner, name, '/*', created_time, 'ALLOW', 'ALLOW', 'ALLOW' FROM domain;
    """,
    # A version's direct dependencies and readme, as the package's metadata file declares them;
    # they go with the version (ON DELETE CASCADE) when it is deleted or overwritten.
    """
    CREATE TABLE package_version_dependency (
        version_id INTEGER NOT NULL REFERENCES package_version(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        namespace TEXT,
        package TEXT NOT NULL,
        dependency_type TEXT,
        version_requirement TEXT,
        PRIMARY KEY (version_id, position)
    );
    CREATE TABLE package_version_readme (
        version_id INTEGER PRIMARY KEY REFERENCES package_version(id) ON DELETE CASCADE,
        readme TEXT NOT NULL
    );
    """,
    # 6: domains are regional, as in AWS: a domain is identified by (Region, owner, name), so one
    # account may own a domain of one name in each of two Regions, and everything under a domain (its
    # repositories, policies, package groups) is in its Region. A database made before Regions had its
    # domains in the service's default Region, us-east-1. Rebuilt as migration 2 rebuilt them.
    """
    CREATE TABLE domain_v3 (
        region TEXT NOT NULL,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        created_time REAL NOT NULL,
        encryption_key TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (region, owner, name)
    );
    INSERT INTO domain_v3 (region, owner, name, created_time, encryption_key, tags)
        SELECT 'us-east-1', owner, name, created_time, encryption_key, tags FROM domain;
    CREATE TABLE repository_v3 (
        id INTEGER PRIMARY KEY,
        region TEXT NOT NULL,
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        administrator_account TEXT NOT NULL,
        created_time REAL NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        UNIQUE (region, domain_owner, domain, name),
        FOREIGN KEY (region, domain_owner, domain) REFERENCES domain (region, owner, name)
    );
    INSERT INTO repository_v3 (id, region, domain_owner, domain, name, description, administrator_account,
                               created_time, tags)
        SELECT id, 'us-east-1', domain_owner, domain, name, description, administrator_account, created_time, tags
        FROM repository;
    CREATE TABLE resource_policy_v3 (
        region TEXT NOT NULL,
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        repository TEXT NOT NULL DEFAULT '',
        revision TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (region, domain_owner, domain, repository)
    );
    INSERT INTO resource_policy_v3 SELECT 'us-east-1', * FROM resource_policy;
    CREATE TABLE package_group_v3 (
        region TEXT NOT NULL,
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        pattern TEXT NOT NULL,
        created_time REAL NOT NULL,
        contact_info TEXT,
        description TEXT,
        publish TEXT NOT NULL DEFAULT 'INHERIT',
        external_upstream TEXT NOT NULL DEFAULT 'INHERIT',
        internal_upstream TEXT NOT NULL DEFAULT 'INHERIT',
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (region, domain_owner, domain, pattern)
    );
    INSERT INTO package_group_v3 SELECT 'us-east-1', * FROM package_group;
    CREATE TABLE package_group_allowed_repository_v3 (
        region TEXT NOT NULL,
        domain_owner TEXT NOT NULL,
        domain TEXT NOT NULL,
        pattern TEXT NOT NULL,
        restriction_type TEXT NOT NULL,
        repository TEXT NOT NULL,
        PRIMARY KEY (region, domain_owner, domain, pattern, restriction_type, repository)
    );
    INSERT INTO package_group_allowed_repository_v3 SELECT 'us-east-1', * FROM package_group_allowed_repository;
    DROP TABLE package_group_allowed_repository;
    DROP TABLE package_group;
    DROP TABLE resource_policy;
    DROP TABLE repository;
    DROP TABLE domain;
    ALTER TABLE domain_v3 RENAME TO domain;
    ALTER TABLE repository_v3 RENAME TO repository;
    ALTER TABLE resource_policy_v3 RENAME TO resource_policy;
    ALTER TABLE package_group_v3 RENAME TO package_group;
    ALTER TABLE package_group_allowed_repository_v3 RENAME TO package_group_allowed_repository;
    """,
)


# Seconds a connection waits for another one's write lock before giving up.
BUSY_TIMEOUT = 30.0


class Store:
    """A SQLite database file with a connection per thread.

    `path=":memory:"` keeps the data in a private temporary file that is removed on `close()`: a
    real file, so that every thread of this process sees the same data.
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        self._tempdir: str | None = None
        if str(path) == ":memory:":
            self._tempdir = tempfile.mkdtemp(prefix="reconciler-local-")
            path = os.path.join(self._tempdir, "codeartifact.db")
        self.path = os.fspath(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        _refuse_foreign(self.path)
        self._migrate()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: transactions are ours to open (BEGIN IMMEDIATE for writes).
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            try:
                conn.row_factory = sqlite3.Row
                _enable_wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except BaseException:
                conn.close()
                raise
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def release(self) -> None:
        """Close this thread's connection, if it has one; a thread that is done with the store calls
        this (the HTTP server does, for each of its per-connection threads) so files are not held
        open by threads that are gone."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        conn.close()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: taken before any read it depends on, so checks and writes are atomic."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself failed: never leave the thread's connection inside a transaction.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot across the queries of one request."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self.connection()
        # A migration may rebuild a table others refer to (SQLite's documented way to change a
        # key): foreign keys are off while it runs (the pragma is a no-op inside a transaction)
        # and checked before the transaction commits.
        conn.execute("PRAGMA foreign_keys=OFF")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                done = conn.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(MIGRATIONS[done:], start=done + 1):
                    for statement in _statements(script):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"a migration broke {len(broken)} foreign key references")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


# Tables every database of this service holds; a file with other tables and not these belongs to
# something else, and creating the schema in it (or switching it to WAL) would alter that file.
OWN_TABLES = frozenset({"domain", "repository", "package", "package_version"})


class ForeignDatabaseError(sqlite3.DatabaseError):
    """A SQLite file that is not this service's: never written into."""


def _refuse_foreign(path: str) -> None:
    """Refuse a non-empty SQLite file without the service's tables, before any write to it."""
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    if tables and not tables >= OWN_TABLES:
        raise ForeignDatabaseError(
            f"it holds other tables ({', '.join(sorted(tables)[:5])}) and not the local service's; "
            "it was left untouched"
        )


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Switching a new database file to WAL needs an exclusive lock, and SQLite answers "database is
    # locked" at once, without its busy handler, while another connection (say another process
    # opening the same new file) holds any lock. Once the file is in WAL mode this is a no-op.
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _statements(script: str) -> Iterator[str]:
    # executescript() would commit our transaction; split on ';' instead (no ';' in string literals here).
    for statement in script.split(";"):
        lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            yield text
