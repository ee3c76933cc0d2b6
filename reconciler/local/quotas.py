"""Every quota and documented limit the local service enforces, as data: one table, each with its source.

`Options` (in `reconciler.local.context`) takes its defaults from here, and `reconciler local serve
--quota NAME=VALUE` overrides any of them, so a test can reach a quota without creating a thousand
repositories. Request-rate quotas are here too; `reconciler.local.faults` enforces them when asked
(`--quotas`), at these rates or the ones `--quota OPERATION=RATE` gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

QUOTAS_PAGE = 'CodeArtifact User Guide, "Quotas in AWS CodeArtifact" (https://docs.aws.amazon.com/codeartifact/latest/ug/service-limits.html)'
MODEL = "botocore's service model for codeartifact (member constraints)"
LIST_VERSIONS_PAGE = 'CodeArtifact User Guide, "List package versions" (https://docs.aws.amazon.com/codeartifact/latest/ug/list-packages-versions.html)'


@dataclass(frozen=True)
class Quota:
    """One limit: its `Options` field name, default, what it bounds, where AWS documents it."""

    name: str
    default: int
    description: str
    source: str


# Resource quotas and request limits, enforced by the operations with ServiceQuotaExceededException
# (resources) or ValidationException (request shapes), as AWS answers each.
QUOTAS: tuple[Quota, ...] = (
    Quota(
        "assets_per_version",
        350,
        "assets per package version (PublishPackageVersion beyond it: ServiceQuotaExceededException)",
        QUOTAS_PAGE + "; the current page says 350 (older copies said 150)",
    ),
    Quota(
        "asset_file_size",
        5 * 1024**3,
        "bytes per asset (PublishPackageVersion beyond it: ServiceQuotaExceededException)",
        QUOTAS_PAGE + ": Asset file size, 5 GB",
    ),
    Quota(
        "domains_per_account",
        10,
        "domains an account owns (CreateDomain beyond it: ServiceQuotaExceededException)",
        QUOTAS_PAGE,
    ),
    Quota(
        "repositories_per_domain",
        1000,
        "repositories in one domain (CreateRepository beyond it: ServiceQuotaExceededException)",
        QUOTAS_PAGE,
    ),
    Quota(
        "direct_upstreams",
        10,
        "direct upstream repositories of one repository (CreateRepository: ValidationException)",
        QUOTAS_PAGE + ": Direct upstreams per repository",
    ),
    Quota(
        "upstreams_searched",
        25,
        "repositories searched through upstreams (CopyPackageVersions with includeFromUpstream)",
        QUOTAS_PAGE + ": Upstream repositories searched",
    ),
    Quota(
        "versions_per_batch",
        100,
        "versions in one Copy/Update/Dispose/Delete call (ValidationException)",
        MODEL + ": PackageVersionList max 100",
    ),
    Quota(
        "default_version_page_size",
        50,
        "ListPackageVersions page size when maxResults is not given",
        LIST_VERSIONS_PAGE + ": its default is 50",
    ),
    Quota(
        "default_page_size",
        100,
        "page size of the other List operations when maxResults is not given",
        "not documented by AWS: a choice of this service (the model allows 1..1000)",
    ),
)

# Request-rate quotas per second and Region, from the same page.
RATE_QUOTAS: dict[str, float] = {
    "CopyPackageVersions": 5.0,
    "GetAuthorizationToken": 40.0,
    "GetPackageVersionAsset": 50.0,
    "ListPackageVersionAssets": 200.0,
    "ListPackageVersions": 200.0,
    "ListPackages": 200.0,
    "PublishPackageVersion": 10.0,
}
ACCOUNT_WRITE_RATE = 100.0
ACCOUNT_READ_RATE = 800.0
# The account-wide rates by the names `--quota` gives them.
ACCOUNT_WRITES = "account_writes"
ACCOUNT_READS = "account_reads"
RATE_DEFAULTS: dict[str, float] = {
    **RATE_QUOTAS,
    ACCOUNT_WRITES: ACCOUNT_WRITE_RATE,
    ACCOUNT_READS: ACCOUNT_READ_RATE,
}

DEFAULTS: dict[str, int] = {quota.name: quota.default for quota in QUOTAS}


class Overrides(NamedTuple):
    """Quotas given on the command line: resource quotas and limits (for `Options`), and request
    rates per second (for `Faults.rates`, in effect with `--quotas`)."""

    limits: dict[str, int]
    rates: dict[str, float]


def parse_overrides(items: Iterable[str]) -> Overrides:
    """`NAME=VALUE` texts (the `--quota` option) as overrides; a ValueError names what is wrong."""
    overrides = Overrides({}, {})
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        limit = name.replace("-", "_")
        if sep and limit in DEFAULTS:
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{item!r}: the value must be a whole number") from None
            if value < 0:
                raise ValueError(f"{item!r}: the value must not be negative")
            overrides.limits[limit] = value
        elif sep and (name in RATE_DEFAULTS or limit in RATE_DEFAULTS):
            try:
                rate = float(text)
            except ValueError:
                raise ValueError(f"{item!r}: the value must be a number of requests per second") from None
            if not rate > 0 or rate == float("inf"):
                raise ValueError(f"{item!r}: a rate must be a positive number of requests per second")
            overrides.rates[name if name in RATE_DEFAULTS else limit] = rate
        else:
            names = ", ".join([*sorted(DEFAULTS), *sorted(RATE_DEFAULTS)])
            raise ValueError(f"{item!r}: give NAME=VALUE with NAME one of {names}")
    return overrides
