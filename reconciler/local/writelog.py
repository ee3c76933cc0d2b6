"""The service's own record of the writes it committed, like CloudTrail's management events.

Opt-in (`LocalCodeArtifact(record_writes=True)`, `reconciler local serve --record-writes`). Each
write that commits adds one row in the SAME SQLite transaction as the write itself, so the record
is exactly what was committed: a write refused by an injected fault, or rolled back by an error,
leaves none; a write whose reply is then lost leaves one; and a record survives whatever kills a
client (or the service) after the commit. Reads are never recorded.

A row holds a sequence number (the commit order), the time, the operation, the request
parameters as the operation received them (wire names, after name normalisation), the
*principal* (the access key id of the request's SigV4 `Authorization` header, so one client's
writes can be told from another's), and the result (for the batch operations, their
`successfulVersions` and `failedVersions`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from reconciler.local.context import JsonText

_TABLE = """CREATE TABLE IF NOT EXISTS write_record (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    operation TEXT NOT NULL,
    principal TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL
)"""
# SigV4: Credential=ACCESS_KEY_ID/date/region/service/aws4_request.
_PRINCIPAL = re.compile(r"Credential=([^/,\s]+)/")


def create_table(conn: sqlite3.Connection) -> None:
    conn.execute(_TABLE)


def principal(authorization: str) -> str:
    """The access key id that signed a request ('' for an unsigned one)."""
    match = _PRINCIPAL.search(authorization)
    return match.group(1) if match else ""


def record(
    conn: sqlite3.Connection,
    *,
    time: float,
    operation: str,
    principal: str,
    params: dict[str, Any],
    result: dict[str, Any],
) -> None:
    """Add one committed write; called inside the write's own transaction."""
    conn.execute(
        "INSERT INTO write_record (time, operation, principal, request, result) VALUES (?, ?, ?, ?, ?)",
        (time, operation, principal, _json({_wire(k): v for k, v in params.items()}), _json(result)),
    )


def read_writes(db: str | Path) -> list[dict[str, Any]]:
    """Every recorded write of the database at `db`, in commit order ([] when none was recorded)."""
    conn = sqlite3.connect(f"file:{Path(db)}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT seq, time, operation, principal, request, result FROM write_record ORDER BY seq"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()
    return [
        {
            "seq": seq,
            "time": time,
            "operation": operation,
            "principal": principal,
            "request": json.loads(request),
            "result": json.loads(result),
        }
        for seq, time, operation, principal, request, result in rows
    ]


def _wire(name: str) -> str:
    """A parameter's wire name from its snake_case one: version_revisions -> versionRevisions."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, sort_keys=True)


def _plain(value: Any) -> Any:
    # Batch results carry their version maps as JSON text already; anything else (bytes of an
    # asset, a timestamp) is recorded by its text, which is all a record needs.
    if isinstance(value, JsonText):
        return json.loads(value.text)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
