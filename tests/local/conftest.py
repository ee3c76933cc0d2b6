"""Fixtures for the local service's contract tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(params=["client", "http_client"], ids=["in-process", "http"])
def any_client(request: pytest.FixtureRequest) -> Any:
    """The same boto3 client contract, once in process and once over real HTTP."""
    return request.getfixturevalue(request.param)
