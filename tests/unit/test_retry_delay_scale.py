"""RECONCILER_RETRY_DELAY_SCALE: every wait before a retry, botocore's and apply's own, scaled down."""

from __future__ import annotations

from pathlib import Path

import botocore.endpoint
import pytest

from reconciler.aws import settings
from reconciler.aws.client import Backend, connect
from reconciler.aws.executor import BotoExecutor
from reconciler.errors import ReconcilerError
from reconciler.local import BackgroundServer, Faults, LocalCodeArtifact


@pytest.mark.parametrize("text", ["0", "-1", "2", "nan", "fast", "inf"])
def test_a_scale_that_is_not_above_0_and_at_most_1_is_a_clear_error(text: str) -> None:
    with pytest.raises(ReconcilerError, match="RECONCILER_RETRY_DELAY_SCALE"):
        settings.retry_delay_scale({"RECONCILER_RETRY_DELAY_SCALE": text})


def test_without_the_variable_waits_are_as_asked() -> None:
    assert settings.retry_delay_scale({}) == 1.0
    assert settings.retry_delay_scale({"RECONCILER_RETRY_DELAY_SCALE": "0.01"}) == 0.01


def test_apply_s_own_backoff_is_scaled_retry_after_included() -> None:
    executor = BotoExecutor(client=None, delay_scale=0.01)
    assert executor._backoff(0, retry_after=1.0) == pytest.approx(0.01)
    assert executor._backoff(12, retry_after=None) <= 20.0 * 0.01


def test_botocore_s_waits_are_scaled_and_its_retries_still_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("RECONCILER_RETRY_DELAY_SCALE", "0.001")
    waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", waits.append)
    # Every request throttled until the fault injector's draws let one through.
    faults = Faults(throttle_rate=0.6, seed=3)
    with (
        LocalCodeArtifact(tmp_path / "db.sqlite", faults=faults) as service,
        BackgroundServer(service) as server,
    ):
        connection = connect(Backend(endpoint_url=server.endpoint_url, region="us-east-1"))
        try:
            for _ in range(5):
                connection.client.list_domains()
        finally:
            connection.close()
    assert waits, "no request was retried: the faults did not bite"
    # Unscaled, a throttle's first wait is up to 1 s (botocore: rand * 1 s * 2**attempt, at most 20 s).
    assert all(0 <= wait <= 20 * 0.001 for wait in waits)
