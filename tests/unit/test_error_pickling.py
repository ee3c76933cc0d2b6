"""Failures cross a process boundary whole (a read in another process, `aws.spread`): every
ReconcilerError subclass pickles to an equal value, whatever its constructor takes."""

from __future__ import annotations

import pickle

import pytest

from reconciler.errors import AwsError, ManifestError, ReconcilerError, StalePlanError


@pytest.mark.parametrize(
    "error",
    [
        ReconcilerError("summary", "what to do"),
        AwsError("AccessDeniedException", "no", "ListPackageVersions", "package"),
        ManifestError(["a.yaml:3: name: missing", "b.yaml:9: status: unknown"]),
        StalePlanError("moved"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_failure_pickles_whole(error: ReconcilerError) -> None:
    error.summary = f"us-east-1: {error.summary}"  # as a run of several Regions rewords it
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert (str(restored), restored.args, vars(restored)) == (str(error), error.args, vars(error))
