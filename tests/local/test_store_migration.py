"""A database written by an older schema is migrated in place, its data kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reconciler.local import LocalCodeArtifact, local_client
from reconciler.local.store import MIGRATIONS, _statements

OWNER = "777788889999"


def _version_1_database(path: Path) -> None:
    """A database as schema version 1 left it: domains keyed by name alone."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO domain (name, owner, created_time, encryption_key) VALUES ('acme', ?, 0, 'k')", (OWNER,)
    )
    conn.execute(
        """INSERT INTO repository (id, domain, name, administrator_account, created_time)
           VALUES (7, 'acme', 'staging', ?, 0)""",
        (OWNER,),
    )
    conn.execute(
        "INSERT INTO package (id, repository_id, format, namespace, name) VALUES (3, 7, 'npm', '', 'lib')"
    )
    conn.execute(
        """INSERT INTO package_version (package_id, version, revision, status, published_time, origin_type)
           VALUES (3, '1.0.0', 'r1', 'Published', 0, 'INTERNAL')"""
    )
    conn.close()


def test_a_version_1_database_is_migrated_with_its_owners_and_data(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _version_1_database(db)

    with LocalCodeArtifact(db, account_id=OWNER) as service:
        client = local_client(service)
        repository = client.describe_repository(domain="acme", repository="staging")["repository"]
        listed = client.list_package_versions(
            domain="acme", repository="staging", format="npm", package="lib"
        )
        conn = service.store.connection()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]

    assert version == len(MIGRATIONS)
    assert foreign_keys == 1
    assert (repository["domainOwner"], repository["administratorAccount"]) == (OWNER, OWNER)
    assert [(v["version"], v["revision"]) for v in listed["versions"]] == [("1.0.0", "r1")]


def test_a_migrated_database_holds_domains_of_one_name_under_two_owners(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _version_1_database(db)

    with LocalCodeArtifact(db) as service:  # the default account, not the owner of the old domain
        client = local_client(service)
        client.create_domain(domain="acme")
        mine = client.describe_domain(domain="acme")["domain"]
        theirs = client.describe_domain(domain="acme", domainOwner=OWNER)["domain"]

    assert mine["owner"] != OWNER
    assert (theirs["owner"], theirs["repositoryCount"]) == (OWNER, 1)
    assert mine["repositoryCount"] == 0
