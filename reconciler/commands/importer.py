"""`reconciler import`: write a repository's live state as a manifest."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

import click
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.aws.client import Backend
from reconciler.codeartifact import Format
from reconciler.errors import ReconcilerError
from reconciler.files import is_special, output_stream, same_file
from reconciler.importer import ImportSelection, ImportTally, manifest_head
from reconciler.models import PATTERN_HINTS, RepositoryTarget
from reconciler.options import STDOUT, backend_options, concurrency_option, out_option
from reconciler.text import plural
from reconciler.workflows.importing import import_repository


def _target(domain: str, repository: str, domain_owner: str | None, region: str | None) -> RepositoryTarget:
    """The target the manifest will declare, checked now: what import writes must validate."""
    try:
        return RepositoryTarget(
            domain=domain, repository=repository, domain_owner=domain_owner, region=region
        )
    except ValidationError as exc:
        options = {
            "domain": "--domain",
            "repository": "--repository",
            "domain_owner": "--domain-owner",
            "region": "--region",
        }
        problems = [
            f"{options.get(str(error['loc'][0]), str(error['loc'][0]))}: {_problem(error)}"
            for error in exc.errors()
        ]
        raise ReconcilerError("invalid target", "\n".join(problems)) from None


def _problem(error: ErrorDetails) -> str:
    """A validation error of an option as `validate` words it for the same key in a manifest."""
    pattern = (error.get("ctx") or {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern in PATTERN_HINTS:
        return f"expected {PATTERN_HINTS[pattern]}, got {error['input']!r}"
    return str(error["msg"])


_ELSEWHERE = "Give another -o file."


def _check_out(path: Path, force: bool, local_db: str | None) -> None:
    """Refuse, before any AWS call, an output file that is the --local database read (even with
    --force: the manifest would replace it), that is there without --force, or that could not be
    written: its folder must exist (or be creatable below the nearest folder that does) and be
    writable. Stdout, a FIFO or a device is written into, overwriting nothing: no --force needed."""
    if str(path) == STDOUT or is_special(path):
        return
    if local_db is not None and same_file(path, local_db):
        raise click.UsageError(
            f"-o {path} is the --local database the import reads; write the manifest elsewhere"
        )
    try:
        if path.exists() and not force:
            raise _exists(path)
        existing = path.parent.absolute()
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise ReconcilerError(f"cannot write {path}: {existing} is not a directory", _ELSEWHERE)
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ReconcilerError(f"cannot write {path}: {existing} is not writable", _ELSEWHERE)
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror or exc}", _ELSEWHERE) from None


# Up to this many characters of the manifest's packages stay in memory before they spill to a
# temporary file (about 280,000 pins; a million-version import keeps 8 MB, not 30).
_SPOOL_CHARS = 8 * 2**20


def _import(
    backend: Backend, selection: ImportSelection, out: Path, force: bool, concurrency: int | None
) -> ImportTally:
    """Import, streaming each package's lines into a spool as it is read, then write the manifest:
    its head (which counts what the packages left out), then the spool. The file appears whole
    or not at all."""
    with tempfile.SpooledTemporaryFile(_SPOOL_CHARS, mode="w+", encoding="utf-8") as body:

        def spool(text: str) -> None:
            try:
                body.write(text)
            except OSError as exc:  # spilled to a folder that is full, say
                raise ReconcilerError(
                    f"cannot write a temporary file in {tempfile.gettempdir()}: {exc.strerror or exc}",
                    "Free some space there, or set TMPDIR to a folder with more.",
                ) from None

        tally = import_repository(backend, selection, spool, concurrency)
        body.seek(0)
        _write(manifest_head(selection, tally.packages, len(tally.unfinished)), body, out, force)
    return tally


def _write(head: str, body: IO[str], path: Path, force: bool) -> None:
    if str(path) == STDOUT:
        click.echo(head, nl=False)
        for chunk in iter(lambda: body.read(2**16), ""):
            click.echo(chunk, nl=False)
        return
    try:
        with output_stream(path, replace=force) as stream:
            stream.write(head)
            shutil.copyfileobj(body, stream)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror or exc}", _ELSEWHERE) from None


def _exists(path: Path) -> ReconcilerError:
    return ReconcilerError(f"{path} already exists", "Give --force to overwrite it, or another -o file.")


def _report(imported: ImportTally, path: Path) -> None:
    packages = imported.packages
    versions = imported.versions
    click.echo(
        f"Imported {plural(packages, 'package')}, {plural(versions, 'version')} "
        f"from {imported.selection.repository_ref} into {'stdout' if str(path) == STDOUT else path}.",
        err=True,
    )
    if not packages:
        click.echo("Warning: no package matched; the manifest declares none.", err=True)
    left_out = imported.unfinished
    if left_out:
        click.echo(
            f"Left out {plural(len(left_out), 'Unfinished version')} "
            f"(an upload in progress cannot be declared): {', '.join(left_out)}",
            err=True,
        )


@click.command("import")
@click.option("--domain", required=True, help="The CodeArtifact domain.")
@click.option("--repository", required=True, help="The repository to import.")
@click.option("--domain-owner", help="The 12-digit account id that owns the domain.")
@click.option(
    "--format",
    "format_",
    type=click.Choice([format.value for format in Format]),
    help="Only packages of this format.",
)
@click.option(
    "--namespace", help="Only packages of this namespace (npm scope without '@', Maven groupId, ...)."
)
@click.option("--package", "package_glob", metavar="GLOB", help="Only packages whose name matches this glob.")
@out_option(
    "The manifest file to write ('-' for stdout). A FIFO or device is written into, a symbolic "
    "link's target is replaced whole.",
    required=True,
)
@click.option("--force", is_flag=True, help="Overwrite the -o file if it is there (a regular file).")
@concurrency_option(adaptive=True)
@backend_options
def import_(
    domain: str,
    repository: str,
    domain_owner: str | None,
    format_: str | None,
    namespace: str | None,
    package_glob: str | None,
    out: Path,
    force: bool,
    concurrency: int | None,
    backend: Backend,
) -> None:
    """Write the live state of a repository as a manifest: one entry per package, with every version
    pinned at its current status.

    Planning the written manifest right away finds no changes. Unfinished versions (uploads in
    progress) cannot be declared: they are left out, named in a comment and on stderr.
    """
    target = _target(domain, repository, domain_owner, backend.region)
    _check_out(out, force, backend.local_db)
    selection = ImportSelection(
        domain=target.domain,
        repository=target.repository,
        domain_owner=target.domain_owner,
        region=target.region,
        format=Format(format_) if format_ else None,
        namespace=namespace,
        package=package_glob,
    )
    _report(_import(backend, selection, out, force, concurrency), out)
