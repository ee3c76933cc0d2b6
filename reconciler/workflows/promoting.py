"""After planning: hold the plan's copies to the origin controls of the packages they copy into.

A plan without copies makes no call here. Otherwise the target packages' controls are read
(`aws.origin`, counted in the plan's calls like every read) and `promotion` turns each copy they
would refuse into a plan error.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from itertools import groupby
from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.aws.origin import publish_controls
from reconciler.errors import AwsError
from reconciler.models import DesiredState
from reconciler.origincontrols import PublishControls
from reconciler.plan import Plan
from reconciler.promotion import copy_targets, with_copy_refusals
from reconciler.state import LiveState

PERMISSIONS = (
    "codeartifact:DescribePackage",
    "codeartifact:GetAssociatedPackageGroup",
    "codeartifact:ListAllowedRepositoriesForGroup",
)


def check_copies(
    client_of: Callable[[RepositoryRef], Any],
    plan: Plan,
    desired: DesiredState,
    live: LiveState,
    max_workers: int = 8,
) -> Plan:
    """`plan` with an error for every copy the target's origin controls would refuse; each package's
    controls are read with the client of its repository's Region (`client_of`)."""
    targets = copy_targets(plan)
    if not targets:
        return plan
    controls: dict[PackageRef, PublishControls] = {}
    calls: Counter[str] = Counter()
    try:
        # Controls are regional like everything else: one pass per Region, with that Region's client.
        for _, refs in groupby(sorted(targets, key=_region_order), key=lambda ref: ref.repository.region):
            regional = list(refs)
            found, spent = publish_controls(
                client_of(regional[0].repository),
                {ref: ref in live.packages for ref in regional},
                max_workers,
            )
            controls.update(found)
            calls.update(spent)
    except AwsError as error:
        if error.code != "AccessDeniedException":
            raise
        # A caller that may plan and copy but not read origin controls still gets its plan; the
        # reviewer is told what was not checked and which permissions would check it.
        warning = (
            f"the origin controls of the packages this plan copies into were not checked ({error.message}): "
            f"grant {', '.join(PERMISSIONS)} to check them at plan time"
        )
        return dataclasses.replace(plan, warnings=(*plan.warnings, warning))
    counted = Counter(plan.api_calls)
    counted.update(calls)
    checked = dataclasses.replace(plan, api_calls=dict(sorted(counted.items())))
    return with_copy_refusals(checked, desired, live, controls)


def _region_order(ref: PackageRef) -> tuple[str, tuple[str, ...]]:
    return (ref.repository.region or "", ref.sort_key())
