"""Bad input of every kind, generated: no run ends in a traceback or in exit 3 ("a bug"), and every
manifest problem names its FILE:LINE.

Manifests are the example manifests of manifests/ mutated (bytes, lines, values, keys, encodings,
YAML's aliases, tags, merges and directives) and documents generated whole; plan files are a real
plan of the examples with any field replaced or removed, truncated, re-encoded or nested. Each goes
through the command line in process (`validate`, `show`, `apply`), so the exit code checked is the
one a user gets.

The run is seeded (hypothesis, derandomized) and bounded: the default keeps it to a few seconds.
RECONCILER_FUZZ_EXAMPLES raises the number of examples of each test for a long run, e.g.
`RECONCILER_FUZZ_EXAMPLES=5000 pytest tests/functional/test_fuzz.py`; RECONCILER_FUZZ_SEED=N runs
another sequence of examples than the default one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
EXAMPLE_MANIFESTS = sorted([*EXAMPLES.glob("prod/*.yaml"), *EXAMPLES.glob("staging/*.yaml")])


def fuzz_settings(default: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis's settings for one fuzz test: `default` examples, derandomized; the environment may
    ask for more examples (RECONCILER_FUZZ_EXAMPLES) or another sequence (RECONCILER_FUZZ_SEED)."""
    examples = int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", default))
    chosen = os.environ.get("RECONCILER_FUZZ_SEED")

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        test = settings(
            max_examples=examples,
            derandomize=chosen is None,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )(test)
        return test if chosen is None else seed(int(chosen))(test)

    return decorate


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """One folder for every example of a module (hypothesis runs a test many times in one fixture)."""
    with tempfile.TemporaryDirectory(prefix="reconciler-fuzz-") as folder:
        yield Path(folder)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def assert_no_bug(result: Result, allowed: tuple[int, ...] = (0, 1)) -> None:
    detail = f"exit {result.exit_code}\n{result.output}"
    assert result.exit_code in allowed, detail
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, detail
    assert "Error: unexpected" not in result.output, detail


_FILE_LINE = re.compile(r"\d+: ")


def assert_problems_have_file_and_line(result: Result, path: Path) -> None:
    """Every problem of a failed `validate` of the one file `path` starts with PATH:LINE:."""
    if result.exit_code == 0:
        return
    header, *problems = result.stderr.splitlines()
    assert re.fullmatch(r"Error: \d+ problems? in the manifests", header), result.stderr
    if problems == [f"no manifest found in {path} (*.yaml and *.yml files of kind PackageLifecycle)"]:
        return  # nothing in the file claims to be a manifest: there is no line to name
    assert problems, result.stderr
    for problem in problems:
        assert problem.startswith(f"{path}:"), result.stderr
        assert _FILE_LINE.match(problem, len(str(path)) + 1), result.stderr


# --- values to put anywhere


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "Published",
            "Disposed",
            "Unfinished",
            "npm",
            "pypi",
            "acme",
            "prod",
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
            "../../etc/passwd",
            "{{",
            "a: b",
            "- x",
            "&a",
            "*a",
            "!tag",
            "1e309",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12) | SCALARS.filter(lambda v: isinstance(v, str)), children, max_size=4
        )
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in a document of dicts and lists, the document itself first."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = replaced(document[head], tuple(rest), value)
    return copy


def removed(document: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return document
    if len(path) == 1:
        copy = dict(document) if isinstance(document, dict) else list(document)
        del copy[path[0]]
        return copy
    return replaced(document, path[:1], removed(document[path[0]], path[1:]))


# --- manifests


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
    "!foo ",
    "!!set ",
    "!!binary ",
    "!!python/object:os.system ",
    "!!int ",
    "!!timestamp ",
    "!!bool ",
    "!!float ",
    "!!omap ",
    "? [a, b]\n: c",
    "---\n",
    "...\n",
    "%YAML 1.1\n---\n",
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


@st.composite
def mutated_manifest(draw: st.DrawFn) -> bytes:
    """An example manifest with a few mutations of its text, values or encoding."""
    text = draw(st.sampled_from(EXAMPLE_MANIFESTS)).read_text()
    for _ in range(draw(st.integers(1, 3))):
        text = draw(st.sampled_from([_text_mutation, _value_mutation, _line_mutation]))(draw, text)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cut"]))
    if encoding == "cut":
        raw = text.encode("utf-8", "surrogatepass")
        return raw[: draw(st.integers(0, len(raw)))]
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")


def _text_mutation(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    what = draw(st.sampled_from(["insert", "delete", "replace"]))
    if what == "delete":
        return text[:at] + text[at + draw(st.integers(1, 40)) :]
    snippet = draw(st.sampled_from(SNIPPETS) | st.text(min_size=1, max_size=8))
    end = at + (len(snippet) if what == "replace" else 0)
    return text[:at] + snippet + text[end:]


def _line_mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    index = draw(st.integers(0, len(lines) - 1))
    what = draw(st.sampled_from(["duplicate", "indent", "dedent", "drop", "swap", "snippet"]))
    if what == "duplicate":
        lines.insert(index, lines[index])
    elif what == "indent":
        lines[index] = "  " + lines[index]
    elif what == "dedent":
        lines[index] = lines[index].lstrip(" ")
    elif what == "drop":
        del lines[index]
    elif what == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    else:
        indent = len(lines[index]) - len(lines[index].lstrip(" "))
        lines.insert(index, " " * indent + draw(st.sampled_from(SNIPPETS)) + "\n")
    return "".join(lines)


def _value_mutation(draw: st.DrawFn, text: str) -> str:
    """Replace or remove one value of one parsed document, or add a key, and write them out again."""
    try:
        documents = list(yaml.safe_load_all(text))
        if not documents:
            return text
        index = draw(st.integers(0, len(documents) - 1))
        documents[index] = _changed(draw, documents[index])
        return yaml.safe_dump_all(documents, allow_unicode=draw(st.booleans()), sort_keys=False)
    except (Exception, RecursionError):
        # Not YAML PyYAML reads (its constructors raise KeyError, AttributeError, ...): left as it is.
        return text


def _changed(draw: st.DrawFn, document: Any) -> Any:
    where = draw(st.sampled_from(list(paths(document))))
    what = draw(st.sampled_from(["replace", "remove", "add"]))
    if what == "remove":
        return removed(document, where)
    if what == "add":
        target = _at(document, where)
        if isinstance(target, dict):
            return replaced(document, where, {**target, draw(st.text(max_size=12)): draw(VALUES)})
        return document
    return replaced(document, where, draw(VALUES))


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def generated_manifest(draw: st.DrawFn) -> bytes:
    """A document built whole: a manifest's keys, maybe, over any values."""
    header = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "apiVersion": st.just("reconciler/v1") | VALUES,
                "kind": st.just("PackageLifecycle") | VALUES,
                "target": st.fixed_dictionaries({"domain": st.just("acme"), "repository": st.just("prod")})
                | VALUES,
                "packages": st.lists(
                    st.fixed_dictionaries(
                        {
                            "format": st.sampled_from(["npm", "pypi", "maven", "generic"]) | VALUES,
                            "name": SCALARS,
                        },
                        optional={
                            "namespace": SCALARS,
                            "versions": st.dictionaries(st.text(max_size=8), VALUES, max_size=3),
                            "rules": st.lists(
                                st.dictionaries(
                                    st.sampled_from(
                                        [
                                            "status",
                                            "keep_latest",
                                            "older_than",
                                            "range",
                                            "copy_from",
                                            "protect",
                                            "x",
                                        ]
                                    ),
                                    VALUES,
                                    max_size=4,
                                ),
                                max_size=3,
                            ),
                        },
                    ),
                    max_size=3,
                )
                | VALUES,
            },
        )
    )
    documents = [header, *draw(st.lists(VALUES, max_size=2))]
    return yaml.safe_dump_all(documents, allow_unicode=True).encode()


@fuzz_settings(default=200)
@given(content=mutated_manifest() | generated_manifest())
def test_no_manifest_gives_a_traceback_or_exit_3_and_every_problem_names_its_file_and_line(
    workdir: Path, content: bytes
) -> None:
    path = workdir / "manifest.yaml"
    path.write_bytes(content)

    result = run("validate", path)

    assert_no_bug(result)
    assert_problems_have_file_and_line(result, path)


# --- plan files


@pytest.fixture(scope="module")
def planned(seeded_once: Path, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """A database and a plan of the example manifests against it: copies, updates, disposes."""
    db = workdir / "plan.db"
    shutil.copy(seeded_once, db)
    path = workdir / "examples.plan.json"
    result = run("plan", EXAMPLES, "--local", db, "-o", path)
    assert result.exit_code == 0, result.output
    return db, json.loads(path.read_text())


@st.composite
def mutated_plan(draw: st.DrawFn, document: dict[str, Any]) -> bytes:
    """The plan with one field replaced or removed, or an unknown one added; then maybe re-encoded,
    truncated, flipped at one byte or nested."""
    where = draw(st.sampled_from(list(paths(document))))
    what = draw(st.sampled_from(["replace", "replace", "remove", "add", "keep"]))
    if what == "replace":
        document = replaced(document, where, draw(VALUES))
    elif what == "remove" and where:
        document = removed(document, where)
    elif what == "add" and isinstance(_at(document, where), dict):
        document = replaced(
            document, where, {**_at(document, where), draw(st.text(max_size=8)): draw(VALUES)}
        )
    text = json.dumps(document, indent=draw(st.sampled_from([None, 2])))
    form = draw(
        st.sampled_from(["plain", "plain", "plain", "utf-16", "latin-1", "cut", "flip", "nest", "bom"])
    )
    raw = text.encode("utf-8", "surrogatepass")
    if form == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if form == "latin-1":
        return text.encode("latin-1", "replace")
    if form == "cut":
        return raw[: draw(st.integers(0, len(raw)))]
    if form == "flip":
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    if form == "nest":
        depth = draw(st.sampled_from([10, 1000, 100_000]))
        return b"[" * depth + raw + b"]" * depth
    if form == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw


@fuzz_settings(default=150)
@given(data=st.data())
def test_no_plan_file_gives_a_traceback_or_exit_3_in_show(
    planned: tuple[Path, dict[str, Any]], workdir: Path, data: st.DataObject
) -> None:
    path = workdir / "mutated.plan.json"
    path.write_bytes(data.draw(mutated_plan(planned[1])))
    view = data.draw(st.sampled_from([[], ["--format", "json"], ["--format", "markdown"], ["--summary"]]))

    assert_no_bug(run("show", path, *view))


@fuzz_settings(default=8)
@given(data=st.data())
def test_no_plan_file_gives_a_traceback_or_exit_3_in_apply(
    planned: tuple[Path, dict[str, Any]], workdir: Path, data: st.DataObject
) -> None:
    db, document = planned
    path = workdir / "mutated-apply.plan.json"
    path.write_bytes(data.draw(mutated_plan(document)))

    assert_no_bug(run("apply", path, "--local", db, "--format", "json"))
