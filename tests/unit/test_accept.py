"""Writing pins into a manifest's text: only the pins change, and what cannot be edited safely is
refused at its line."""

from __future__ import annotations

import pytest

from reconciler.accept import Pin, edit_file
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status
from reconciler.models import DeclaredEntry, Origin, PackageEntry, Target

HEAD = (
    "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget: {domain: acme, repository: prod}\npackages:\n"
)
PACKAGE = PackageRef(RepositoryRef("acme", "prod"), Format.PYPI, None, "tool")


def pin(line: int, version: str = "1.0", status: Status = Status.UNLISTED, name: str = "tool") -> Pin:
    entry = DeclaredEntry(
        Target.model_validate({"domain": "acme", "repository": "prod"}),
        PackageEntry.model_validate({"format": "pypi", "name": name}),
        Origin("m.yaml", line),
        {},
    )
    return Pin(PACKAGE, version, status, entry)


def test_an_empty_versions_key_gets_the_pins_below_it() -> None:
    text = HEAD + "  - format: pypi\n    name: tool\n    versions:\n    otherwise: ignore\n"

    edited, problems = edit_file("m.yaml", text, [pin(5)])

    assert problems == []
    assert edited == text.replace("    versions:\n", '    versions:\n      "1.0": Unlisted\n')


def test_a_byte_order_mark_stays_in_front() -> None:
    text = "\ufeff" + HEAD + "  - format: pypi\n    name: tool\n"

    edited, problems = edit_file("m.yaml", text, [pin(5)])

    assert problems == []
    assert edited == text + '    versions:\n      "1.0": Unlisted\n'


def test_a_version_that_yaml_reads_as_a_number_is_matched_by_its_text() -> None:
    text = HEAD + "  - format: pypi\n    name: tool\n    versions:\n      1.10: Published\n"

    edited, problems = edit_file("m.yaml", text, [pin(5, "1.10")])

    assert problems == []
    assert edited == text.replace("1.10: Published", "1.10: Unlisted")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("  - <<: {format: pypi}\n    name: tool\n", "m.yaml:5: the entry uses a merge key (<<)"),
        ("  - &e\n    format: pypi\n    name: tool\n", "m.yaml:5: the entry is anchored (&)"),
        ("  - {format: pypi, name: tool}\n", "m.yaml:5: the entry is a flow-style mapping"),
        (
            "  - format: pypi\n    name: tool\n    versions: {}\n",
            "m.yaml:7: versions is a flow-style mapping",
        ),
    ],
    ids=["merge-key", "anchored-entry", "flow-entry", "empty-flow-versions"],
)
def test_what_cannot_be_edited_safely_is_refused_at_its_line(entry: str, problem: str) -> None:
    text = HEAD + entry

    edited, problems = edit_file("m.yaml", text, [pin(5)])

    assert edited == text
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_a_glob_entry_is_refused() -> None:
    text = HEAD + '  - format: pypi\n    name: "to*"\n'

    edited, problems = edit_file("m.yaml", text, [pin(5, name="to*")])

    assert edited == text
    assert problems[0].startswith("m.yaml:5: glob entry 'to*': a pin here would apply to every package")
