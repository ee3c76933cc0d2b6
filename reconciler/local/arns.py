"""CodeArtifact ARNs: built from a domain's owner (never the caller's account), and read back.

AWS's ARN formats (CodeArtifact user guide, "AWS CodeArtifact permissions reference" / resource
types): `arn:aws:codeartifact:REGION:OWNER:domain/DOMAIN`,
`.../repository/DOMAIN/REPOSITORY` and `.../package-group/DOMAIN/PATTERN` (the pattern itself
contains slashes, e.g. `/npm/@acme/*`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.local.context import Context
from reconciler.local.errors import ValidationException

_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):codeartifact:(?P<region>[a-z0-9-]+):(?P<owner>[0-9]{12}):"
    r"(?P<type>[a-z-]+)/(?P<rest>.+)"
)


def domain_arn(ctx: Context, owner: str, domain: str) -> str:
    return f"arn:aws:codeartifact:{ctx.region}:{owner}:domain/{domain}"


def repository_arn(ctx: Context, owner: str, domain: str, repository: str) -> str:
    return f"arn:aws:codeartifact:{ctx.region}:{owner}:repository/{domain}/{repository}"


@dataclass(frozen=True)
class ResourceName:
    """A CodeArtifact ARN taken apart: `path` is what follows `TYPE/` (e.g. `acme/staging`)."""

    arn: str
    region: str
    owner: str
    type: str
    path: str


def parse_arn(arn: str) -> ResourceName:
    """Read a CodeArtifact ARN; anything else is a `ValidationException`, as the ARN cannot name
    a CodeArtifact resource at all."""
    match = _ARN.fullmatch(arn)
    if match is None:
        raise ValidationException(f"Invalid ARN: {arn} is not the ARN of a CodeArtifact resource")
    return ResourceName(arn, match["region"], match["owner"], match["type"], match["rest"])
