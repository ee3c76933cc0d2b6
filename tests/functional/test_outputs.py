"""Output conventions through the command line: output files (`-o -`, FIFOs, links, `--no-save`,
Terraform's `-out=`), `--output` and its deprecated alias `--format`, colour, the confirmation of
`apply PATHS`, and a SQLite file that is not the local service's."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler import options
from reconciler.cli import cli
from reconciler.commands import apply as apply_command
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.planfile import plan_from_document

ESC = "\x1b["
UPDATE_ONLY = '      "2.3.12": Unlisted\n'
WITH_DISPOSE = '      "2.3.12": Unlisted\n      "1.1.0": Disposed\n'


def manifest(tmp_path: Path, versions: str = UPDATE_ONLY) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\n"
        f"packages:\n  - format: npm\n    namespace: acme\n    name: web-sdk\n    versions:\n{versions}"
    )
    return path


def run(*args: str | Path, color: bool = False, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], color=color, input=input)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder (the default plan path is relative), in a plain
    environment as far as colour goes."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def status_of(db: Path, version: str) -> str:
    with LocalCodeArtifact(db) as service:
        described = local_client(service).describe_package_version(
            domain="acme",
            repository="prod",
            format="npm",
            namespace="acme",
            package="web-sdk",
            packageVersion=version,
        )
    return str(described["packageVersion"]["status"])


def read_fifo_in_background(path: Path) -> tuple[threading.Thread, list[str]]:
    received: list[str] = []

    def read() -> None:
        with open(path, encoding="utf-8") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, received


# -- output files ------------------------------------------------------------------------------------


def test_plan_out_dash_writes_the_plan_file_to_stdout_and_the_view_to_stderr(
    tmp_path: Path, db: Path
) -> None:
    result = run("plan", manifest(tmp_path), "--local", db, "-o", "-")

    assert result.exit_code == 0, result.stderr
    plan = plan_from_document(json.loads(result.stdout))
    assert plan.summary.to_update == 1
    assert "Plan: 0 to dispose, 1 to update, 0 to copy" in result.stderr
    assert "Wrote the plan to stdout." in result.stderr
    assert not (tmp_path / "plans").exists() and not (tmp_path / "-").exists()


@pytest.mark.parametrize("through_a_link", [False, True])
def test_plan_out_naming_a_manifest_it_reads_is_refused_and_the_manifest_kept(
    through_a_link: bool, tmp_path: Path, db: Path
) -> None:
    path = manifest(tmp_path)
    before = path.read_text()
    out = path
    if through_a_link:
        out = tmp_path / "pr.plan.json"
        out.symlink_to(path)

    result = run("plan", tmp_path / "manifests", "--local", db, "-o", out)

    assert result.exit_code == 1
    assert f"refused: -o {out} is the manifest {path}, which the plan was made from; nothing was saved" in (
        result.stderr
    )
    assert path.read_text() == before


def test_plan_out_naming_the_local_database_is_refused_and_the_database_kept(
    tmp_path: Path, db: Path
) -> None:
    result = run("plan", manifest(tmp_path), "--local", db, "-o", db)

    assert result.exit_code == 1
    assert f"refused: -o {db} is the local database {db}, which the plan was made from" in result.stderr
    assert status_of(db, "2.3.12") == "Published"  # still a database, as it was


@pytest.mark.parametrize("option", ["--journal", "--log-requests"])
@pytest.mark.parametrize("over", ["plan", "database"])
def test_apply_journal_or_log_naming_the_plan_file_or_the_database_is_refused_before_any_change(
    option: str, over: str, tmp_path: Path, db: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert run("plan", manifest(tmp_path), "--local", db, "-o", plan_file).exit_code == 0
    before = plan_file.read_bytes()
    journal = plan_file if over == "plan" else db

    result = run("apply", plan_file, "--local", db, option, journal)

    assert result.exit_code == 1
    assert f"Error: {option} {journal} is " in result.stderr  # the plan file, or the --local database
    assert plan_file.read_bytes() == before
    assert status_of(db, "2.3.12") == "Published"


@pytest.mark.parametrize("option", ["--journal", "--log-requests"])
def test_apply_journal_or_log_naming_the_database_the_plan_records_is_refused_without_local(
    option: str, tmp_path: Path, db: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert run("plan", manifest(tmp_path), "--local", db, "-o", plan_file).exit_code == 0
    before = db.read_bytes()

    result = run("apply", plan_file, option, db)  # no --local: apply reaches the plan's local:DB

    assert result.exit_code == 1
    assert f"Error: {option} {db} is {db}, the local database the plan was made against" in result.stderr
    assert db.read_bytes() == before  # not a byte appended
    assert status_of(db, "2.3.12") == "Published"


def test_a_request_log_naming_the_local_database_is_a_usage_error(tmp_path: Path, db: Path) -> None:
    result = run("drift", manifest(tmp_path), "--local", db, "--log-requests", db)

    assert result.exit_code == 1
    assert f"--log-requests {db} is the --local database" in result.stderr


def test_plan_no_save_shows_the_plan_and_writes_no_file(tmp_path: Path, db: Path) -> None:
    result = run("plan", manifest(tmp_path), "--local", db, "--no-save")

    assert result.exit_code == 0, result.stderr
    assert "Plan: 0 to dispose, 1 to update, 0 to copy" in result.stdout
    assert "The plan was not saved (--no-save)." in result.stderr
    assert not (tmp_path / "plans").exists()


def test_plan_no_save_and_out_together_are_refused(tmp_path: Path, db: Path) -> None:
    result = run("plan", manifest(tmp_path), "--local", db, "--no-save", "-o", "x.plan.json")

    assert result.exit_code != 0
    assert "--no-save and -o/--out are alternatives" in result.stderr
    assert not (tmp_path / "x.plan.json").exists()


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        (["-out=plans/x.plan.json"], "Did you mean -o plans/x.plan.json or --out plans/x.plan.json?"),
        (["-out", "plans/x.plan.json"], "Did you mean -o FILE or --out FILE?"),
        (["-o=plans/x.plan.json"], "Did you mean -o plans/x.plan.json or --out=plans/x.plan.json?"),
    ],
)
def test_terraforms_out_habit_is_refused_with_a_hint_before_any_call(
    tmp_path: Path, typed: list[str], hint: str
) -> None:
    result = run("plan", manifest(tmp_path), "--local", tmp_path / "missing.db", *typed)

    assert result.exit_code == 1
    assert "is not an option: it reads as -o with the file name" in result.stderr
    assert hint in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests"]  # no ut=..., no plans/


def test_import_refuses_terraforms_out_habit_too(tmp_path: Path, db: Path) -> None:
    result = run("import", "--domain", "acme", "--repository", "prod", "--local", db, "-out=prod.yaml")

    assert result.exit_code == 1
    assert "Did you mean -o prod.yaml or --out prod.yaml?" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [db.name]


def test_plan_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path: Path, db: Path) -> None:
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    reader, received = read_fifo_in_background(fifo)

    result = run("plan", manifest(tmp_path), "--local", db, "-o", fifo)
    reader.join(timeout=60)

    assert result.exit_code == 0, result.stderr
    assert plan_from_document(json.loads(received[0])).summary.to_update == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert f"Wrote the plan to {fifo}." in result.stderr  # no "apply exactly this plan" hint


def test_plan_into_a_symbolic_link_replaces_its_target_and_keeps_the_link(tmp_path: Path, db: Path) -> None:
    target = tmp_path / "plans" / "pr-1.plan.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.plan.json"
    link.symlink_to(target)

    result = run("plan", manifest(tmp_path), "--local", db, "-o", link)

    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.readlink() == target
    assert plan_from_document(json.loads(target.read_text())).summary.to_update == 1


def test_import_out_dash_writes_the_manifest_to_stdout(tmp_path: Path, db: Path) -> None:
    result = run("import", "--domain", "acme", "--repository", "prod", "--local", db, "-o", "-")

    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["target"]["repository"] == "prod"
    assert "into stdout." in result.stderr
    assert not (tmp_path / "-").exists()


def test_import_into_a_fifo_needs_no_force(tmp_path: Path, db: Path) -> None:
    fifo = tmp_path / "prod.fifo"
    os.mkfifo(fifo)
    reader, received = read_fifo_in_background(fifo)

    result = run("import", "--domain", "acme", "--repository", "prod", "--local", db, "-o", fifo)
    reader.join(timeout=60)

    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(received[0])["target"]["repository"] == "prod"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_import_through_a_link_keeps_the_force_rule_and_the_link(tmp_path: Path, db: Path) -> None:
    target = tmp_path / "prod.yaml"
    target.write_text("kept: true\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    args = ("import", "--domain", "acme", "--repository", "prod", "--local", db, "-o", link)

    refused = run(*args)
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert target.read_text() == "kept: true\n"

    forced = run(*args, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert link.is_symlink() and yaml.safe_load(target.read_text())["target"]["repository"] == "prod"


# -- --output and its deprecated alias ---------------------------------------------------------------


def test_output_names_the_view_of_plan_show_and_drift(tmp_path: Path, db: Path) -> None:
    plan = run("plan", manifest(tmp_path), "--local", db, "-o", "p.plan.json", "--output", "json")
    show = run("show", "p.plan.json", "--output", "markdown")
    drift = run("drift", manifest(tmp_path), "--local", db, "--output", "json")

    assert plan.exit_code == 0 and json.loads(plan.stdout)["summary"]["to_update"] == 1
    assert show.exit_code == 0 and show.stdout.splitlines()[1].startswith(
        "## Reconciler plan: 0 to dispose, 1 to update"
    )
    assert drift.exit_code == 2 and json.loads(drift.stdout)["counts"]["wrong_status"] == 1
    assert "deprecated" not in plan.stderr + show.stderr + drift.stderr


def test_format_still_works_for_one_release_with_a_warning(tmp_path: Path, db: Path) -> None:
    result = run("drift", manifest(tmp_path), "--local", db, "--format", "json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["has_drift"] is True
    assert "Warning: --format is deprecated here; use --output json" in result.stderr


def test_output_and_format_that_disagree_are_refused(tmp_path: Path) -> None:
    result = run("show", "p.plan.json", "--output", "json", "--format", "markdown")

    assert result.exit_code != 0
    assert "--output json and --format markdown disagree" in result.stderr


# -- colour ------------------------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "is_terminal", lambda stream: True)


@pytest.mark.usefixtures("terminal")
def test_every_view_is_coloured_on_a_terminal(tmp_path: Path, db: Path) -> None:
    plan = run("plan", manifest(tmp_path), "--local", db, "-o", "p.plan.json", color=True)
    show = run("show", "p.plan.json", color=True)
    drift = run("drift", manifest(tmp_path), "--local", db, color=True)
    applied = run("apply", "p.plan.json", "--local", db, color=True)

    for result in (plan, show, drift, applied):
        assert ESC in result.stdout, result.output
    assert "\x1b[1;32mApply complete" in applied.stdout


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("variable", "value", "flag"),
    [("NO_COLOR", "1", []), ("NO_COLOR", "anything", []), ("TERM", "dumb", []), (None, None, ["--no-color"])],
)
def test_no_color_term_dumb_and_the_flag_turn_colour_off_everywhere(
    tmp_path: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str | None,
    value: str,
    flag: list[str],
) -> None:
    if variable is not None:
        monkeypatch.setenv(variable, value)
    plan = run("plan", manifest(tmp_path), "--local", db, "-o", "p.plan.json", *flag, color=True)
    show = run("show", "p.plan.json", *flag, color=True)
    drift = run("drift", manifest(tmp_path), "--local", db, *flag, color=True)
    applied = run("apply", "p.plan.json", "--local", db, *flag, color=True)

    for result in (plan, show, drift, applied):
        assert result.exit_code in (0, 2), result.output
        assert ESC not in result.output


def test_an_empty_no_color_leaves_colour_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "is_terminal", lambda stream: True)
    monkeypatch.setenv("NO_COLOR", "")
    assert options.ColorPolicy().stdout() and not options.ColorPolicy(disabled=True).stdout()


def test_no_colour_when_the_stream_is_not_a_terminal(tmp_path: Path, db: Path) -> None:
    result = run("drift", manifest(tmp_path), "--local", db, color=True)
    assert result.exit_code == 2 and ESC not in result.output


# -- confirmation ------------------------------------------------------------------------------------


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal to ask on (CliRunner's stdin is not one)."""
    monkeypatch.setattr(apply_command, "_can_ask", lambda: True)


@pytest.mark.usefixtures("asked")
@pytest.mark.parametrize("versions", [UPDATE_ONLY, WITH_DISPOSE])
@pytest.mark.parametrize("answer", ["y\n", "Y\n", "yes please\n", "\n", ""])
def test_apply_of_manifests_is_cancelled_by_anything_but_a_typed_yes(
    tmp_path: Path, db: Path, versions: str, answer: str
) -> None:
    result = run("apply", manifest(tmp_path, versions), "--local", db, input=answer)

    assert result.exit_code == 1
    assert "Only 'yes' will be accepted to approve." in result.stderr
    assert "Error: apply cancelled; nothing was changed" in result.stderr
    assert status_of(db, "2.3.12") == "Published"


@pytest.mark.usefixtures("asked")
def test_apply_of_manifests_applies_after_a_typed_yes_and_names_the_disposes(
    tmp_path: Path, db: Path
) -> None:
    result = run("apply", manifest(tmp_path, WITH_DISPOSE), "--local", db, input="yes\n")

    assert result.exit_code == 0, result.output
    assert "It disposes 1 version: their assets are deleted, which cannot be undone." in result.stderr
    assert "Apply complete: 2 applied" in result.stdout
    assert (status_of(db, "2.3.12"), status_of(db, "1.1.0")) == ("Unlisted", "Disposed")


@pytest.mark.usefixtures("asked")
def test_with_a_json_report_the_plan_to_approve_is_shown_on_stderr(tmp_path: Path, db: Path) -> None:
    result = run("apply", manifest(tmp_path), "--local", db, "--output", "json", input="yes\n")

    assert result.exit_code == 0, result.output
    assert result.stderr.index("Plan: 0 to dispose, 1 to update") < result.stderr.index("Only 'yes'")
    assert json.loads(result.stdout)["succeeded"] is True


@pytest.mark.usefixtures("asked")
def test_ctrl_c_at_the_confirmation_exits_130_and_changes_nothing(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(apply_command, "_read_answer", interrupted)

    result = run("apply", manifest(tmp_path), "--local", db)

    assert result.exit_code == 130
    assert status_of(db, "2.3.12") == "Published"


# -- the local store ---------------------------------------------------------------------------------


@pytest.fixture
def foreign(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO note (text) VALUES ('mine')")
    conn.commit()
    conn.close()
    yield path


def test_plan_refuses_a_sqlite_file_that_is_not_the_local_services_and_leaves_it_untouched(
    tmp_path: Path, foreign: Path
) -> None:
    before = hashlib.sha256(foreign.read_bytes()).hexdigest()

    result = run("plan", manifest(tmp_path), "--local", foreign, "--no-save")

    assert result.exit_code == 1
    assert f"Error: {foreign} is not a local CodeArtifact database" in result.stderr
    assert "not the local service's" in result.stderr
    assert hashlib.sha256(foreign.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests", "notes.sqlite"]  # no -wal, -shm
