"""Benchmark of reading manifests: a 100,000-pin manifest as `reconciler import` writes it, and a
tree of 1,000 manifest files.

    python tests/bench_manifests.py [--pins 100000 --files 1000 --repeat 3]

Each figure is the best of REPEAT runs of `load_manifests` (read, YAML, schema, checks across
files: everything `validate` and `plan` do before the first API call), in this process:

* with libyaml (the default when PyYAML has it) and with PyYAML's pure-Python loader;
* next to a reference measured in the same run: PyYAML's own load of the same text with libyaml
  (`yaml.load(text, Loader=yaml.CSafeLoader)`: libyaml's composer, then PyYAML's constructor), with
  no lines, checks or schema. `load_manifests` builds a stream with no anchor, alias or merge
  straight from libyaml's events (`yamlsource.FastLineLoader.plain_documents`), so it can take less
  than that reference;
* targets: at most 2 s for each (issue 12), on a quiet machine; the ratio to the reference is the
  figure that does not move with the machine's load.

Not collected by pytest (only test_*.py files are).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from reconciler.codeartifact import Format, Status
from reconciler.importer import ImportedPackage, ImportedRepository, ImportSelection, render_manifest
from reconciler.manifest import documents, load_manifests

TARGET_SECONDS = 2.0
STATUSES = (Status.PUBLISHED, Status.PUBLISHED, Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED)

_TREE_FILE = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: repo-{index}
packages:
  - format: npm
    namespace: team{index}
    name: web-sdk
    versions:
      "2.4.0": {{status: Published, copy_from: staging}}
      "2.3.1": Unlisted
    rules:
      - match: "*-rc.*"
        status: Unlisted
      - keep_latest: 10
        per: major
        status: Published
    otherwise: Archived
  - format: pypi
    name: "lib-*"
    rules:
      - older_than: 365d
        status: Archived
"""


def imported_manifest(pins: int) -> str:
    """What `reconciler import` writes for a repository of `pins` versions (1,000 per package)."""
    per_package = 1000
    packages = tuple(
        ImportedPackage(
            Format.NPM,
            None,
            f"package-{p:05d}",
            tuple(
                (f"{v // 100}.{v % 100}.{p % 7}", STATUSES[v % len(STATUSES)])
                for v in range(min(per_package, pins - p * per_package))
            ),
        )
        for p in range(-(-pins // per_package))
    )
    return render_manifest(ImportedRepository(ImportSelection("acme", "npm-store"), packages))


def best(repeat: int, function: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, paths: list[Path], texts: list[str], expected: int, repeat: int) -> bool:
    def load() -> None:
        desired = load_manifests(paths)
        if len(desired.entries) != expected:
            raise SystemExit(f"{name}: read {len(desired.entries)} entries, not {expected}")

    def pure_python() -> None:
        saved = documents.load_fast
        documents.load_fast = lambda text: None  # type: ignore[assignment]
        try:
            load()
        finally:
            documents.load_fast = saved

    def libyaml_alone() -> None:
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)

    bound = best(repeat, libyaml_alone)
    fast = best(repeat, load)
    slow = best(1, pure_python)
    ok = fast <= TARGET_SECONDS
    print(f"\n{name}")
    print(f"  yaml.load, CSafeLoader       {bound:6.2f} s  (the reference)")
    print(
        f"  load_manifests, libyaml      {fast:6.2f} s  = {fast / bound:4.2f}x the reference; "
        f"target <= {TARGET_SECONDS:.0f} s: {'PASS' if ok else 'MISS'}"
    )
    print(f"  load_manifests, pure Python  {slow:6.2f} s  = {slow / bound:4.2f}x the reference (one run)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pins", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not yaml.__with_libyaml__:
        print("PyYAML is built without libyaml: only the pure-Python loader can be measured")
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-manifests-") as tempdir:
        folder = Path(tempdir)
        imported = imported_manifest(args.pins)
        single = folder / "imported.yaml"
        single.write_text(imported, encoding="utf-8")
        megabytes = len(imported.encode()) / 1e6
        ok &= measure(
            f"one manifest of {args.pins:,} pins as `import` writes it ({megabytes:.1f} MB)",
            [single],
            [imported],
            -(-args.pins // 1000),
            args.repeat,
        )
        tree = folder / "tree"
        texts = []
        for index in range(args.files):
            text = _TREE_FILE.format(index=index)
            path = tree / f"team{index % 50}" / f"repo-{index}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            texts.append(text)
        ok &= measure(f"a tree of {args.files:,} manifest files", [tree], texts, 2 * args.files, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
