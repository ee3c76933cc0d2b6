"""Values, documents and bytes to fuzz with, drawn from a `random.Random`.

Every generator takes the trial's own random source (`harness.trial_random`), so a trial is a
function of (seed, trial) alone and runs again by itself. Hypothesis would shrink a failing example,
but it draws each example from the state its earlier examples left, so trial 7,312 of a long run can
only be replayed by replaying the 7,311 before it; a violation here names its seed and trial instead,
and its detail shows the input.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

# --- values to put anywhere

STRINGS = [
    "",
    "Published",
    "Unlisted",
    "Archived",
    "Disposed",
    "Unfinished",
    "Deleted",
    "npm",
    "pypi",
    "maven",
    "acme",
    "prod",
    "staging",
    "1.0.0",
    "^1.2",
    ">=1,<2",
    "*",
    "90d",
    "99999999999d",
    "-1d",
    "a" * 300,
    "\x00",
    "\x1b[31m",
    "caf\u00e9",
    "\u2028",
    "\ud7ff",
    "\U0001f600",
    "\u202e",
    "../../etc/passwd",
    "{{",
    "a: b",
    "- x",
    "&a",
    "*a",
    "!tag",
    "1e309",
    "((.*)*)*x",
    "(a+)+$",
    "[",
]
NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**18,
    10**60,
    10**4000,
    0.5,
    -0.0,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    True,
    False,
]


def scalar(rng: random.Random) -> Any:
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(STRINGS)
    if pick < 0.55:
        return rng.choice(NUMBERS)
    if pick < 0.65:
        return rng.randint(-(10**6), 10**6)
    if pick < 0.72:
        return None
    return text(rng, rng.randint(0, 20))


def text(rng: random.Random, size: int) -> str:
    """`size` characters, from ASCII mostly, else anywhere in Unicode (surrogates included)."""
    return "".join(
        chr(rng.randint(32, 126)) if rng.random() < 0.8 else chr(rng.randint(0, 0x10FFFF))
        for _ in range(size)
    )


def value(rng: random.Random, depth: int = 0) -> Any:
    """A scalar, or a list or mapping of values, at most a few levels deep."""
    pick = rng.random()
    if depth >= 3 or pick < 0.6:
        return scalar(rng)
    if pick < 0.8:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {key(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def key(rng: random.Random) -> Any:
    return rng.choice(STRINGS) if rng.random() < 0.5 else text(rng, rng.randint(0, 12))


# --- documents of dicts and lists

MAX_PATHS = 2000


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in a document of dicts and lists, the document itself first."""
    yield prefix
    if isinstance(node, dict):
        for name, item in node.items():
            yield from paths(item, (*prefix, name))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from paths(item, (*prefix, index))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def replaced(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    """`document` with the value at `path` replaced by `new` (the document itself is not changed)."""
    if not path:
        return new
    head, *rest = path
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = replaced(document[head], tuple(rest), new)
    return copy


def removed(document: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return document
    if len(path) == 1:
        copy = dict(document) if isinstance(document, dict) else list(document)
        del copy[path[0]]
        return copy
    return replaced(document, path[:1], removed(document[path[0]], path[1:]))


def changed(rng: random.Random, document: Any) -> Any:
    """One value of `document` replaced, removed, retyped or nested, or a key added."""
    # The first paths only: a document of aliases (an alias bomb) has more paths than atoms.
    where = rng.choice(list(itertools.islice(paths(document), MAX_PATHS)))
    what = rng.choice(["replace", "replace", "remove", "add", "retype", "nest"])
    target = at(document, where)
    if what == "remove":
        return removed(document, where)
    if what == "add":
        if isinstance(target, dict):
            return replaced(document, where, {**target, key(rng): value(rng)})
        if isinstance(target, list):
            return replaced(document, where, [*target, value(rng)])
        return document
    if what == "retype":
        return replaced(document, where, retyped(rng, target))
    if what == "nest":
        return replaced(document, where, nested(rng, target, rng.choice([1, 2, 50, 500])))
    return replaced(document, where, value(rng))


def retyped(rng: random.Random, item: Any) -> Any:
    """`item` as another type: a string of it, a number, a list or mapping holding it, null."""
    forms: list[Callable[[], Any]] = [
        lambda: str(item),
        lambda: [item],
        lambda: {"value": item},
        lambda: None,
        lambda: rng.choice(NUMBERS),
        lambda: bool(item),
        lambda: json.dumps(item, default=str),
    ]
    return rng.choice(forms)()


def nested(rng: random.Random, item: Any, depth: int) -> Any:
    for _ in range(depth):
        item = [item] if rng.random() < 0.5 else {"x": item}
    return item


# --- bytes


def encoded(rng: random.Random, content: str) -> bytes:
    """`content` as bytes: UTF-8 mostly, else another encoding, a BOM, invalid UTF-8, or cut short."""
    form = rng.choice(
        ["utf-8"] * 6
        + ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cut", "invalid", "bom-16"]
    )
    raw = content.encode("utf-8", "surrogatepass")
    if form == "cut":
        return raw[: rng.randint(0, len(raw))]
    if form == "invalid":
        bad = rng.choice(
            [b"\xff", b"\xfe\xfe", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
        )
        place = rng.randint(0, len(raw))
        return raw[:place] + bad + raw[place:]
    if form == "bom-16":  # a UTF-16 byte-order mark before UTF-8 text
        return b"\xff\xfe" + raw
    if form.startswith("utf-8"):
        return content.encode(form, "surrogatepass")
    return content.encode(form, "surrogatepass" if form.startswith("utf-") else "replace")
