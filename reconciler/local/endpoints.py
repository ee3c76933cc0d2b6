"""GetAuthorizationToken and GetRepositoryEndpoint.

Tokens are issued as AWS documents them (a token and its expiration) but nothing checks them: this
service has no package-manager endpoints and no IAM. Repository endpoints are URLs of this server
in AWS's shape, with the domain's host label moved into the path: AWS answers
`https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/FORMAT/REPOSITORY/`; this service
answers `SCHEME://HOST/DOMAIN-OWNER/FORMAT/REPOSITORY/`, with the scheme and Host the request came
in with (in process: the client's endpoint URL).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from reconciler.local.context import Context, get_domain, get_repository
from reconciler.local.errors import ValidationException

# "Valid values are 0 and any number between 900 (15 minutes) and 43200 (12 hours)" (model
# documentation of durationSeconds); 12 hours is also the documented lifetime of a `login` token.
MIN_DURATION = 900
DEFAULT_DURATION = 43200


def get_authorization_token(
    ctx: Context, *, domain: str, domain_owner: str | None = None, duration_seconds: int | None = None
) -> dict[str, Any]:
    row = get_domain(ctx, domain, domain_owner)
    if duration_seconds is not None and 0 < duration_seconds < MIN_DURATION:
        raise ValidationException(
            f"Value '{duration_seconds}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must be 0 or between {MIN_DURATION} and {DEFAULT_DURATION}"
        )
    # 0 means "the expiration of the caller's temporary credentials"; this service's callers have
    # none with a known expiry, so 0 gets the default lifetime.
    lifetime = duration_seconds or DEFAULT_DURATION
    expiration = ctx.clock() + lifetime
    claims = {"ver": 1, "domain": row["name"], "owner": row["owner"], "exp": int(expiration)}
    token = (
        base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        + "."
        + secrets.token_urlsafe(32)
    )
    return {"authorizationToken": token, "expiration": expiration}


def get_repository_endpoint(
    ctx: Context,
    *,
    domain: str,
    repository: str,
    format: str,
    domain_owner: str | None = None,
    endpoint_type: str | None = None,
) -> dict[str, Any]:
    """`endpointType` (ipv4 or dualstack, checked against the model's enum) selects between two AWS
    host names; this server has one address, so both get the same URL."""
    owner = get_domain(ctx, domain, domain_owner)["owner"]
    row = get_repository(ctx, domain, owner, repository)
    return {"repositoryEndpoint": f"{ctx.base_url}/{domain}-{owner}/{format}/{row['name']}/"}
