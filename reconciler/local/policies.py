"""Put/Get/Delete Domain and Repository permissions policies.

Policies are stored and returned with a revision, as the API documents them, and are NOT enforced:
this service has no IAM, so every caller may do everything whatever a policy says.

The revision is optimistic locking ("This revision is used for optimistic locking, which prevents
others from overwriting your changes", model documentation of `policyRevision`): a Put or Delete
that names a revision other than the current one fails with ConflictException ("prerequisites are
not met") and changes nothing; one that names none always proceeds. A Get or Delete with no policy
is a ResourceNotFoundException; the model's `resourceType` has no value for a policy, so it names
the domain or repository that has none.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.local.arns import domain_arn, repository_arn
from reconciler.local.context import Context, get_domain, get_repository, new_revision
from reconciler.local.errors import ConflictException, ResourceNotFoundException, ValidationException

MAX_POLICY_LENGTH = 7168  # the model's PolicyDocument length limit


def put_domain_permissions_policy(
    ctx: Context,
    *,
    domain: str,
    policy_document: str,
    domain_owner: str | None = None,
    policy_revision: str | None = None,
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner)
    return _put(ctx, owner, domain, "", arn, policy_document, policy_revision)


def get_domain_permissions_policy(
    ctx: Context, *, domain: str, domain_owner: str | None = None
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner)
    return {"policy": _policy(ctx, owner, domain, "", arn)}


def delete_domain_permissions_policy(
    ctx: Context, *, domain: str, domain_owner: str | None = None, policy_revision: str | None = None
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner)
    return _delete(ctx, owner, domain, "", arn, policy_revision)


def put_repository_permissions_policy(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    policy_document: str,
    domain_owner: str | None = None,
    policy_revision: str | None = None,
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner, repository)
    return _put(ctx, owner, domain, repository, arn, policy_document, policy_revision)


def get_repository_permissions_policy(
    ctx: Context, *, domain: str, repository: str, domain_owner: str | None = None
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner, repository)
    return {"policy": _policy(ctx, owner, domain, repository, arn)}


def delete_repository_permissions_policy(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    domain_owner: str | None = None,
    policy_revision: str | None = None,
) -> dict[str, Any]:
    owner, arn = _resource(ctx, domain, domain_owner, repository)
    return _delete(ctx, owner, domain, repository, arn, policy_revision)


def _resource(
    ctx: Context, domain: str, domain_owner: str | None, repository: str | None = None
) -> tuple[str, str]:
    """The owner of the domain and the ARN of the policy's resource: the domain, or one of its
    repositories (which must exist)."""
    owner: str = get_domain(ctx, domain, domain_owner)["owner"]
    if repository is None:
        return owner, domain_arn(ctx, owner, domain)
    get_repository(ctx, domain, owner, repository)
    return owner, repository_arn(ctx, owner, domain, repository)


def check_policy_document(document: str) -> None:
    """A policy is a JSON object with a `Statement` (IAM's policy grammar); the model already holds
    its length to 1..7168 characters of displayable text."""
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ValidationException(f"The policy document is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Statement"), dict | list):
        raise ValidationException("The policy document must be a JSON object with a Statement")
    if not parsed["Statement"]:
        raise ValidationException("The policy document must have at least one statement")


def _put(
    ctx: Context,
    owner: str,
    domain: str,
    repository: str,
    arn: str,
    document: str,
    expected: str | None,
) -> dict[str, Any]:
    check_policy_document(document)
    current = _current(ctx, owner, domain, repository)
    if expected is not None and (current is None or current[0] != expected):
        raise _stale(domain, repository, expected)
    revision = new_revision()
    ctx.conn.execute(
        """INSERT INTO resource_policy (region, domain_owner, domain, repository, revision, document)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (region, domain_owner, domain, repository) DO UPDATE SET revision = excluded.revision,
               document = excluded.document""",
        (ctx.region, owner, domain, repository, revision, document),
    )
    return {"policy": {"resourceArn": arn, "revision": revision, "document": document}}


def _delete(
    ctx: Context, owner: str, domain: str, repository: str, arn: str, expected: str | None
) -> dict[str, Any]:
    policy = _policy(ctx, owner, domain, repository, arn)
    if expected is not None and policy["revision"] != expected:
        raise _stale(domain, repository, expected)
    ctx.conn.execute(
        "DELETE FROM resource_policy WHERE region = ? AND domain_owner = ? AND domain = ? AND repository = ?",
        (ctx.region, owner, domain, repository),
    )
    return {"policy": policy}


def _current(ctx: Context, owner: str, domain: str, repository: str) -> tuple[str, str] | None:
    row = ctx.conn.execute(
        "SELECT revision, document FROM resource_policy WHERE region = ? AND domain_owner = ? AND domain = ? AND repository = ?",
        (ctx.region, owner, domain, repository),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _policy(ctx: Context, owner: str, domain: str, repository: str, arn: str) -> dict[str, str]:
    current = _current(ctx, owner, domain, repository)
    if current is None:
        if repository:
            raise ResourceNotFoundException(
                f"No resource policy is set on repository {repository} in domain {domain}",
                repository,
                "repository",
            )
        raise ResourceNotFoundException(f"No resource policy is set on domain {domain}", domain, "domain")
    return {"resourceArn": arn, "revision": current[0], "document": current[1]}


def _stale(domain: str, repository: str, expected: str) -> ConflictException:
    if repository:
        return ConflictException(
            f"Policy revision {expected} is not the current revision of the policy on repository {repository}",
            repository,
            "repository",
        )
    return ConflictException(
        f"Policy revision {expected} is not the current revision of the policy on domain {domain}",
        domain,
        "domain",
    )
