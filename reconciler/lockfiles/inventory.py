"""A deployment inventory: a plain text file of `name@version` lines, for anything no lockfile covers.

`#` starts a comment; blank lines are skipped. The name is written the way the format writes it:
`@scope/name@1.0.0` (npm), `group:artifact@1.2.3` (Maven), `namespace/name@1.0` (generic, Swift),
`name@1.0` (any format). A line says no format: it protects that version of the package of that name
in whichever format the entry reading the file has.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.lockfiles.base import LockfileError, Pinned


def read_inventory(text: str, path: Path) -> list[Pinned]:
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        at = line.rfind("@")
        name, version = line[:at].strip(), line[at + 1 :].strip()
        if at <= 0 or not name or not version or " " in line:
            raise LockfileError(number, f"expected name@version, got {line!r}")
        namespace: str | None = None
        if name.startswith("@") and "/" in name:
            namespace, _, name = name[1:].partition("/")
        elif ":" in name:
            namespace, _, name = name.partition(":")
        elif "/" in name:
            namespace, _, name = name.rpartition("/")
        if not name or namespace == "":
            raise LockfileError(number, f"expected name@version, got {line!r}")
        found.append(Pinned(None, namespace, name, version, number))
    return found
