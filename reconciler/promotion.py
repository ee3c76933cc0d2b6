"""Copies that origin controls would refuse, as plan errors: promotion that respects origin controls.

A copy writes new versions into the target repository, so it is held to what keeps versions from
being published there: the target package's own `publish` restriction in that repository, and its
package group's effective PUBLISH setting for that repository (BLOCK, or ALLOW_SPECIFIC_REPOSITORIES
without the repository in the list of the group the setting comes from, or a package associated
with its group only weakly), BLOCK from either winning. docs/manifest.md ("Origin controls and
copies") gives the sources. Each copied version of a refused package is an error naming what
refuses it and how to change it, placed at the pin or entry that asked for the copy, so the plan
cannot be applied until the control or the manifests change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from reconciler.addresses import PackageRef
from reconciler.models import DeclaredEntry, DesiredState
from reconciler.origincontrols import (
    ALLOW_SPECIFIC_REPOSITORIES,
    BLOCK,
    INHERIT,
    WEAK,
    PublishControls,
)
from reconciler.plan import ActionKind, Plan, VersionProblem
from reconciler.scope import resolve_entries
from reconciler.state import LiveState


def copy_targets(plan: Plan) -> set[PackageRef]:
    """The packages a plan copies versions into."""
    return {action.package for action in plan.actions if action.kind is ActionKind.COPY}


def refusals(controls: PublishControls) -> list[str]:
    """What refuses new versions of the package in its repository, each with how to change it
    (empty: nothing does)."""
    ref = controls.package
    repository = ref.repository.repository
    found = []
    own = controls.own
    if own is not None and own.publish == BLOCK:
        found.append(
            f"the package's origin configuration in {repository} (publish: BLOCK); to allow it: "
            f"aws codeartifact put-package-origin-configuration {_domain_options(ref)} "
            f"--repository {repository} {_package_options(ref)} "
            f"--restrictions publish=ALLOW,upstream={own.upstream}"
        )
    group = controls.group
    if not group.allows(repository):
        found.append(_group_refusal(controls))
    return found


def _group_refusal(controls: PublishControls) -> str:
    ref, group = controls.package, controls.group
    repository = ref.repository.repository
    update = f"aws codeartifact update-package-group-origin-configuration {_domain_options(ref)}"
    add = f"--add-allowed-repositories originRestrictionType=PUBLISH,repositoryName={repository}"
    if group.association == WEAK:
        exact = f"/{ref.format.value}/{ref.namespace or ''}/{ref.package}$"
        return (
            f"package group {group.pattern}, of which the package is only a variation (a weak match), "
            f"which blocks every origin; to allow it: create a package group for its exact name "
            f"(aws codeartifact create-package-group {_domain_options(ref)} --package-group '{exact}') "
            "and allow publishing there"
        )
    inherited = f", inherited from {group.source}" if group.mode == INHERIT else ""
    if group.effective_mode == ALLOW_SPECIFIC_REPOSITORIES:
        return (
            f"package group {group.pattern} (PUBLISH: ALLOW_SPECIFIC_REPOSITORIES{inherited}, "
            f"{repository} not among the allowed repositories); to allow it: "
            f"{update} --package-group '{group.source}' {add}"
        )
    return (
        f"package group {group.pattern} (PUBLISH: {group.effective_mode}{inherited}); to allow it "
        f"in {repository} only: {update} --package-group '{group.pattern}' "
        f"--restrictions PUBLISH={ALLOW_SPECIFIC_REPOSITORIES} {add}"
    )


def _domain_options(ref: PackageRef) -> str:
    # In a run of several Regions the repository names its Region: the command must reach that
    # Region's domain, not the one the shell's AWS configuration points at.
    region, owner = ref.repository.region, ref.repository.domain_owner
    return (
        (f"--region {region} " if region else "")
        + f"--domain {ref.repository.domain}"
        + (f" --domain-owner {owner}" if owner else "")
    )


def _package_options(ref: PackageRef) -> str:
    namespace = f"--namespace {ref.namespace} " if ref.namespace else ""
    return f"--format {ref.format.value} {namespace}--package {ref.package}"


def with_copy_refusals(
    plan: Plan, desired: DesiredState, live: LiveState, controls: Mapping[PackageRef, PublishControls]
) -> Plan:
    """`plan` with an error for each version it copies into a package whose origin controls refuse
    new versions (the copies stay in the plan, as for `protect`: an error makes it unappliable)."""
    refused = {ref: found for ref, found in ((r, refusals(c)) for r, c in controls.items()) if found}
    if not refused:
        return plan
    entries = _entries(desired, live, set(refused))
    errors = []
    for action in plan.actions:
        found = refused.get(action.package) if action.kind is ActionKind.COPY else None
        if found is None:
            continue
        declared = entries.get(action.package)
        message = (
            f"refused: copy from {action.source_repository} into {action.package.repository.repository} "
            f"is blocked by origin controls: {'; and '.join(found)}"
        )
        for change in action.versions:
            origin = (
                str(declared.pin_origins.get(change.version, declared.origin))
                if declared is not None
                else change.reason
            )
            errors.append(VersionProblem(action.package, change.version, message, origin))
    all_errors = (*plan.errors, *errors)
    return dataclasses.replace(
        plan, errors=all_errors, summary=dataclasses.replace(plan.summary, errors=len(all_errors))
    )


def _entries(
    desired: DesiredState, live: LiveState, refs: set[PackageRef]
) -> dict[PackageRef, DeclaredEntry]:
    """The entry that declares each of `refs` (where its errors are placed)."""
    return {
        item.ref: item.declared for item in resolve_entries(desired, live.package_names) if item.ref in refs
    }
