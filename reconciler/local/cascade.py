"""Delete rows together with everything that references them, following the schema's foreign keys.

Deleting a repository removes its packages, versions, assets, upstream links (both ways) and
external connection, and whatever later migrations hang off those rows: the referencing tables
are read from the schema itself (`PRAGMA foreign_key_list`), so a new table with a declared
foreign key is covered without this module knowing about it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

_MAX_DEPTH = 16  # far deeper than the schema; guards against a reference cycle between tables


def delete_cascade(conn: sqlite3.Connection, table: str, condition: str, params: tuple[Any, ...]) -> int:
    """Delete the rows of `table` for which the SQL `condition` holds, after every row that references
    them (recursively). Returns the number of `table` rows deleted."""
    return _delete(conn, table, condition, params, _references(conn), 0)


def _delete(
    conn: sqlite3.Connection,
    table: str,
    condition: str,
    params: tuple[Any, ...],
    references: dict[str, list[tuple[str, list[str], list[str]]]],
    depth: int,
) -> int:
    if depth > _MAX_DEPTH:
        raise RuntimeError(f"foreign keys nest deeper than {_MAX_DEPTH} tables at {table}")
    for child, columns, parent_columns in references.get(table, []):
        if child == table:
            continue  # no table references itself in this schema
        selected = ", ".join(_quote(column) for column in parent_columns)
        child_condition = (
            f"({', '.join(_quote(column) for column in columns)}) IN "
            f"(SELECT {selected} FROM {_quote(table)} WHERE {condition})"
        )
        _delete(conn, child, child_condition, params, references, depth + 1)
    return conn.execute(f"DELETE FROM {_quote(table)} WHERE {condition}", params).rowcount


def _references(conn: sqlite3.Connection) -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """parent table -> [(child table, child columns, parent columns)], one entry per foreign key."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    found: dict[str, list[tuple[str, list[str], list[str]]]] = {}
    for child in tables:
        keys: dict[int, list[sqlite3.Row]] = {}
        for row in conn.execute(f"PRAGMA foreign_key_list({_quote(child)})"):
            keys.setdefault(row[0], []).append(row)
        for rows in keys.values():
            rows.sort(key=lambda row: row[1])
            parent = rows[0][2]
            parent_columns = [row[4] for row in rows]
            if any(column is None for column in parent_columns):  # REFERENCES parent: its primary key
                parent_columns = _primary_key(conn, parent)
            found.setdefault(parent, []).append((child, [row[3] for row in rows], parent_columns))
    return found


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    columns = [(row[5], row[1]) for row in conn.execute(f"PRAGMA table_info({_quote(table)})") if row[5]]
    return [name for _, name in sorted(columns)] or ["rowid"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
