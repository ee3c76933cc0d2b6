"""Identity values: which package, which version, in which repository, with one canonical text form."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.codeartifact import Format


@dataclass(frozen=True, order=True)
class RepositoryRef:
    domain: str
    repository: str
    domain_owner: str | None = None

    def __str__(self) -> str:
        return f"{self.domain}/{self.repository}"


@dataclass(frozen=True)
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

    def sort_key(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.repository.domain,
            self.repository.repository,
            self.format.value,
            self.namespace or "",
            self.package,
            self.repository.domain_owner or "",
        )


@dataclass(frozen=True)
class VersionRef:
    package: PackageRef
    version: str

    def sort_key(self) -> tuple[tuple[str, ...], str]:
        return (self.package.sort_key(), self.version)

    def __str__(self) -> str:
        return f"{self.package}@{self.version}"
