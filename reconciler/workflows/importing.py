"""Import: list a repository's selected packages, then read every version of each (in parallel)."""

from __future__ import annotations

from collections import Counter

from reconciler.addresses import PackageRef
from reconciler.aws import reads
from reconciler.aws.client import Backend, connect
from reconciler.codeartifact import Format
from reconciler.errors import AwsError, ReconcilerError
from reconciler.importer import ImportedRepository, ImportSelection, imported_repository
from reconciler.scope import literal_prefix
from reconciler.workflows.reading import read_packages


def import_repository(
    backend: Backend, selection: ImportSelection, max_workers: int = 8
) -> ImportedRepository:
    connection = connect(backend)
    try:
        calls: Counter[str] = Counter()
        refs = [
            PackageRef(selection.repository_ref, format, namespace, name)
            for format, namespace, name in _selected_packages(connection.client, selection, calls)
        ]
        states, listing = read_packages(connection.client, refs, max_workers)
    finally:
        connection.close()
    calls.update(listing)
    return imported_repository(selection, refs, states, calls)


def _selected_packages(
    client: object, selection: ImportSelection, calls: Counter[str]
) -> list[tuple[Format, str | None, str]]:
    prefix = literal_prefix(selection.package) if selection.package else ""
    try:
        found = {
            package
            for package in reads.list_packages(
                client,
                selection.repository_ref,
                calls,
                format=selection.format,
                namespace=selection.namespace,  # a prefix filter: matched exactly by `selects`
                prefix=prefix,
            )
            if selection.selects(*package)
        }
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise ReconcilerError(
            f"{selection.repository_ref}: {error.message}",
            "Check --domain, --repository and --domain-owner (and the Region).",
        ) from None
    return sorted(found, key=lambda item: (item[0].value, item[1] or "", item[2]))
