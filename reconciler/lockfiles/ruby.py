"""Bundler's `Gemfile.lock` (also `gems.locked`): the `specs:` of each `GEM` section, `name (version)`
at four spaces in. `GIT` and `PATH` sections protect nothing; a platform gem (`nokogiri
(1.16.0-x86_64-linux)`) protects its version (a gem version never holds '-')."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.codeartifact import Format
from reconciler.lockfiles.base import LockfileError, Pinned

_SPEC = re.compile(r"^    ([^\s(]+) \(([^)\s]+)\)\s*$")
_SECTION = re.compile(r"^[A-Z][A-Z ]*$")


def read_gemfile_lock(text: str, path: Path) -> list[Pinned]:
    found = []
    section: str | None = None
    in_specs = False
    sections = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if _SECTION.match(line):
            section, in_specs = line.strip(), False
            sections += 1
            continue
        if section is None and line.strip():
            raise LockfileError(number, "not a Gemfile.lock: expected a section such as GEM")
        if line.strip() == "specs:":
            in_specs = True
            continue
        if section == "GEM" and in_specs:
            spec = _SPEC.match(line)
            if spec is not None:
                version = spec.group(2).split("-", 1)[0]
                found.append(Pinned(Format.RUBY, None, spec.group(1), version, number))
    if not sections:
        raise LockfileError(1, "not a Gemfile.lock: no GEM section")
    return found
