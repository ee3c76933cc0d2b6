"""Test builders for identities and journals, by keyword, as the plan file names their fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format


def package_ref(
    *,
    domain: str,
    repository: str,
    format: Format,
    package: str,
    namespace: str | None = None,
    domain_owner: str | None = None,
) -> PackageRef:
    return PackageRef(RepositoryRef(domain, repository, domain_owner), format, namespace, package)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every record of an apply journal, oldest first (a last line cut short by a kill is left out)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
