"""The program's entry point: the command's exit code unchanged, and what is alive at the end frozen
for the interpreter's exit (its last collection would walk every object only to free it)."""

from __future__ import annotations

import gc

import pytest

import reconciler.cli
from reconciler import entry


@pytest.mark.parametrize("code", [0, 2])
def test_the_entry_point_exits_with_the_command_and_leaves_what_is_alive_frozen(
    monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def command() -> None:
        raise SystemExit(code)

    monkeypatch.setattr(reconciler.cli, "cli", command)
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exited:
            entry.main()
        assert exited.value.code == code
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_loading_the_command_line_leaves_out_what_the_command_run_does_not_need() -> None:
    # Each was part of every command's start-up: deepdiff (and the asyncio it loads) only a stale
    # apply shows, the other commands' modules (the local service's among them) only they use.
    import subprocess
    import sys

    script = (
        "import sys, reconciler.cli; "
        "print(sorted(name for name in ('deepdiff', 'asyncio', 'reconciler.local', 'reconciler.commands.drift', "
        "'reconciler.commands.importer', 'reconciler.commands.plan', 'reconciler.commands.apply') "
        "if name in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
