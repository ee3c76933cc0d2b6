"""Identity values: which repository, which package, with one canonical text form and order.

`RepositoryRef` and `PackageRef` are the one identity of a repository and of a package everywhere:
in live state, in the plan and its file, in apply's bookkeeping and in every view.

A repository names its Region only in a run of several Regions (`region`); in a run of one Region it
is None, "the run's Region", so that the text forms, plan files and digests of one-Region runs are
those they always were.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.codeartifact import Format


@dataclass(frozen=True, order=True, slots=True)
class RepositoryRef:
    domain: str
    repository: str
    domain_owner: str | None = None
    region: str | None = None  # set only in a run of several Regions (see the module's documentation)

    def __str__(self) -> str:
        # The Region first, as an ARN names it: `eu-west-1:acme/prod`.
        where = f"{self.domain}/{self.repository}"
        return f"{self.region}:{where}" if self.region else where


@dataclass(frozen=True, slots=True)
class PackageRef:
    """A package in one repository. `namespace` is None for formats without one."""

    repository: RepositoryRef
    format: Format
    namespace: str | None
    package: str

    @property
    def name(self) -> str:
        """The package's display name: `namespace/package`, or `package` alone."""
        return f"{self.namespace}/{self.package}" if self.namespace else self.package

    def __str__(self) -> str:
        return f"{self.repository}/{self.format}/{self.name}"

    def sort_key(self) -> tuple[str, str, str, str, str, str, str]:
        return (
            self.repository.region or "",
            self.repository.domain,
            self.repository.repository,
            self.format.value,
            self.namespace or "",
            self.package,
            self.repository.domain_owner or "",
        )

    def in_repository(self, repository: str) -> PackageRef:
        """The package of the same name in another repository of the same domain."""
        here = self.repository
        return PackageRef(
            RepositoryRef(here.domain, repository, here.domain_owner, here.region),
            self.format,
            self.namespace,
            self.package,
        )
