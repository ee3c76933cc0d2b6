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
    warnings: list[str] = []
    by_region = [list(refs) for _, refs in groupby(sorted(targets, key=_region_order), key=_region)]
    # Controls are regional like everything else: one pass per Region, with that Region's client; a
    # Region whose controls may not be read leaves the others checked.
    for regional in by_region:
        try:
            found, spent = publish_controls(
                client_of(regional[0].repository),
                {ref: ref in live.packages for ref in regional},
                max_workers,
            )
        except AwsError as error:
            if error.code != "AccessDeniedException":
                raise
            # A caller that may plan and copy but not read origin controls still gets its plan; the
            # reviewer is told what was not checked and which permissions would check it.
            region = regional[0].repository.region
            where = f" in {region}" if len(by_region) > 1 and region else ""
            warnings.append(
                f"the origin controls of the packages this plan copies into{where} were not checked "
                f"({error.message}): grant {', '.join(PERMISSIONS)} to check them at plan time"
            )
            continue
        controls.update(found)
        calls.update(spent)
    if warnings:
        plan = dataclasses.replace(plan, warnings=(*plan.warnings, *warnings))
    counted = Counter(plan.api_calls)
    counted.update(calls)
    checked = dataclasses.replace(plan, api_calls=dict(sorted(counted.items())))
    return with_copy_refusals(checked, desired, live, controls)


def _region(ref: PackageRef) -> str:
    return ref.repository.region or ""


def _region_order(ref: PackageRef) -> tuple[str, tuple[str, ...]]:
    return (_region(ref), ref.sort_key())
