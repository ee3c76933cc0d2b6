"""The plan file's canonical text, written by `planfile`'s own writer, is json's own text
(`json.dumps(document, indent=2, sort_keys=True)` and a final newline) byte for byte, for any JSON
value and any plan: the digest is defined over those bytes, and a file written before the writer
existed must keep its digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import planfile
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status
from reconciler.plan import (
    AcceptedVersion,
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.planfile import plan_document, plan_json, read_plan, stream_plan, write_plan


def reference(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


# Any text: quotes, backslashes, control characters and non-ASCII (ensure_ascii escapes them).
text = st.text(st.characters(codec=None), max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_any_json_value_is_written_as_json_writes_it(value: Any) -> None:
    out: list[str] = []
    planfile._encode(value, 0, out)

    assert "".join(out) + "\n" == reference(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0, 1e300, 1.5e-7, 2**70])
def test_numbers_json_writes_specially_are_written_as_json_writes_them(value: float) -> None:
    out: list[str] = []
    planfile._encode({"n": [value]}, 0, out)

    assert "".join(out) + "\n" == reference({"n": [value]})


def test_a_key_that_is_not_text_is_refused_rather_than_written_differently() -> None:
    with pytest.raises(TypeError):
        planfile._encode({1: "one"}, 0, [])


names = st.text(st.characters(codec=None), min_size=1, max_size=8)
statuses = st.sampled_from(list(Status))
packages = st.builds(
    PackageRef,
    st.builds(RepositoryRef, names, names, st.none() | names, st.none()),
    st.sampled_from(list(Format)),
    st.none() | names,
    names,
)
changes = st.builds(VersionChange, names, statuses, text, statuses, text)
actions = st.builds(
    Action,
    st.sampled_from(list(ActionKind)),
    packages,
    statuses,
    statuses,
    st.lists(changes, min_size=1, max_size=5).map(tuple),
    st.none() | names,
    st.booleans(),
    st.booleans(),
)
counts = st.integers(min_value=0, max_value=2**53)
# As plan writes it: ISO 8601 with its UTC offset (a plan file's created_at is read as a time).
times = st.datetimes(timezones=st.just(dt.UTC)).map(lambda moment: moment.isoformat(timespec="seconds"))
plans = st.builds(
    Plan,
    tool_version=names,
    created_at=times,
    evaluated_at=st.floats(min_value=0, max_value=2e9),
    manifest_digest=text,
    manifest_files=st.lists(text, max_size=3).map(tuple),
    targets=st.lists(
        st.builds(TargetIdentity, text, names, st.dictionaries(names, text, max_size=2)),
        min_size=1,
        max_size=2,
    ).map(tuple),
    actions=st.lists(actions, max_size=6).map(tuple),
    summary=st.builds(Summary, counts, counts, counts, counts, counts, counts, counts, counts),
    api_calls=st.dictionaries(names, counts, max_size=3),
    errors=st.lists(st.builds(VersionProblem, packages, names, text, text), max_size=2).map(tuple),
    warnings=st.lists(text, max_size=2).map(tuple),
    package_versions=st.dictionaries(names, counts, max_size=3),
    reclaimed_bytes=st.none() | st.dictionaries(names, counts, max_size=2),
    accepted=st.lists(st.builds(AcceptedVersion, packages, names, statuses, statuses, text), max_size=2).map(
        tuple
    ),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_any_plans_text_is_json_text_of_its_document_and_its_digest_that_texts_sha256(plan: Plan) -> None:
    expected = reference(plan_document(plan))
    written: list[str] = []

    digest = stream_plan(plan, written.append)

    assert plan_json(plan) == expected
    assert "".join(written) == expected
    assert digest == planfile.plan_digest(plan) == hashlib.sha256(expected.encode()).hexdigest()


def test_a_large_plans_text_comes_in_chunks_and_the_file_is_its_text(tmp_path: Path) -> None:
    change = VersionChange("1.0.0", Status.PUBLISHED, "rev", Status.ARCHIVED, "rule 1 at m.yaml:3")
    package = PackageRef(RepositoryRef("d", "r"), Format.NPM, None, "p")
    actions = tuple(
        Action(ActionKind.UPDATE_STATUS, package, Status.PUBLISHED, Status.ARCHIVED, (change,) * 100)
        for _ in range(100)
    )
    plan = Plan(
        "1",
        "2026-01-01T00:00:00Z",
        0.0,
        "m",
        ("m.yaml",),
        (TargetIdentity("e", "us-east-1", {}),),
        actions,
        Summary(to_update=10_000),
        {},
    )
    path = tmp_path / "big.plan.json"

    digest = write_plan(plan, path)
    chunks = list(planfile.plan_chunks(plan))

    assert len(chunks) > 1  # streamed, not made whole first
    assert path.read_text() == reference(plan_document(plan)) == "".join(chunks)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_plan(path) == plan
