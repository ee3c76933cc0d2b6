"""What the tests of reads paced at AWS's quotas share: a small repository of PACKAGES x VERSIONS npm
versions in the domain `quota`, repository `store`, and an AWS environment of local credentials with
botocore's retry waits shortened."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import BulkVersion, bulk_load

PACKAGES = 40
VERSIONS = 12
DAY = 86400.0


def seed_store(path: Path, spacing: float) -> Path:
    """PACKAGES packages of VERSIONS versions, one published every `spacing` seconds, the newest now."""
    with LocalCodeArtifact(path) as service:
        now = service.clock()
        bulk_load(
            service,
            "quota",
            "store",
            "npm",
            (
                BulkVersion(f"pkg-{p:02d}", f"1.0.{v}", now - (VERSIONS - v) * spacing)
                for p in range(PACKAGES)
                for v in range(VERSIONS)
            ),
        )
    return path


def local_aws_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        # botocore's waits before a retry, shortened: these tests are about whether throttles reach
        # the user, not about how long AWS asks a client to wait.
        "RECONCILER_RETRY_DELAY_SCALE": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
