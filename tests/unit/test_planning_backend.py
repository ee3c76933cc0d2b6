"""Which Region a run talks to: the manifests' target region, or --region, never both disagreeing."""

from __future__ import annotations

import pytest

from reconciler.aws.client import Backend
from reconciler.errors import ReconcilerError
from reconciler.workflows.planning import backend_for
from tests.unit.planning import desired


def _in_region(region: str) -> object:
    state = desired({"format": "npm", "name": "cli"})
    entries = tuple(
        type(entry)(
            entry.target.model_copy(update={"region": region}), entry.entry, entry.origin, entry.pin_origins
        )
        for entry in state.entries
    )
    return type(state)(entries=entries, digest=state.digest, files=state.files)


def test_the_manifests_region_applies_when_the_command_line_names_none() -> None:
    assert backend_for(_in_region("eu-west-1"), Backend()).region == "eu-west-1"  # type: ignore[arg-type]


def test_a_region_flag_that_contradicts_the_manifests_is_refused() -> None:
    with pytest.raises(ReconcilerError, match="contradicts"):
        backend_for(_in_region("eu-west-1"), Backend(region="us-east-1"))  # type: ignore[arg-type]


def test_a_region_flag_that_agrees_with_the_manifests_is_fine() -> None:
    assert backend_for(_in_region("eu-west-1"), Backend(region="eu-west-1")).region == "eu-west-1"  # type: ignore[arg-type]
