"""libyaml's loader and the pure-Python one read manifests the same way.

Manifests are read with libyaml (C) when PyYAML has it, for speed on large files, and with PyYAML's
pure-Python loader otherwise, or when libyaml cannot read a stream cleanly. With libyaml, a stream
with no anchor, alias, merge or tagged collection is built straight from its events, any other from
its composed nodes. All three readings must give the same documents, the same lines, and the same
problems at the same FILE:LINE, on every manifest of the repository, every test manifest, and
generated and mutated YAML.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import documents as documents_module
from reconciler.manifest.report import Report
from reconciler.manifest.yamlsource import LineLoader, LoadedDocument, _Composed, _read_with, load_fast

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [
        *ROOT.joinpath("manifests").rglob("*.yaml"),
        *ROOT.joinpath("tests", "data", "manifests").rglob("*.yaml"),
    ]
)

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML is built without libyaml")


def slow(text: str) -> list[LoadedDocument] | str:
    """The pure-Python loader's documents, or its error."""
    loader = LineLoader(text)
    try:
        return list(loader.documents())
    except yaml.YAMLError as exc:
        return f"error: {exc}"
    finally:
        loader.dispose()


def fields(document: LoadedDocument) -> tuple[Any, ...]:
    return (
        document.data,
        document.line,
        document.lines,
        document.problems,
        document.broken,
        document.refused,
    )


def plain_reading(text: str) -> list[LoadedDocument] | str | None:
    """The documents built from libyaml's events, or "composed" when the stream needs the composer."""
    try:
        return _read_with(text, plain=True)
    except _Composed:
        return "composed"


def assert_same_reading(text: str) -> None:
    plain = plain_reading(text)
    if plain != "composed":
        # Built from events or from the composer's nodes: the same documents, or the same refusal.
        nodes = _read_with(text, plain=False)
        assert plain is None or not isinstance(plain, str)
        assert (plain is None) == (nodes is None)
        if plain is not None and nodes is not None:
            assert [fields(document) for document in plain] == [fields(document) for document in nodes]
    fast = load_fast(text)
    if fast is None:
        return  # read again by the pure-Python loader: the same by construction
    reference = slow(text)
    assert not isinstance(reference, str), (
        f"libyaml read a stream the pure-Python loader refuses: {reference}"
    )
    assert [fields(document) for document in fast] == [fields(document) for document in reference]


def problems(path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool) -> list[str]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(documents_module, "load_fast", lambda text: None)
        report = Report()
        list(documents_module.validate_file(str(path), path.read_bytes(), 0, report))
    return report.sorted()


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: str(path.relative_to(ROOT)))
def test_both_loaders_read_every_manifest_and_report_the_same_problems(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    assert_same_reading(text)
    assert problems(path, monkeypatch, fast=True) == problems(path, monkeypatch, fast=False)


def test_a_clean_manifest_is_read_by_libyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    example = ROOT / "manifests" / "prod" / "payments.yaml"
    if not example.exists():
        example = next(path for path in CORPUS if "valid" in path.parts or "prod" in path.parts)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pure-Python loader read a clean manifest")

    monkeypatch.setattr(documents_module, "LineLoader", refuse)
    report = Report()
    assert list(documents_module.validate_file(str(example), example.read_bytes(), 0, report))
    assert report.problems == []


def test_a_stream_libyaml_cannot_read_is_read_again_for_the_pure_python_wording(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("target:\n  domain: acme\n  repository: prod: oops\n")
    assert load_fast(path.read_text()) is None
    found = problems(path, monkeypatch, fast=True)
    assert found == problems(path, monkeypatch, fast=False)
    assert found == [
        f"{path}:3: invalid YAML: mapping values are not allowed here (column 19): quote a value that contains ': '"
    ]


def test_nesting_libyaml_allows_but_manifests_do_not_is_refused_in_the_same_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("packages: " + "[" * 150 + "]" * 150 + "\n")
    found = problems(path, monkeypatch, fast=True)
    assert found == problems(path, monkeypatch, fast=False)
    assert found and "nested deeper than 100 levels" in found[0]


@pytest.mark.parametrize(
    "text",
    [
        'packages:\n  - versions:\n      "1.0": Published\n      "1.0": {status: Archived, x: [1, 2]}\n',
        "packages:\n  - versions:\n      1.10: Published\n      2: Unlisted\n      true: x\n",
        "a: 1\nb: 2026-01-01\nc: !!str 3\nd: !!int 4\ne: ~\nf: 2026-13-01\ng: !!bool maybe\n!!int 5: x\n",
        "---\n---\na: [1, {b: c}]\n---\n- x\n- - y\n",
        "",
        "a: {b: 1, b: {c: 2}}\n",
    ],
)
def test_a_stream_without_anchors_is_built_from_events_as_from_nodes(text: str) -> None:
    plain = plain_reading(text)
    assert isinstance(plain, list)
    assert_same_reading(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "base: &b {status: Published}\nother:\n  <<: *b\n",
        "a: !!map {b: 1}\n",
        "[a, b]: c\n",
        "a: 1\na: &x [1]\nb: *x\n",
        "packages: " + "[" * 101 + "]" * 101 + "\n",
    ],
)
def test_anchors_merges_tagged_collections_and_deep_nesting_are_left_to_the_composer(text: str) -> None:
    assert plain_reading(text) == "composed"
    assert load_fast(text) == _read_with(text, plain=False)
    assert_same_reading(text)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["1.10", "0o17", "1_000", "2026-01-01", "yes", "~", "1e3", ".inf", "0x1F", "12:30:00"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4),
    ),
    max_leaves=20,
)
_INSERTS = st.sampled_from(
    [
        *["\t", ": ", "- ", "&a ", "*a", "<<: ", "!!str ", "'", '"', "{", "[", "#", "\n", "\ufeff", "---\n"],
        *["\r", "\x85", "\u2028", "\x00", "\x7f", "\ud7ff", "\U0001f600", "%YAML 1.1\n", "? ", "|\n", ">-\n"],
        "\\",
    ]
)


@settings(
    max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "300")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    value=_VALUES,
    style=st.sampled_from([None, False, True]),
    edits=st.lists(st.tuples(st.integers(min_value=0), _INSERTS), max_size=3),
)
def test_generated_and_mutated_yaml_reads_the_same_with_both_loaders(
    value: Any, style: bool | None, edits: list[tuple[int, str]]
) -> None:
    text = yaml.safe_dump({"packages": [{"versions": value}]}, default_flow_style=style, allow_unicode=True)
    for position, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at:]
    assert_same_reading(text)


EXAMPLES = [path.read_text() for path in sorted(ROOT.joinpath("manifests").rglob("*.yaml"))]


@settings(
    max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "300")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    example=st.sampled_from(EXAMPLES),
    edits=st.lists(st.tuples(st.integers(min_value=0), _INSERTS), min_size=1, max_size=3),
)
def test_mutated_example_manifests_read_the_same_with_both_loaders(
    example: str, edits: list[tuple[int, str]]
) -> None:
    text = example
    for position, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at:]
    assert_same_reading(text)
