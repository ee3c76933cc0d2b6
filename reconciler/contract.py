"""The exit-code contract, and the help texts that state it: one wording for every command.

CI decides on exit codes, so each code means one thing in every command (README, "Exit codes"):
0 success, 1 an error a person can act on (usage errors included), 2 only "changes present"
(`plan --detailed-exitcode`) and "drift found", 3 only a bug in reconciler, 130 interrupted
(Ctrl-C), 141 standard output closed before everything was written (a pipe to `head`), 143
terminated (SIGTERM). `describe_commands` gives every command the complete one-line description the
command list shows and the exit codes that apply to it, at the end of its `--help`.
"""

from __future__ import annotations

import textwrap

import click

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143

# The width of the exit-code lines: they fit an 80-column terminal below click's indent.
_WIDTH = 76

# What every command can end with besides its own codes.
_COMMON = (
    (EXIT_INTERNAL, "a bug in reconciler (run again with --debug for the traceback)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    (EXIT_BROKEN_PIPE, "standard output closed before the end (e.g. piped to head)"),
    (EXIT_TERMINATED, "terminated (SIGTERM)"),
)
_USAGE = "a usage error"
_STOPPED = (
    (EXIT_INTERNAL, _COMMON[0][1]),
    (EXIT_BROKEN_PIPE, _COMMON[2][1]),
)

# Each command (by its path below `reconciler`): the line the command list shows, and its codes.
COMMANDS: dict[str, tuple[str, tuple[tuple[int, str], ...]]] = {
    "": (
        "",
        (
            (EXIT_OK, "success: valid, no changes, in sync, applied"),
            (EXIT_ERROR, "an error you can act on, usage errors included"),
            (EXIT_CHANGES, "plan --detailed-exitcode: changes present; drift: drift found"),
            *_COMMON,
        ),
    ),
    "validate": (
        "Check manifests without calling AWS.",
        (
            (EXIT_OK, "the manifests are valid"),
            (EXIT_ERROR, f"a problem in the manifests, or {_USAGE}"),
            *_COMMON,
        ),
    ),
    "schema": (
        "Print the JSON Schema of the manifest format.",
        (
            (EXIT_OK, "the schema was printed"),
            (EXIT_ERROR, f"the output cannot be written, or {_USAGE}"),
            *_COMMON,
        ),
    ),
    "plan": (
        "Diff manifests against live state; save and show the plan.",
        (
            (EXIT_OK, "no changes, or changes without --detailed-exitcode"),
            (
                EXIT_ERROR,
                "an error: a manifest problem, an AWS error, versions that cannot converge, "
                f"a plan file that cannot be written, a warning with --strict, or {_USAGE}",
            ),
            (EXIT_CHANGES, "changes present (only with --detailed-exitcode)"),
            *_COMMON,
        ),
    ),
    "show": (
        "Show a saved plan again.",
        ((EXIT_OK, "the plan was shown"), (EXIT_ERROR, f"not a readable plan file, or {_USAGE}"), *_COMMON),
    ),
    "apply": (
        "Apply a saved plan, or manifests after confirmation.",
        (
            (EXIT_OK, "every version applied"),
            (
                EXIT_ERROR,
                "refused, cancelled, moved since the plan, any version not applied, "
                f"an AWS error, a manifest or plan file problem, or {_USAGE}",
            ),
            *_COMMON,
        ),
    ),
    "drift": (
        "Report where live state differs from the manifests.",
        (
            (EXIT_OK, "in sync; with --accept, every drifted version was pinned"),
            (
                EXIT_ERROR,
                "an error: a manifest problem, an AWS error, a warning with --strict, a manifest --accept "
                f"cannot edit, or {_USAGE}",
            ),
            (EXIT_CHANGES, "drift found (with --accept: drift no pin can describe is left)"),
            *_COMMON,
        ),
    ),
    "import": (
        "Write a repository's live state as a manifest.",
        (
            (EXIT_OK, "the manifest was written"),
            (EXIT_ERROR, f"an error: an AWS error, an output file that cannot be written, or {_USAGE}"),
            *_COMMON,
        ),
    ),
    "local": (
        "Run and seed the local CodeArtifact service.",
        ((EXIT_OK, "success"), (EXIT_ERROR, f"an error, or {_USAGE}"), *_COMMON),
    ),
    "local serve": (
        "Serve the CodeArtifact API over HTTP until stopped.",
        (
            (EXIT_OK, "stopped by Ctrl-C or SIGTERM, its normal end"),
            (
                EXIT_ERROR,
                f"cannot listen, cannot open the database, an invalid seed file, or {_USAGE}",
            ),
            *_STOPPED,
        ),
    ),
    "local seed": (
        "Load a seed file into a local database.",
        (
            (EXIT_OK, "seeded"),
            (EXIT_ERROR, f"an invalid seed file, a database that cannot be opened, or {_USAGE}"),
            *_COMMON,
        ),
    ),
    "local writes": (
        "Print the writes a local service recorded (--record-writes).",
        (
            (EXIT_OK, "printed (nothing, for a database without a record)"),
            (EXIT_ERROR, f"no database, one that cannot be read, or {_USAGE}"),
            *_COMMON,
        ),
    ),
}


def exit_codes_text(codes: tuple[tuple[int, str], ...]) -> str:
    """The "Exit codes:" section of a command's help, a code a line, wrapped here with a hanging indent
    (`\\b` keeps click from joining the lines)."""
    lines: list[str] = []
    for code, meaning in codes:
        lines += textwrap.wrap(meaning, _WIDTH, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
    return "\b\nExit codes:\n" + "\n".join(lines)


def describe_commands(command: click.Command, path: str = "") -> None:
    """Give `command` (the one at `path`, the whole program by default) and every command below it the
    one-line description and the exit codes of `COMMANDS`; a command that has none there stops the
    program at once, so that a new command is described on purpose."""
    short_help, codes = _described(path)
    if path:
        command.short_help = short_help
    command.epilog = exit_codes_text(codes)
    if isinstance(command, click.Group):
        for name, below in command.commands.items():
            describe_commands(below, f"{path} {name}".strip())


def _described(path: str) -> tuple[str, tuple[tuple[int, str], ...]]:
    if path not in COMMANDS:
        raise LookupError(
            f"the command {path!r} has no entry in reconciler.contract.COMMANDS: "
            "give it its one-line description and its exit codes there"
        )
    return COMMANDS[path]
