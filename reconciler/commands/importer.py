"""`reconciler import`: write a repository's live state as a manifest."""

from __future__ import annotations

import os
from pathlib import Path

import click
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.aws.client import Backend
from reconciler.codeartifact import Format
from reconciler.errors import ReconcilerError
from reconciler.files import is_special, write_output
from reconciler.importer import ImportedRepository, ImportSelection, render_manifest
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


def _check_out(path: Path, force: bool) -> None:
    """Refuse, before any AWS call, an output file that is there without --force or could not be
    written: its folder must exist (or be creatable below the nearest folder that does) and be
    writable. Stdout, a FIFO or a device is written into, overwriting nothing: no --force needed."""
    if str(path) == STDOUT or is_special(path):
        return
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


def _write(text: str, path: Path, force: bool) -> None:
    if str(path) == STDOUT:
        click.echo(text, nl=False)
        return
    try:
        write_output(path, text, replace=force)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror or exc}", _ELSEWHERE) from None


def _exists(path: Path) -> ReconcilerError:
    return ReconcilerError(f"{path} already exists", "Give --force to overwrite it, or another -o file.")


def _report(imported: ImportedRepository, path: Path) -> None:
    packages = len(imported.packages)
    versions = imported.version_count
    click.echo(
        f"Imported {plural(packages, 'package')}, {plural(versions, 'version')} "
        f"from {imported.selection.repository_ref} into {'stdout' if str(path) == STDOUT else path}.",
        err=True,
    )
    if not imported.packages:
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
@concurrency_option()
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
    concurrency: int,
    backend: Backend,
) -> None:
    """Write the live state of a repository as a manifest: one entry per package, with every version
    pinned at its current status.

    Planning the written manifest right away finds no changes. Unfinished versions (uploads in
    progress) cannot be declared: they are left out, named in a comment and on stderr.
    """
    target = _target(domain, repository, domain_owner, backend.region)
    _check_out(out, force)
    selection = ImportSelection(
        domain=target.domain,
        repository=target.repository,
        domain_owner=target.domain_owner,
        region=target.region,
        format=Format(format_) if format_ else None,
        namespace=namespace,
        package=package_glob,
    )
    imported = import_repository(backend, selection, concurrency)
    _write(render_manifest(imported), out, force)
    _report(imported, out)
