"""The wording of validation problems in user files: `field.path: message`, one line a problem.

Every reader of a user file validates it with pydantic at the file's edge and words what pydantic
finds here, so that a manifest, and any other file a person writes, names a wrong key and a wrong
value the same way. A reader turns each error of a `ValidationError` into its key path
(`error_path`) and its message (`humanize`), then prefixes the path with where it was written (file
and line, which only the reader knows). What a kind of file knows about its own keys (which model
holds the keys at a path, what a value at a path must be, what a string pattern means) comes in as
a `Vocabulary`.

`problem_lines` is the plainer wording of files people do not write by hand (a saved plan): pydantic's
own message after the dotted location.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.models import ERROR_AT

# A key's or item's place in a document: ("packages", 0, "rules", 2, "keep_latest").
KeyPath = tuple[str | int, ...]


def _no_model(path: KeyPath) -> type[BaseModel] | None:
    return None


def _no_expectation(kind: str, loc: KeyPath) -> str | None:
    return None


@dataclass(frozen=True)
class Vocabulary:
    """What one kind of user file adds to the common wording of its problems."""

    # The model whose fields are the keys allowed at a path, to suggest the key meant by an unknown one.
    model_at: Callable[[KeyPath], type[BaseModel] | None] = _no_model
    # What the value at a path must be, for the pydantic error type `kind`, where the general words
    # ("a list", "a mapping") would mislead; None keeps the general words.
    expected_at: Callable[[str, KeyPath], str | None] = _no_expectation
    # What each string pattern means (a regex reads badly in a message).
    pattern_hints: Mapping[str, str] = field(default_factory=dict)


PLAIN = Vocabulary()

_EXPECTED_TYPE = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
# Values longer than these are shown by their start and size: a message is one line.
_LONG_NUMBER_BITS = 128
_LONG_TEXT = 120
# A status CodeArtifact gives versions but that nobody can set: naming it is no typo to correct.
_UNDECLARABLE = ("unfinished",)


def render_path(path: KeyPath) -> str:
    """`("packages", 0, "versions", "2.3.1")` -> `packages[0].versions["2.3.1"]`; a key that is not
    plain (empty, with spaces, dots, brackets, quotes or characters that cannot be printed) is quoted
    too, so that a problem stays one line and names its key unambiguously."""
    text = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
        elif (position > 0 and path[position - 1] == "versions") or not _is_plain(part):
            text += f"[{quoted(part)}]"
        else:
            text += f".{part}" if text else part
    return text or "document"


# A key written as it is in a path: printable, without whitespace or what a path uses itself.
_PLAIN_KEY = re.compile(r"[^\s.\[\]\"'\\]+")


def _is_plain(key: str) -> bool:
    return bool(_PLAIN_KEY.fullmatch(key)) and key.isprintable()


def quoted(text: str) -> str:
    """`text` in double quotes, with quotes, backslashes and what cannot be printed escaped as in JSON
    (a raw line break would split the one line a problem is)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else json.dumps(c)[1:-1] for c in text) + '"'


def describe(value: Any) -> str:
    """A value as a message shows it: 'Publishd', the number 1.1, a list, nothing."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > _LONG_NUMBER_BITS:
        return f"a number of {len(str(abs(value)))} digits"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str) and len(value) > _LONG_TEXT:
        return f"{value[: _LONG_TEXT - 20]!r}... ({len(value)} characters)"
    return repr(value)


def error_path(error: Any) -> KeyPath:
    """The key path of a pydantic error: its `loc` without pydantic's `[key]` markers, followed by the
    key a validator named below it (`ERROR_AT` errors)."""
    loc: KeyPath = tuple(part for part in error["loc"] if part != "[key]")
    if error["type"] == ERROR_AT:
        loc = (*loc, *error["ctx"]["at"])
    return loc


def humanize(error: Any, loc: KeyPath, vocabulary: Vocabulary = PLAIN) -> str:
    """The message of one pydantic error at `loc`, in words a person can act on."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == ERROR_AT:
        return str(ctx["message"])
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return unknown_key(loc, vocabulary)
    if kind in ("literal_error", "enum"):
        return expected_one_of(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))), value)
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in vocabulary.pattern_hints:
        return f"expected {vocabulary.pattern_hints[ctx['pattern']]}, got {describe(value)}"
    if kind in _EXPECTED_TYPE:
        expected = vocabulary.expected_at(kind, loc) or _EXPECTED_TYPE[kind]
        hint = "; quote it" if kind == "string_type" and isinstance(value, int | float | dt.date) else ""
        return f"expected {expected}, got {describe(value)}{hint}"
    return str(error["msg"])


def expected_one_of(choices: list[str], value: Any) -> str:
    """A value that is not one of `choices`, with the choice probably meant."""
    text = f"expected {choices[0]}" if len(choices) == 1 else f"expected one of {', '.join(choices)}"
    text += f", got {describe(value)}"
    if not isinstance(value, str):
        return text
    if value.lower() in _UNDECLARABLE:
        return f"{text} ({value.capitalize()} cannot be declared)"
    close = [choice for choice in choices if choice.lower() == value.lower()]
    close = close or difflib.get_close_matches(value, choices, n=1, cutoff=0.75)
    return f"{text} (did you mean {close[0]}?)" if close else text


def unknown_key(loc: KeyPath, vocabulary: Vocabulary = PLAIN) -> str:
    """A key its model does not have, with the key probably meant or else the keys there are."""
    model = vocabulary.model_at(loc[:-1])
    if model is None:
        return "unknown key"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]}?)"
    return f"unknown key; the keys here are {', '.join(allowed)}"


def problem_lines(exc: ValidationError) -> list[str]:
    """Every error of `exc` as `loc.joined: pydantic's message`: the wording of a file a program
    wrote (a saved plan), where the location is for the bug report rather than for an edit."""
    return [
        f"{'.'.join(str(part) for part in error['loc'])}: {_plan_message(error)}" for error in exc.errors()
    ]


def _plan_message(error: Any) -> str:
    # pydantic names its model where an object was expected ("a valid dictionary or instance of
    # _Problem"): a name of the code, not of the file.
    if error["type"] in ("model_type", "dataclass_type"):
        return "Input should be a JSON object"
    return str(error["msg"])
