"""Package name, namespace and version normalisation, per format, as CodeArtifact documents it.

CodeArtifact User Guide, "Package name, package version, and asset name normalization" and the
pages it links:

- PyPI ("Python package name normalization"): names are lowercased and every run of `.`, `-`
  and `_` becomes one `-` (PEP 503) before they are stored. The page says the *normalised* name
  must be used in API requests: CodeArtifact does not normalise a PyPI name it is given, so a
  request naming `Foo_Bar` finds nothing (unless `Options.normalize_pypi_request_names`).
- NuGet ("NuGet package name, version, and asset name normalization"): names are lowercased;
  versions lose leading zeroes, a zero fourth part, and SemVer build metadata. API requests may
  use the non-normalised name and version: CodeArtifact normalises them. Asset names are built
  from the normalised name and version (`newtonsoft.json.12.0.3.nupkg`) and are never normalised
  on input. `displayName` keeps the name as published.
- Swift ("Swift package name and namespace normalization"): names and namespaces are lowercased;
  versions are not normalised. API requests may use the non-normalised forms.
- No other format is normalised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PEP503 = re.compile(r"[-_.]+")
_NUMERIC_RELEASE = re.compile(r"\d+(\.\d+){0,3}")


def package_name(format: str | None, name: str) -> str:
    """The name as CodeArtifact stores it."""
    if format == "pypi":
        return _PEP503.sub("-", name).lower()
    if format in ("nuget", "swift"):
        return name.lower()
    return name


def namespace(format: str | None, value: str | None) -> str | None:
    """The namespace as CodeArtifact stores it."""
    if value is not None and format == "swift":
        return value.lower()
    return value


def version(format: str | None, value: str) -> str:
    """The version as CodeArtifact stores it (only NuGet versions are normalised)."""
    if format != "nuget":
        return value
    return nuget_version(value)


def nuget_version(value: str) -> str:
    """NuGet's normalised version: `1.00` -> `1.0`, `1.0.0.0` -> `1.0.0`, `1.0.7+r3456` -> `1.0.7`.

    Only the three rules the CodeArtifact page lists: a version whose release part is not numeric
    is kept as it is, apart from its build metadata.
    """
    text = value.split("+", 1)[0]
    release, dash, prerelease = text.partition("-")
    if not _NUMERIC_RELEASE.fullmatch(release):
        return text
    parts = [str(int(part)) for part in release.split(".")]
    if len(parts) == 4 and parts[3] == "0":
        parts.pop()
    return ".".join(parts) + dash + prerelease


def nuget_asset_name(name: str, version_: str) -> str:
    """The one asset of a NuGet package version, as CodeArtifact names it."""
    return f"{package_name('nuget', name)}.{nuget_version(version_)}.nupkg"


# Formats whose names CodeArtifact normalises in API requests (PyPI's it does not: see above).
_REQUEST_NORMALISED = frozenset({"nuget", "swift"})


def normalize_request(params: Mapping[str, Any], *, pypi: bool = False) -> dict[str, Any]:
    """An operation's parameters with package names, namespaces and versions as CodeArtifact reads
    them: what it normalises on input (NuGet, Swift; PyPI only when `pypi`), the rest unchanged.

    Applied to every operation by the service, so that a lookup, a listing's echo of the package
    and a batch's version keys all carry the stored form. Asset names are never normalised.
    """
    format = params.get("format")
    if format not in _REQUEST_NORMALISED and not (pypi and format == "pypi"):
        return dict(params)
    result = dict(params)
    for key in ("package", "package_prefix"):
        if isinstance(result.get(key), str):
            result[key] = package_name(format, result[key])
    if isinstance(result.get("namespace"), str):
        result["namespace"] = namespace(format, result["namespace"])
    if isinstance(result.get("package_version"), str):
        result["package_version"] = version(format, result["package_version"])
    if isinstance(result.get("versions"), list):
        result["versions"] = [version(format, v) if isinstance(v, str) else v for v in result["versions"]]
    if isinstance(result.get("version_revisions"), dict):
        result["version_revisions"] = {
            version(format, key): value for key, value in result["version_revisions"].items()
        }
    return result


def display_name(format: str, namespace_: str | None, name: str, published_as: str | None) -> str:
    """`PackageVersionDescription.displayName`.

    The model documents npm (`@vue/ui` for package `ui` in namespace `vue`); the NuGet
    normalisation page says the non-normalised name is returned here, and the User Guide's PyPI
    example shows `PyHamcrest` for `pyhamcrest`: the name as published. Elsewhere AWS is silent;
    this service shows `namespace/name`.
    """
    if published_as:
        return published_as
    if format == "npm":
        return f"@{namespace_}/{name}" if namespace_ else name
    return f"{namespace_}/{name}" if namespace_ else name
