"""fuzz-manifests: mutated and generated manifests through `validate` and `plan`, in process.

Each trial writes one manifest file: an example of manifests/ mutated one to four times (its text,
its lines, a parsed value, or a YAML form: YAML 1.1 numbers, aliases and alias bombs, tags, merges,
duplicate keys, deep nesting), or a document generated whole from a manifest's keys over any values;
then an encoding (UTF-8 mostly; UTF-16/32, BOMs, Latin-1, invalid UTF-8, cut short). It runs
`validate FILE` and `plan FILE --local DB --no-save` against the example data, seeded once per run.

Invariants:
- `no internal error`: neither run exits 3, raises, or prints a traceback;
- `every problem names FILE:LINE`: a run refused for the manifests' problems names the file and a
  line in every problem;
- `no hang`: each run takes at most `harness.BUDGET_SECONDS` of CPU time (SIGALRM stops one after
  `harness.WALL_FACTOR` times as much wall time);
- `plan writes nothing`: the database's rows are the same after `plan` as before.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.reliability import generators as gen
from tests.reliability.harness import (
    EXAMPLE_MANIFESTS,
    fingerprint,
    internal_error,
    run_cli,
    seeded_database,
    trial_random,
    unplaced_problems,
    where,
)
from tests.reliability.tally import Tally

SUITE = "fuzz-manifests"
INVARIANTS = ["no internal error", "every problem names FILE:LINE", "no hang", "plan writes nothing"]

SNIPPETS = [
    "\t",
    "\x00",
    "\x07",
    "\x1b",
    "\x85",
    "\u2028",
    "\ufeff",
    "&a ",
    "*a",
    "*nope",
    "<<: *a",
    "<<: [*a, 1]",
    "<<: 5",
    "!foo ",
    "!!set ",
    "!!binary ",
    "!!python/object:os.system ",
    "!!python/name:os.system ",
    "!!int ",
    "!!timestamp ",
    "!!bool ",
    "!!float ",
    "!!omap ",
    "!!str ",
    "? [a, b]\n: c",
    "---\n",
    "...\n",
    "%YAML 1.1\n---\n",
    "%YAML 9.9\n---\n",
    "%TAG ! tag:x,2000:\n---\n",
    "[" * 200,
    "{a: " * 150,
    "9" * 5000,
    "2026-13-01",
    "0x",
    "1_0.0",
    ".nan",
    "-.inf",
    '"\\x00"',
    '"\\ud800"',
    "'",
    '"',
    ": ",
    "- ",
    "#",
    "|\n",
    ">-\n",
    "kind: [PackageLifecycle]",
    "kind: {a: 1}",
    "apiVersion: [1]",
    "versions: {1.10: Published}",
    "key: &x [*x]",
]
# Numbers as YAML 1.1 (and 1.2) write them: octal, sexagesimal, hex, binary, underscores, specials.
NUMBER_FORMS = [
    "0o17",
    "017",
    "0x1F",
    "0b101",
    "1_000",
    "1:20",
    "190:20:30",
    "-1:30",
    "1.5e3",
    "1e400",
    "-1e400",
    ".inf",
    "-.Inf",
    ".NaN",
    "+12",
    "-0",
    "9" * 400,
    "0.0000000000000000000000001",
    "1.",
    "1.0.0",
    "1.10",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "~",
    "null",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
]


def _text_mutation(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    what = rng.choice(["insert", "delete", "replace"])
    if what == "delete":
        return text[:at] + text[at + rng.randint(1, 40) :]
    snippet = rng.choice(SNIPPETS) if rng.random() < 0.7 else gen.text(rng, rng.randint(1, 8))
    end = at + (len(snippet) if what == "replace" else 0)
    return text[:at] + snippet + text[end:]


def _line_mutation(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    index = rng.randrange(len(lines))
    what = rng.choice(["duplicate", "indent", "dedent", "drop", "swap", "snippet"])
    if what == "duplicate":  # a duplicate key, when the line is one
        lines.insert(index, lines[index])
    elif what == "indent":
        lines[index] = "  " + lines[index]
    elif what == "dedent":
        lines[index] = lines[index].lstrip(" ")
    elif what == "drop":
        del lines[index]
    elif what == "swap":
        other = rng.randrange(len(lines))
        lines[index], lines[other] = lines[other], lines[index]
    else:
        indent = len(lines[index]) - len(lines[index].lstrip(" "))
        lines.insert(index, " " * indent + rng.choice(SNIPPETS) + "\n")
    return "".join(lines)


def _value_mutation(rng: random.Random, text: str) -> str:
    """One value of one parsed document changed, and the documents written out again."""
    if len(text) > 20_000 or text.count("[") + text.count("{") > 300:
        return text  # PyYAML's scanner is quadratic in flow nesting: such a text would take minutes
    try:
        documents = list(yaml.safe_load_all(text))
        if not documents:
            return text
        index = rng.randrange(len(documents))
        documents[index] = gen.changed(rng, documents[index])
        return yaml.safe_dump_all(documents, allow_unicode=rng.random() < 0.5, sort_keys=False)
    except (Exception, RecursionError):
        # Not YAML PyYAML reads (its constructors raise KeyError, AttributeError, ...): left as it is.
        return text


def _scalar_lines(text: str) -> list[int]:
    """The lines that end in a `key: value` scalar, or are a `- value` list item."""
    found = []
    for index, line in enumerate(text.splitlines()):
        bare = line.split(" #", 1)[0].rstrip()
        if (": " in bare and not bare.endswith(":")) or bare.lstrip().startswith("- "):
            found.append(index)
    return found


def _number_mutation(rng: random.Random, text: str) -> str:
    """A scalar's value replaced by a number as YAML 1.1 writes it (an octal, a sexagesimal, ...)."""
    lines = text.splitlines(keepends=True)
    candidates = _scalar_lines(text)
    if not candidates:
        return text
    index = rng.choice(candidates)
    line = lines[index].rstrip("\n")
    cut = line.rindex(": ") + 2 if ": " in line else line.index("- ") + 2
    lines[index] = line[:cut] + rng.choice(NUMBER_FORMS) + "\n"
    return "".join(lines)


def _alias_mutation(rng: random.Random, text: str) -> str:
    """An anchor on one scalar line and aliases to it elsewhere; or a merge; or an alias bomb."""
    what = rng.choice(["alias", "merge", "bomb", "self"])
    if what == "bomb":
        levels = rng.randint(3, 12)
        bomb = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        bomb += [f"lol{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, levels)]
        return "\n".join(bomb) + "\n" + text
    lines = text.splitlines(keepends=True)
    candidates = _scalar_lines(text)
    if len(candidates) < 2:
        return text
    first, second = sorted(rng.sample(candidates, 2))
    anchored = lines[first].rstrip("\n")
    cut = anchored.rindex(": ") + 2 if ": " in anchored else anchored.index("- ") + 2
    lines[first] = anchored[:cut] + "&a " + anchored[cut:] + "\n"
    other = lines[second].rstrip("\n")
    cut = other.rindex(": ") + 2 if ": " in other else other.index("- ") + 2
    replacement = {"alias": "*a", "merge": "{<<: *a}", "self": "&b [*b]"}[what]
    lines[second] = other[:cut] + replacement + "\n"
    return "".join(lines)


def _tag_mutation(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    candidates = _scalar_lines(text)
    if not candidates:
        return text
    index = rng.choice(candidates)
    line = lines[index].rstrip("\n")
    cut = line.rindex(": ") + 2 if ": " in line else line.index("- ") + 2
    tag = rng.choice(
        [
            *["!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!set", "!!omap", "!!seq"],
            *["!!map", "!!timestamp", "!!python/tuple", "!!python/object/apply:os.system", "!custom"],
            "!<tag:x,2000:y>",
        ]
    )
    lines[index] = f"{line[:cut]}{tag} {line[cut:]}\n"
    return "".join(lines)


def _depth_mutation(rng: random.Random, text: str) -> str:
    """A value nested very deep, in flow or block style."""
    depth = rng.choice([50, 500, 5000, 50_000])
    if rng.random() < 0.5:
        return f"{text}\nextra: {'[' * depth}1{']' * depth}\n"
    depth = min(depth, 2000)  # a block mapping's indentation grows with its depth: kept to 4,000 columns
    return (
        text
        + "\nextra:\n"
        + "".join(f"{'  ' * (n + 1)}k:\n" for n in range(depth))
        + "  " * (depth + 1)
        + "1\n"
    )


MUTATIONS: list[Callable[[random.Random, str], str]] = [
    _text_mutation,
    _line_mutation,
    _value_mutation,
    _value_mutation,
    _number_mutation,
    _alias_mutation,
    _tag_mutation,
    _depth_mutation,
]


def mutated_manifest(rng: random.Random) -> bytes:
    """An example manifest with one to four mutations of its text, values or YAML forms, encoded."""
    text = rng.choice(EXAMPLE_MANIFESTS).read_text()
    for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
        text = rng.choice(MUTATIONS)(rng, text)
    return gen.encoded(rng, text) if rng.random() < 0.4 else text.encode("utf-8", "surrogatepass")


# Values a manifest may well hold, so that a plausible edit often still plans.
PLAUSIBLE = {
    str: [
        "Published",
        "Unlisted",
        "Archived",
        "Disposed",
        "^1.0",
        ">=0",
        "*",
        "2.*",
        "30d",
        "1d",
        "staging",
        "prod",
        "version",
        "published",
        "npm",
        "1.0.0",
        "web-sdk",
    ],
    int: [0, 1, 2, 3, 5, 10, 100],
    bool: [True, False],
}


def plausible_manifest(rng: random.Random) -> bytes:
    """An example manifest with one to three of its scalars replaced by values of the same type, which
    a manifest may hold: many still validate, so `plan` gets to read and decide."""
    text = rng.choice(EXAMPLE_MANIFESTS).read_text()
    documents = list(yaml.safe_load_all(text))
    for _ in range(rng.randint(1, 3)):
        index = rng.randrange(len(documents))
        scalars = [
            path for path in gen.paths(documents[index]) if type(gen.at(documents[index], path)) in PLAUSIBLE
        ]
        if scalars:
            path = rng.choice(scalars)
            pool = PLAUSIBLE[type(gen.at(documents[index], path))]
            documents[index] = gen.replaced(documents[index], path, rng.choice(pool))
    return yaml.safe_dump_all(documents, sort_keys=False).encode()


def generated_manifest(rng: random.Random) -> bytes:
    """A document built whole: some of a manifest's keys, over values that may or may not fit."""

    def maybe(value: object) -> object:
        return value if rng.random() < 0.7 else gen.value(rng)

    header: dict[object, object] = {}
    if rng.random() < 0.9:
        header["apiVersion"] = maybe("reconciler/v1")
    if rng.random() < 0.9:
        header["kind"] = maybe("PackageLifecycle")
    if rng.random() < 0.9:
        header["target"] = maybe({"domain": "acme", "repository": rng.choice(["prod", "staging", "nope"])})
    if rng.random() < 0.9:
        header["packages"] = maybe([_generated_package(rng) for _ in range(rng.randint(0, 3))])
    documents = [header, *[gen.value(rng) for _ in range(rng.choice([0, 0, 0, 1, 2]))]]
    return gen.encoded(rng, yaml.safe_dump_all(documents, allow_unicode=True))


def _generated_package(rng: random.Random) -> dict[object, object]:
    package: dict[object, object] = {
        "format": rng.choice(["npm", "pypi", "maven", "generic", "cargo", "nuget"])
        if rng.random() < 0.8
        else gen.scalar(rng),
        "name": rng.choice(["web-sdk", "acme-data", "deploy-cli", "lodash"])
        if rng.random() < 0.6
        else gen.scalar(rng),
    }
    if rng.random() < 0.4:
        package["namespace"] = (
            rng.choice(["acme", "tools", "com.acme"]) if rng.random() < 0.6 else gen.scalar(rng)
        )
    if rng.random() < 0.5:
        package["versions"] = {
            gen.text(rng, rng.randint(1, 8)): gen.value(rng) for _ in range(rng.randint(0, 3))
        }
    if rng.random() < 0.7:
        package["rules"] = [_generated_rule(rng) for _ in range(rng.randint(0, 3))]
    return package


def _generated_rule(rng: random.Random) -> dict[object, object]:
    keys = ["status", "keep_latest", "older_than", "range", "match", "regex", "copy_from", "by", "x"]
    good = {
        "status": rng.choice(["Published", "Unlisted", "Archived", "Disposed"]),
        "keep_latest": rng.choice([0, 1, 3, -1, 10**30]),
        "older_than": rng.choice(["90d", "1h", "0d", "-5d", "99999999999d"]),
        "range": rng.choice(["^1.0", ">=0", "[1.0,2.0)", "<<<"]),
        "match": rng.choice(["*", "2.*", "["]),
        "regex": rng.choice(["^1\\.", "((.*)*)*x", "(a+)+$", "(", ".*"]),
        "copy_from": rng.choice(["staging", "prod", "npm-proxy", "nope"]),
        "by": rng.choice(["version", "published", "x"]),
        "x": 1,
    }
    chosen = rng.sample(keys, rng.randint(1, 4))
    return {name: good[name] if rng.random() < 0.75 else gen.value(rng) for name in chosen}


def manifest_for(seed: int, trial: int) -> bytes:
    """The manifest file of one trial."""
    rng = trial_random(SUITE, seed, trial)
    pick = rng.random()
    if pick < 0.6:
        return mutated_manifest(rng)
    return plausible_manifest(rng) if pick < 0.8 else generated_manifest(rng)


def run(trials: int, seed: int, tally: Tally) -> None:
    tally.declare(INVARIANTS)
    with tempfile.TemporaryDirectory(prefix="reconciler-fuzz-manifests-") as folder:
        workdir = Path(folder)
        db = seeded_database(workdir)
        before = fingerprint(db)
        path = workdir / "manifest.yaml"
        for trial in range(trials):
            path.write_bytes(manifest_for(seed, trial))
            before = _trial(tally, path, db, before, where(seed, trial))


def _trial(tally: Tally, path: Path, db: Path, before: str, name: str) -> str:
    """One trial's two runs and their checks; returns the database's fingerprint afterwards."""
    for args in (("validate", path), ("plan", path, "--local", db, "--no-save")):
        run = run_cli(*args)
        command = f"{name}: {args[0]}"
        tally.check("no hang", not run.hung, f"{command} took {run.seconds:.1f} s of CPU ({run.wall:.1f} s)")
        if run.result is None:
            continue
        bug = internal_error(run.result)
        tally.check("no internal error", bug is None, f"{command}: {bug}")
        unplaced = unplaced_problems(run.result, path)
        tally.check("every problem names FILE:LINE", not unplaced, f"{command}: {unplaced[:3]}")
    after = fingerprint(db)
    tally.check("plan writes nothing", after == before, f"{name}: the database changed")
    return after
