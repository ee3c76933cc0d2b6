"""Pins written as a bare status are validated as one shared `Pin` per status: the same models and the
same problems as validating each pin on its own.

An imported manifest is nearly all `"1.2.3": Published` pins; building and checking 100,000 equal
pins one by one was most of pydantic's share of reading one. `documents._with_shared_pins` hands
pydantic the one frozen `Pin` of each status instead (a model instance is taken as it is); these
tests hold that to validating the document as written, on generated and on hand-picked documents.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.manifest.documents import _with_shared_pins
from reconciler.manifest.schema import MANIFEST
from reconciler.models import Manifest
from reconciler.problems import error_path, humanize


def outcome(data: Any) -> Any:
    """The validated manifest, or each problem as the manifest loader words it: its key path and
    message. (pydantic's raw errors carry the entry they are about as their input, where a shared pin
    is an object rather than its status: a mapping either way, which is how a message names it.)"""
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        return [(error_path(error), humanize(error, error_path(error), MANIFEST)) for error in exc.errors()]


def assert_same_outcome(data: dict[str, Any]) -> None:
    assert outcome(_with_shared_pins(data)) == outcome(data)


_PINS = st.one_of(
    st.sampled_from(["Published", "Unlisted", "Archived", "Disposed"]),
    st.sampled_from(["Publishd", "published", "Unfinished", "Deleted", "", "ignore"]),
    st.none(),
    st.integers(),
    st.fixed_dictionaries(
        {"status": st.sampled_from(["Published", "Archived", "Bogus"])},
        optional={"copy_from": st.sampled_from(["staging", "prod", "x"]), "allow_overwrite": st.booleans()},
    ),
    st.lists(st.just("Published"), max_size=2),
)
_VERSIONS = st.dictionaries(
    st.sampled_from(["1.0.0", "1.0.0-RC.1", "1.0.0-rc.1", "2.0", "a b", "#1", "v1", "1.0"]), _PINS, max_size=5
)
_ENTRIES = st.fixed_dictionaries(
    {"format": st.sampled_from(["npm", "pypi", "maven", "generic", "bogus"]), "name": st.just("lib")},
    optional={
        "versions": _VERSIONS | st.sampled_from([None, [], "Published"]),
        "namespace": st.sampled_from(["team", "@team"]),
        "rules": st.just([{"status": "Archived", "older_than": "30d"}]),
        "extra": st.just(1),
    },
)


@settings(
    max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "150")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(packages=st.lists(_ENTRIES | st.sampled_from([None, "x", []]), max_size=4) | st.none())
def test_shared_pins_validate_to_the_same_models_and_errors(packages: Any) -> None:
    data: dict[str, Any] = {
        "apiVersion": "reconciler/v1",
        "kind": "PackageLifecycle",
        "target": {"domain": "acme", "repository": "prod"},
    }
    if packages is not None:
        data["packages"] = packages
    assert_same_outcome(data)


@pytest.mark.parametrize(
    "versions",
    [
        {"1.0.0": "Published", "2.0.0": "Archived"},
        {"1.0.0": "Published", "1.0.0-RC.1": "Published", "1.0.0-rc.1": "Unlisted"},
        {"1.0.0": "Publishd", "2.0.0": "Published"},
        {"1.0.0": {"status": "Published", "copy_from": "prod"}, "2.0.0": "Disposed"},
    ],
)
def test_hand_picked_pins_validate_the_same_shared(versions: dict[str, Any]) -> None:
    data = {
        "apiVersion": "reconciler/v1",
        "kind": "PackageLifecycle",
        "target": {"domain": "acme", "repository": "prod"},
        "packages": [{"format": "npm", "name": "web", "versions": versions}],
    }
    assert_same_outcome(data)


def test_the_document_read_is_left_as_it_was() -> None:
    packages = [{"format": "npm", "name": "web", "versions": {"1.0.0": "Published"}}]
    data = {"packages": packages}
    _with_shared_pins(data)
    assert data == {"packages": [{"format": "npm", "name": "web", "versions": {"1.0.0": "Published"}}]}
