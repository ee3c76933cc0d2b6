"""Functional tests run against a private copy of a seeded local database, seeded once per module."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, load_seed, seed_service

EXAMPLE_DATA = Path(__file__).parents[2] / "manifests" / "local" / "example-data.yaml"


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example data of manifests/local/, seeded once; a module may override it with its own."""
    path = tmp_path_factory.mktemp("seed") / "example.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, load_seed(EXAMPLE_DATA))
    return path


@pytest.fixture
def db(seeded_once: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded database, so a test may change it freely."""
    path = tmp_path / "codeartifact.db"
    shutil.copy(seeded_once, path)
    return path


def local_seed(*repositories: dict[str, Any]) -> dict[str, Any]:
    """A seed document of one domain, acme, holding `repositories` (`{"name": ..., "packages": [...]}`)."""
    return {
        "apiVersion": "reconciler/v1",
        "kind": "LocalSeed",
        "domains": [{"name": "acme", "repositories": list(repositories)}],
    }


def seeded_file(tmp_path_factory: pytest.TempPathFactory, seed: dict[str, Any]) -> Path:
    """A new database file seeded with `seed`, for a module's `seeded_once` fixture."""
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(seed))
    return path
