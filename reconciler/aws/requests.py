"""The one home of CodeArtifact request parameters: identities and actions as boto3 keyword arguments."""

from __future__ import annotations

from typing import Any

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.plan import Action, ActionKind


def domain_params(domain: str, domain_owner: str | None) -> dict[str, str]:
    params = {"domain": domain}
    if domain_owner:
        params["domainOwner"] = domain_owner
    return params


def repository_params(repository: RepositoryRef) -> dict[str, str]:
    return {**domain_params(repository.domain, repository.domain_owner), "repository": repository.repository}


def package_params(ref: PackageRef, *, repository_key: str = "repository") -> dict[str, str]:
    """The package's parameters; `repository_key` names the repository parameter (a copy's is
    `destinationRepository`)."""
    params = domain_params(ref.repository.domain, ref.repository.domain_owner)
    params[repository_key] = ref.repository.repository
    params["format"] = ref.format.value
    params["package"] = ref.package
    if ref.namespace:
        params["namespace"] = ref.namespace
    return params


def action_request(action: Action) -> dict[str, Any]:
    """The exact keyword arguments of the boto3 call an action makes."""
    revisions = {change.version: change.prior_revision for change in action.versions}
    if action.kind is ActionKind.COPY:
        params: dict[str, Any] = package_params(action.package, repository_key="destinationRepository")
        params.update(
            sourceRepository=action.source_repository,
            versionRevisions=revisions,
            allowOverwrite=action.allow_overwrite,
            includeFromUpstream=action.include_from_upstream,
        )
        return params
    params = dict[str, Any](package_params(action.package))
    params["versions"] = [change.version for change in action.versions]
    if action.kind is not ActionKind.DELETE:
        # DeletePackageVersions takes no versionRevisions: its one guard is expectedStatus (and apply
        # compares each version's revision with the plan's when it reads the packages again).
        params["versionRevisions"] = revisions
    params["expectedStatus"] = action.expected_status.value
    if action.kind is ActionKind.UPDATE_STATUS:
        params["targetStatus"] = action.target_status.value
    return params
