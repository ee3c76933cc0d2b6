"""The command line's error boundary as a user meets it: exit codes, interruption, standard output
that cannot be written or was closed, `--debug` anywhere, and help texts that state the contract."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from reconciler import cli as cli_module
from reconciler.boundary import ReconcilerGroup, add_debug_option
from reconciler.cli import cli
from reconciler.contract import COMMANDS, describe_commands

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


# --- usage errors: exit 1, click's message and usage line kept


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fromat", "text"], "Error: No such option '--fromat'."),
        (
            ["plan", "--fromat", "text", "m"],
            "Error: No such option '--fromat'. (Did you mean one of: '--format'",
        ),
        (["plan", "--detailed-exit-code", "m"], "Did you mean '--detailed-exitcode'?"),
        (["drift", "m", "--grace", "soon"], "Invalid value for '--grace': 'soon' is not a duration"),
        (["validate"], "Error: Missing argument 'PATHS...'."),
        (["show"], "Error: Missing argument 'PLAN_FILE'."),
        (["import", "--repository", "r", "-o", "x"], "Error: Missing option '--domain'."),
        (["nosuch"], "Error: No such command 'nosuch'."),
        (["local", "nosuch"], "Error: No such command 'nosuch'."),
        (["local", "serve", "--port", "99999"], "Invalid value for '--port'"),
        (["local", "seed", "--db", "x.db"], "Error: Missing argument 'SEED_FILE'."),
        (["plan", "m", "--local", "a.db", "--endpoint-url", "http://x"], "--local and --endpoint-url"),
    ],
)
def test_a_usage_error_exits_1_with_clicks_message_and_usage_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Usage: ")
    assert message in result.stderr
    assert result.stdout == ""


def test_no_command_at_all_shows_the_help_and_exits_1() -> None:
    result = run()
    assert result.exit_code == 1
    assert "Commands:" in result.output


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["local", "serve", "-h"], ["--version"]])
def test_help_and_version_exit_0(args: list[str]) -> None:
    assert run(*args).exit_code == 0


# --- bugs, and --debug wherever it is written


@pytest.fixture
def bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(paths: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_module, "load_manifests", broken)


@pytest.mark.usefixtures("bug")
def test_a_bug_exits_3_and_the_hint_to_run_again_with_debug_works_as_written() -> None:
    first = run("validate", "m.yaml")
    assert first.exit_code == 3
    assert first.stderr.endswith("run again with --debug to see the traceback.\n")

    for again in (["validate", "m.yaml", "--debug"], ["--debug", "validate", "m.yaml"]):
        result = run(*again)
        assert result.exit_code == 3
        assert "Traceback (most recent call last)" in result.stderr
        assert result.stderr.rstrip().endswith("RuntimeError: boom")


@pytest.mark.parametrize("path", [["apply"], ["local", "seed"], ["local", "serve"], ["show"]])
def test_every_command_accepts_debug(path: list[str]) -> None:
    assert "--debug" in run(*path, "--help").stdout


# --- interruption


class CtrlC(io.BytesIO):
    """A terminal on which the user presses Ctrl-C when asked."""

    def isatty(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""  # click's probe for a binary stream
        raise KeyboardInterrupt

    read1 = readline = read  # type: ignore[assignment]


@click.group(cls=ReconcilerGroup)
def prompting() -> None:
    """A group whose command asks, as apply does."""


@prompting.command()
def ask() -> None:
    click.confirm("Apply this plan?", default=False, err=True)


@prompting.command()
def terminated() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    raise AssertionError("not reached: SIGTERM ends the run")


add_debug_option(prompting)


def test_ctrl_c_at_a_confirmation_prompt_exits_130() -> None:
    result = CliRunner().invoke(prompting, ["ask"], input=CtrlC())
    assert (result.exit_code, result.stderr) == (130, "Apply this plan? [y/N]: \nInterrupted.\n")


def test_end_of_input_at_a_confirmation_prompt_exits_1() -> None:
    result = CliRunner().invoke(prompting, ["ask"], input="")
    assert result.exit_code == 1
    assert result.stderr.endswith("Aborted: no answer.\n")


def test_sigterm_exits_143_after_the_command_unwinds() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(prompting, ["terminated"])
    assert (result.exit_code, result.stderr) == (143, "Terminated.\n")
    assert signal.getsignal(signal.SIGTERM) is previous


# --- standard output that cannot be written, or was closed by its reader


def reconciler(*args: str, stdout: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["schema"], ["validate", str(MANIFESTS)]])
def test_standard_output_on_a_full_disk_is_an_error_exit_1(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = reconciler(*args, stdout=full)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: cannot write the output: No space left on device\n"
        "Standard output must be writable: check the file or device it is redirected to.\n"
    )


def test_standard_output_closed_by_its_reader_ends_quietly_with_141() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written, as `| head` is after a line
    try:
        result = reconciler("schema", stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


# --- help texts state the contract


def _commands(group: click.Group = cli, path: str = "") -> list[tuple[str, click.Command]]:
    # Through click's own listing: the program's commands are loaded as they are asked for.
    found: list[tuple[str, click.Command]] = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        below = f"{path} {name}".strip()
        found.append((below, command))
        if isinstance(command, click.Group):
            found += _commands(command, below)
    return found


def test_the_command_list_shows_complete_descriptions() -> None:
    listed = run("--help").stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    assert "..." not in listed
    for path, command in _commands():
        assert command.short_help, path
        assert command.short_help.endswith("."), path


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_states_its_exit_codes_in_its_help(path: str) -> None:
    text = run(*path.split(), "--help").stdout
    section = text.split("Exit codes:\n", 1)[1]
    codes = [int(code) for code in re.findall(r"^ {4}(\d+) ", section, re.MULTILINE)]
    assert codes == [code for code, _ in COMMANDS[path][1]]
    assert 1 in codes and 3 in codes


def test_every_command_has_its_place_in_the_contract() -> None:
    assert sorted(path for path, _ in _commands()) == sorted(path for path in COMMANDS if path)


def test_the_readme_exit_code_table_lists_every_code_a_command_can_give() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    used = {code for _, codes in COMMANDS.values() for code, _ in codes}
    assert documented == used


# --- Ctrl-C while the command line is still loading


class _InterruptedImport:
    """A meta path finder that interrupts the import of `reconciler.cli`, as Ctrl-C during it would."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "reconciler.cli":
            raise KeyboardInterrupt


def test_ctrl_c_while_the_command_line_loads_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler import entry

    monkeypatch.delitem(sys.modules, "reconciler.cli")
    monkeypatch.setattr(sys, "meta_path", [_InterruptedImport(), *sys.meta_path])

    with pytest.raises(SystemExit) as exited:
        entry.main()

    assert exited.value.code == 130
    assert capsys.readouterr().err == "\nInterrupted.\n"


def test_a_command_without_its_place_in_the_contract_is_refused_at_once() -> None:
    @click.group()
    def group() -> None:
        """A group with an undescribed command."""

    @group.command()
    def undescribed() -> None:
        """Nothing in the contract."""

    with pytest.raises(
        LookupError, match=re.escape("'undescribed' has no entry in reconciler.contract.COMMANDS")
    ):
        describe_commands(group)
