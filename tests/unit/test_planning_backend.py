"""Which Regions a run talks to: the manifests' target regions, or --region for those that name
none, never --region contradicting a Region the manifests name."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws.client import Backend
from reconciler.errors import ReconcilerError
from reconciler.models import DesiredState
from reconciler.workflows.regions import in_region, regional
from tests.unit.planning import desired


def _in_regions(*regions: str | None) -> DesiredState:
    """One entry per Region given (None: an entry that names no Region)."""
    entries = []
    for index, region in enumerate(regions):
        state = desired({"format": "npm", "name": f"cli-{index}"})
        entries += [
            type(entry)(
                entry.target.model_copy(update={"region": region}),
                entry.entry,
                entry.origin,
                entry.pin_origins,
            )
            for entry in state.entries
        ]
    state = desired({"format": "npm", "name": "cli"})
    return type(state)(entries=tuple(entries), digest=state.digest, files=state.files)


def test_the_manifests_region_applies_when_the_command_line_names_none() -> None:
    settled, backends = regional(_in_regions("eu-west-1"), Backend())
    assert {key: backend.region for key, backend in backends.items()} == {None: "eu-west-1"}
    # A run of one Region: no entry names it, so plans and views are those of one Region.
    assert [entry.target.region for entry in settled.entries] == [None]


def test_a_region_flag_that_contradicts_the_manifests_is_refused() -> None:
    with pytest.raises(ReconcilerError, match="contradicts"):
        regional(_in_regions("eu-west-1"), Backend(region="us-east-1"))
    with pytest.raises(ReconcilerError, match="contradicts the manifests' target region eu-west-1"):
        regional(_in_regions("us-east-1", "eu-west-1"), Backend(region="us-east-1"))


def test_a_region_flag_that_agrees_with_the_manifests_is_fine() -> None:
    _, backends = regional(_in_regions("eu-west-1", None), Backend(region="eu-west-1"))
    assert {key: backend.region for key, backend in backends.items()} == {None: "eu-west-1"}


def test_the_region_flag_is_the_region_of_manifests_that_name_none() -> None:
    _, backends = regional(_in_regions(None), Backend(region="ap-south-1"))
    assert {key: backend.region for key, backend in backends.items()} == {None: "ap-south-1"}


def test_several_regions_each_have_a_backend_and_every_entry_names_its_region() -> None:
    settled, backends = regional(_in_regions("us-east-1", "eu-west-1", "us-east-1"), Backend(local_db="x.db"))
    assert {key: (backend.region, backend.local_db) for key, backend in backends.items()} == {
        "eu-west-1": ("eu-west-1", "x.db"),
        "us-east-1": ("us-east-1", "x.db"),
    }
    assert [entry.target.region for entry in settled.entries] == ["us-east-1", "eu-west-1", "us-east-1"]
    assert [entry.entry.name for entry in in_region(settled, "us-east-1").entries] == ["cli-0", "cli-2"]


def test_in_several_regions_an_entry_that_names_none_is_in_the_default_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    settled, backends = regional(_in_regions("eu-west-1", None, "us-east-1"), Backend())
    assert sorted(backends, key=str) == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert [entry.target.region for entry in settled.entries] == ["eu-west-1", "ap-south-1", "us-east-1"]


def test_with_one_region_named_the_entries_that_name_none_are_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # As a run of one Region always was: the manifests' Region, not the environment's.
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    settled, backends = regional(_in_regions("eu-west-1", None), Backend())
    assert {key: backend.region for key, backend in backends.items()} == {None: "eu-west-1"}
    assert [entry.target.region for entry in settled.entries] == [None, None]


def test_in_several_regions_an_entry_that_names_none_needs_a_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with pytest.raises(ReconcilerError, match=r"several Regions .* and some name none"):
        regional(_in_regions("eu-west-1", "us-east-1", None), Backend())


def test_in_several_regions_the_local_services_default_region_is_that_of_entries_naming_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    settled, backends = regional(_in_regions("eu-west-1", None, "ap-south-1"), Backend(local_db="x.db"))
    assert sorted(backends, key=str) == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert [entry.target.region for entry in settled.entries] == ["eu-west-1", "us-east-1", "ap-south-1"]
