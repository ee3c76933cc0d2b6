"""The exit-code contract (README, "Exit codes"), held command by command and failure by failure.

Every command (validate, schema, plan, show, apply, drift, import, local serve, local seed) is driven
through every class of failure that applies to it: a usage error, a bad manifest, a bad plan file, a
bad seed file, an unreachable or invalid endpoint, an AWS error, Ctrl-C (at apply's prompt too) and
SIGTERM. Each must end with its code from the contract, a message and no traceback: 1 for whatever
the user can act on, 130 and 143 for interruption; 0 and 2 only for what they mean.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import time as _time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.endpoint
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
SEED = EXAMPLES / "local" / "example-data.yaml"


def invoke(*args: str | Path, input: Any = None) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input)


def assert_exit(result: Result, code: int) -> None:
    """`result` ended with `code`, said something on stderr, and did not crash."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if code not in (0, 2):
        assert result.stderr.strip()


@pytest.fixture(scope="module")
def plan_file(seeded_once: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of the example manifests against the example data, with changes (made once: the tests
    that need a plan they can apply make their own)."""
    path = tmp_path_factory.mktemp("plan") / "examples.plan.json"
    db = path.parent / "example.db"
    shutil.copy(seeded_once, db)
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", path), 0)
    return path


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials and a Region that need no AWS account, no shared configuration, and retries that do
    not wait (botocore retries an unreachable endpoint with backoff)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    class NoWait:
        sleep = staticmethod(lambda seconds: None)
        time = staticmethod(_time.time)
        monotonic = staticmethod(_time.monotonic)

    monkeypatch.setattr(botocore.endpoint, "time", NoWait)


# --- 1. usage errors: exit 1 (never click's 2, which means "changes present"), for every command


USAGE_ERRORS = {
    "validate": [["validate", "--fromat", "text", "m"], ["validate"]],
    "schema": [["schema", "--out", "x"], ["schema", "extra"]],
    "plan": [["plan", "--detailed-exit-code", "m"], ["plan"], ["plan", "m", "--format", "yaml"]],
    "show": [["show", "--fromat", "text", "p.json"], ["show"], ["show", "p.json", "--format", "html"]],
    "apply": [["apply", "--auto-aprove", "m"], ["apply"], ["apply", "m", "--max-dispose", "-1"]],
    "drift": [["drift", "--grace", "soon", "m"], ["drift"], ["drift", "m", "--concurrency", "0"]],
    "import": [["import", "--repository", "r", "-o", "x.yaml"], ["import", "--domain", "d"]],
    "local serve": [["local", "serve", "--port", "99999"], ["local", "serve", "--latency", "soon"]],
    "local seed": [["local", "seed", "--db", "x.db"], ["local", "seed", "s.yaml"], ["local", "sed"]],
    "(no command)": [[], ["--fromat"], ["nosuch"]],
}


@pytest.mark.parametrize(
    "args",
    [args for cases in USAGE_ERRORS.values() for args in cases],
    ids=[f"{command}-{i}" for command, cases in USAGE_ERRORS.items() for i in range(len(cases))],
)
def test_a_usage_error_exits_1(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_exit(invoke(*args), 1)


# --- 2. bad manifests: exit 1 with every problem at its FILE:LINE


BAD_MANIFESTS: dict[str, bytes] = {
    "binary": bytes(range(256)),
    "control-character": b"apiVersion: reconciler/v1\nkind: PackageLifecycle\x07\n",
    "deep": b"apiVersion: reconciler/v1\nkind: PackageLifecycle\npackages: " + b"[" * 3000 + b"]" * 3000,
    "kind-as-a-list": b"apiVersion: reconciler/v1\nkind: [PackageLifecycle]\n",
    "huge-number": b"apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: " + b"7" * 5000 + b"\n",
    "tag-only": b"!PackageLifecycle\n",
}


@pytest.mark.parametrize("command", ["validate", "plan", "apply", "drift"])
@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_a_bad_manifest_exits_1_with_its_file_and_line(
    command: str, case: str, tmp_path: Path, db: Path
) -> None:
    path = tmp_path / "manifests" / f"{case}.yaml"
    path.parent.mkdir()
    path.write_bytes(BAD_MANIFESTS[case])
    backend = [] if command == "validate" else ["--local", str(db)]
    out = ["-o", str(tmp_path / "p.json")] if command == "plan" else []

    result = invoke(command, path.parent, *backend, *out)

    assert_exit(result, 1)
    assert result.stderr.startswith("Error: ")
    assert all(line.startswith(f"{path}:") for line in result.stderr.splitlines()[1:]), result.stderr


# --- 3. bad plan files: exit 1, naming the file


def _valid_plan(plan_file: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan_file.read_text())
    return document


BAD_PLAN_FILES: dict[str, Callable[[Path], bytes]] = {
    "binary": lambda valid: bytes(range(256)),
    "non-utf8": lambda valid: valid.read_bytes().replace(b'"acme"', b'"acm\xe9"', 1),
    "truncated": lambda valid: valid.read_bytes()[: len(valid.read_bytes()) // 2],
    "deep": lambda valid: b"[" * 100_000 + b"]" * 100_000,
    "not-an-object": lambda valid: b"[]",
    "wrong-types": lambda valid: json.dumps({**_valid_plan(valid), "actions": {"a": 1}}).encode(),
    "nan": lambda valid: json.dumps({**_valid_plan(valid), "evaluated_at": float("nan")}).encode(),
    "empty": lambda valid: b"",
}


@pytest.mark.parametrize("command", ["show", "apply"])
@pytest.mark.parametrize("case", sorted(BAD_PLAN_FILES))
def test_a_bad_plan_file_exits_1_naming_it(
    command: str, case: str, plan_file: Path, tmp_path: Path, db: Path
) -> None:
    path = tmp_path / f"{case}.plan.json"
    path.write_bytes(BAD_PLAN_FILES[case](plan_file))
    backend = ["--local", str(db)] if command == "apply" else []

    result = invoke(command, path, *backend)

    assert_exit(result, 1)
    assert str(path) in result.stderr.splitlines()[0]


# --- 4. bad seed files: exit 1, naming the file


BAD_SEED_FILES = {
    "binary": bytes(range(256)),
    "deep": b"[" * 600 + b"]" * 600,
    "bad-date": b"apiVersion: reconciler/v1\nkind: LocalSeed\ndomains: 2026-13-01\n",
    "huge-number": b"apiVersion: reconciler/v1\nkind: LocalSeed\ndomains: " + b"7" * 5000 + b"\n",
    "control-character": b"apiVersion: reconciler/v1\nkind: LocalSeed\x07\n",
}


@pytest.mark.parametrize("command", ["seed", "serve"])
@pytest.mark.parametrize("case", sorted(BAD_SEED_FILES))
def test_a_bad_seed_file_exits_1_naming_it_and_leaves_no_new_database(
    command: str, case: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(BAD_SEED_FILES[case])
    db = tmp_path / "local.db"
    args = ["seed", path, "--db", db] if command == "seed" else ["serve", "--db", db, "--seed-file", path]

    result = invoke("local", *args)

    assert_exit(result, 1)
    assert str(path) in result.stderr
    assert not db.exists()  # refused before the database is created


# --- 5. the endpoint: unreachable, invalid; AWS errors


def _aws_commands(plan_file: Path, tmp_path: Path) -> dict[str, list[str | Path]]:
    return {
        "plan": ["plan", EXAMPLES, "-o", tmp_path / "p.json"],
        # The examples declare versions Deleted: without --allow-delete, apply would be refused
        # before it reached the endpoint these tests are about.
        "apply-plan": ["apply", plan_file, "--allow-delete"],
        "apply-manifests": ["apply", EXAMPLES, "--auto-approve", "--allow-delete"],
        "drift": ["drift", EXAMPLES],
        "import": ["import", "--domain", "acme", "--repository", "prod", "-o", tmp_path / "i.yaml"],
    }


AWS_COMMANDS = ["plan", "apply-plan", "apply-manifests", "drift", "import"]


@pytest.mark.usefixtures("aws_environment")
@pytest.mark.parametrize("command", AWS_COMMANDS)
def test_an_unreachable_endpoint_exits_1(command: str, plan_file: Path, tmp_path: Path) -> None:
    args = _aws_commands(plan_file, tmp_path)[command]
    assert_exit(invoke(*args, "--endpoint-url", "http://127.0.0.1:1"), 1)


@pytest.mark.usefixtures("aws_environment")
@pytest.mark.parametrize("endpoint", ["notaurl", "http://127.0.0.1:99999"])
@pytest.mark.parametrize("command", AWS_COMMANDS)
def test_an_invalid_endpoint_exits_1(command: str, endpoint: str, plan_file: Path, tmp_path: Path) -> None:
    args = _aws_commands(plan_file, tmp_path)[command]
    assert_exit(invoke(*args, "--endpoint-url", endpoint), 1)


@pytest.mark.usefixtures("aws_environment")
def test_an_invalid_endpoint_recorded_in_the_plan_file_is_named_as_the_plan_files(
    plan_file: Path, tmp_path: Path
) -> None:
    document = json.loads(plan_file.read_text())
    document["targets"][0]["endpoint"] = "notaurl"
    edited = tmp_path / "edited.plan.json"
    edited.write_text(json.dumps(document))

    result = invoke("apply", edited, "--allow-delete")

    assert_exit(result, 1)
    assert "invalid CodeArtifact endpoint 'notaurl' (from the plan file's target)" in result.stderr
    assert "--endpoint-url" not in result.stderr


@pytest.mark.usefixtures("aws_environment")
@pytest.mark.parametrize("command", ["plan", "drift", "import"])
def test_an_invalid_endpoint_in_the_environment_exits_1(
    command: str, plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", "notaurl")
    assert_exit(invoke(*_aws_commands(plan_file, tmp_path)[command]), 1)


@pytest.mark.usefixtures("aws_environment")
@pytest.mark.parametrize("command", AWS_COMMANDS)
def test_no_credentials_exits_1(
    command: str, plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    args = _aws_commands(plan_file, tmp_path)[command]
    assert_exit(invoke(*args, "--endpoint-url", "http://127.0.0.1:1"), 1)


def test_aws_errors_exit_1(tmp_path: Path, db: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "m.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: nosuch, repository: prod}\n"
        "packages: [{format: npm, name: web-sdk}]\n"
    )
    for args in (
        ["plan", manifests, "-o", tmp_path / "p.json"],
        ["drift", manifests],
        ["apply", manifests, "--auto-approve"],
        ["import", "--domain", "acme", "--repository", "nosuch", "-o", tmp_path / "i.yaml"],
    ):
        result = invoke(*args, "--local", db)
        assert_exit(result, 1)
        assert "not found" in result.stderr


def test_a_missing_local_database_exits_1(tmp_path: Path) -> None:
    assert_exit(invoke("drift", EXAMPLES, "--local", tmp_path / "none.db"), 1)


# --- 6. interruption: Ctrl-C 130, SIGTERM 143, wherever they come


# The one use case each command calls (README, architecture): where an interruption is injected.
USE_CASES = {
    "validate": ("reconciler.cli.load_manifests", ["validate", EXAMPLES]),
    "schema": ("reconciler.cli.json_schema", ["schema"]),
    "plan": (
        "reconciler.commands.plan.plan_for_review",
        ["plan", EXAMPLES, "--local", "{db}", "-o", "{tmp}/p.json"],
    ),
    "show": ("reconciler.commands.plan.read_plan", ["show", "{plan}"]),
    "apply-plan": ("reconciler.commands.apply.apply_saved_plan", ["apply", "{plan}", "--local", "{db}"]),
    "apply-manifests": (
        "reconciler.commands.apply.apply_fresh_plan",
        ["apply", EXAMPLES, "--local", "{db}", "--auto-approve"],
    ),
    "drift": ("reconciler.commands.drift.detect_run", ["drift", EXAMPLES, "--local", "{db}"]),
    "import": (
        "reconciler.commands.importer.import_repository",
        ["import", "--domain", "acme", "--repository", "prod", "-o", "{tmp}/i.yaml", "--local", "{db}"],
    ),
    "local seed": ("reconciler.local.cli.load_seed", ["local", "seed", SEED, "--db", "{tmp}/s.db"]),
}


def _ctrl_c(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


def _sigterm(*args: Any, **kwargs: Any) -> Any:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # not reached: the handler raises at the next instruction
    raise AssertionError("SIGTERM did not end the run")


@pytest.mark.parametrize(
    ("signal_name", "interrupt", "code"), [("ctrl-c", _ctrl_c, 130), ("sigterm", _sigterm, 143)]
)
@pytest.mark.parametrize("command", sorted(USE_CASES))
def test_an_interruption_exits_130_for_ctrl_c_and_143_for_sigterm(
    command: str,
    signal_name: str,
    interrupt: Callable[..., Any],
    code: int,
    plan_file: Path,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target, args = USE_CASES[command]
    monkeypatch.setattr(target, interrupt)
    places = {"db": str(db), "tmp": str(tmp_path), "plan": str(plan_file)}

    result = invoke(*(str(arg).format(**places) for arg in args))

    assert_exit(result, code)
    assert result.stderr.splitlines()[-1] in ("Interrupted.", "Terminated.")


class CtrlC(io.BytesIO):
    """A terminal on which the user presses Ctrl-C when asked."""

    def isatty(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""
        raise KeyboardInterrupt

    read1 = readline = read  # type: ignore[assignment]


def test_ctrl_c_at_applys_confirmation_prompt_exits_130_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    result = invoke("apply", EXAMPLES, "--local", db, "--allow-delete", input=CtrlC())

    assert_exit(result, 130)
    assert "Only 'yes' will be accepted to approve." in result.stderr
    assert result.stderr.endswith("Interrupted.\n")
    again = invoke("plan", EXAMPLES, "--local", db, "-o", tmp_path / "p.json", "--detailed-exitcode")
    assert_exit(again, 2)  # the changes are all still there


def test_no_answer_at_applys_confirmation_prompt_exits_1(db: Path) -> None:
    class Closed(CtrlC):
        def read(self, size: int | None = -1) -> bytes:
            return b""

        read1 = readline = read  # type: ignore[assignment]

    result = invoke("apply", EXAMPLES, "--local", db, "--allow-delete", input=Closed())
    assert_exit(result, 1)
    assert "Only 'yes' will be accepted to approve." in result.stderr


# --- 7. success and changes: 0 and 2 mean only what they say


def test_0_and_2_mean_success_and_changes(db: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "a.json"
    assert_exit(invoke("validate", EXAMPLES), 0)
    assert_exit(invoke("schema"), 0)
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", plan_file, "--detailed-exitcode"), 2)
    assert_exit(invoke("show", plan_file), 0)
    assert_exit(invoke("drift", EXAMPLES, "--local", db), 2)
    assert_exit(invoke("apply", plan_file, "--local", db), 1)  # it deletes: refused, nothing changed
    assert_exit(invoke("apply", plan_file, "--local", db, "--allow-delete"), 0)
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", tmp_path / "b.json", "--detailed-exitcode"), 0)
    assert_exit(invoke("drift", EXAMPLES, "--local", db), 0)
    out = tmp_path / "imported.yaml"
    assert_exit(invoke("import", "--domain", "acme", "--repository", "prod", "-o", out, "--local", db), 0)
    assert_exit(invoke("local", "seed", SEED, "--db", tmp_path / "fresh.db"), 0)


# --- 8. outputs that cannot be written


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_journal_that_cannot_be_written_stops_apply_with_exit_1_before_any_change(
    db: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", plan_file), 0)

    result = invoke("apply", plan_file, "--local", db, "--journal", "/dev/full")

    assert_exit(result, 1)
    assert (
        "cannot write the apply journal /dev/full: No space left on device; nothing was changed"
        in result.stderr
    )
    assert "the journal so far" not in result.stderr  # there is none: its first line failed
    again = tmp_path / "again.json"
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", again), 0)
    assert json.loads(again.read_text())["actions"] == json.loads(plan_file.read_text())["actions"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_plan_file_on_a_full_disk_is_an_error_whose_hint_is_about_space_not_its_folder(db: Path) -> None:
    result = invoke("plan", EXAMPLES, "--local", db, "-o", "/dev/full")

    assert_exit(result, 1)
    assert "cannot write the plan file /dev/full: No space left on device" in result.stderr
    assert "Free some space, or save the plan elsewhere (-o FILE)." in result.stderr
    assert "folder" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_request_log_that_cannot_be_written_is_warned_of_once_a_run_not_once_a_region(
    db: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    warning = "Warning: cannot write the request log /dev/full: No space left on device"

    planned = invoke("plan", EXAMPLES, "--local", db, "-o", plan_file, "--log-requests", "/dev/full")
    applied = invoke("apply", plan_file, "--local", db, "--allow-delete", "--log-requests", "/dev/full")

    assert len(json.loads(plan_file.read_text())["targets"]) == 2  # the examples name two Regions
    assert_exit(planned, 0)
    assert planned.stderr.count(warning) == 1
    assert_exit(applied, 0)  # its reads' and its writes' clients, in each Region, share the log
    assert applied.stderr.count(warning) == 1


def test_a_journal_under_a_file_is_refused_naming_the_file_before_any_change(
    db: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", plan_file), 0)
    (tmp_path / "logs").write_text("a file where a folder should be")

    result = invoke("apply", plan_file, "--local", db, "--journal", tmp_path / "logs" / "j.jsonl")

    assert_exit(result, 1)
    assert (
        f"cannot write the apply journal {tmp_path / 'logs' / 'j.jsonl'}: {tmp_path / 'logs'} is not a directory"
        in (result.stderr)
    )


def test_a_missing_plan_file_is_named_as_a_plan_file(tmp_path: Path) -> None:
    missing = tmp_path / "pr-7.plan.json"

    result = invoke("apply", missing)

    assert_exit(result, 1)
    assert f"cannot read plan file {missing}" in result.stderr
    assert "manifests" not in result.stderr


@pytest.mark.parametrize("command", ["show", "apply"])
def test_a_plan_file_whose_created_at_is_no_time_is_refused_naming_the_field(
    command: str, db: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", plan_file), 0)
    document = json.loads(plan_file.read_text())
    plan_file.write_text(json.dumps({**document, "created_at": "garbage"}))
    journal = tmp_path / "p.journal.jsonl"

    result = invoke(command, plan_file, *(("--local", db, "--allow-delete") if command == "apply" else ()))

    assert_exit(result, 1)
    assert f"{plan_file} is not a valid plan file" in result.stderr
    assert "created_at" in result.stderr
    assert not journal.exists()  # refused as it was read, before the journal is opened


# --- 9. a standard stream closed when the program starts (`<&-`, `>&-`, `2>&-`)


def _started_with_closed(fd: int, *args: str | Path, db: Path) -> subprocess.CompletedProcess[str]:
    """`reconciler ARGS` as a shell starts it with descriptor `fd` closed; the others are pipes."""
    streams: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *(str(arg) for arg in args)],
        **streams,
        preexec_fn=lambda: os.close(fd),
        cwd=db.parent,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


def test_standard_output_closed_at_start_is_an_error_exit_1(db: Path) -> None:
    result = _started_with_closed(1, "validate", EXAMPLES, db=db)

    assert result.returncode == 1
    assert result.stderr == (
        "Error: cannot write the output: standard output is closed\n"
        "Standard output must be writable: check the file or device it is redirected to.\n"
    )


def test_standard_input_closed_at_start_is_no_confirmation_exit_1_and_changes_nothing(
    db: Path, tmp_path: Path
) -> None:
    result = _started_with_closed(0, "apply", EXAMPLES, "--local", db, "--allow-delete", db=db)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        "refusing to apply without confirmation: no terminal to ask on; nothing was changed" in result.stderr
    )
    again = invoke("plan", EXAMPLES, "--local", db, "-o", tmp_path / "again.json", "--detailed-exitcode")
    assert_exit(again, 2)  # the changes are all still there


def test_standard_error_closed_at_start_leaves_apply_and_its_report_whole(db: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "p.json"
    assert_exit(invoke("plan", EXAMPLES, "--local", db, "-o", plan_file), 0)

    result = _started_with_closed(2, "apply", plan_file, "--local", db, "--allow-delete", db=db)

    assert result.returncode == 0
    assert "Apply complete: 146 applied, 0 unchanged, 0 moved, 0 failed, 0 not-attempted" in result.stdout
    assert "Journal:" not in result.stdout  # what is meant for stderr is dropped, not sent to stdout


# --- 10. a file without end (a device, a runaway file): refused past a bound, never read until memory runs out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "/dev/zero"], "/dev/zero: cannot read: larger than 1,048,576 bytes"),
        (["plan", "/dev/zero", "--local", "x.db"], "/dev/zero: cannot read: larger than 1,048,576 bytes"),
        (["show", "/dev/zero"], "cannot read plan file /dev/zero: larger than 1,048,576 bytes"),
        (
            ["local", "seed", "/dev/zero", "--db", "x.db"],
            "/dev/zero: cannot read: larger than 1,048,576 bytes",
        ),
    ],
)
def test_a_file_without_end_is_refused_past_the_bound_exit_1(
    args: list[str], message: str, tmp_path: Path
) -> None:
    # The bounds lowered to 1 MiB, and the address space to 1.5 GiB: a reader without a bound fails
    # here with a MemoryError (a bug, exit 3), not by exhausting the machine's memory.
    program = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))\n"
        "import reconciler.files, reconciler.local.seedfile\n"
        "reconciler.files.INPUT_LIMIT = reconciler.local.seedfile.SEED_FILE_LIMIT = 1 << 20\n"
        "from reconciler.cli import cli\n"
        "cli(sys.argv[1:])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        cwd=tmp_path,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
