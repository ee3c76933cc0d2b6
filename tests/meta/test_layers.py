"""The layer order of docs/architecture.md: a module imports only from its own layer or those below.

Every module of the package has a layer here, so a new module is placed on purpose. The local
CodeArtifact service is an island: it imports nothing from the rest, and only the AWS adapter
(which can run it in process) and the command line (`reconciler local ...`) import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"

# Layer number -> module prefixes (dotted, below `reconciler.`): a prefix ending in "." is a package.
LAYERS: dict[int, tuple[str, ...]] = {
    1: ("__init__", "codeartifact", "addresses", "errors", "text"),
    2: ("versioning.",),
    3: (
        "models",
        "lockfiles.",
        "manifest.",
        "problems",
        "state",
        "plan",
        "planfile",
        "files",
        "origincontrols",
    ),
    4: ("scope",),
    5: (
        "rules",
        "diff",
        "planner",
        "staleness",
        "applier",
        "drift",
        "limits",
        "verify",
        "importer",
        "accept",
        "promotion",
    ),
    6: ("aws.", "github.", "journal", "ratelimit", "adaptive", "httpcall", "notify"),
    7: ("render.", "progress"),
    8: ("workflows.",),
    9: ("commands.", "cli", "boundary", "contract", "options", "entry", "__main__"),
}
# Besides the order: the AWS adapter is a plain set of reads and writes over identities and actions.
# It never sees the manifests or the decisions made from them (it may implement the applier's
# `Executor` and read a `state.ReadSpec`, which `scope` fills).
ADAPTER = "aws."
NEVER_IN_THE_ADAPTER = (
    "models",
    "manifest.",
    "rules",
    "diff",
    "planner",
    "drift",
    "importer",
    "staleness",
    "limits",
    "verify",
)
ISLAND = "local."
MAY_IMPORT_THE_ISLAND = {"aws.client", "cli"}
NAMES = [
    "Vocabulary",
    "Versioning",
    "Inputs and values",
    "Scope",
    "Pure core",
    "Adapters",
    "Views",
    "Use cases",
    "Commands",
]


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts)


def _layer(module: str) -> int | None:
    for number, prefixes in LAYERS.items():
        for prefix in prefixes:
            if module == prefix or (prefix.endswith(".") and module.startswith(prefix)):
                return number
            if prefix.endswith(".") and module == prefix[:-1] + ".__init__":
                return number
    return None


def _imports(path: Path) -> set[str]:
    """Every `reconciler.*` module the file imports, below `reconciler.`, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name == "reconciler" or name.startswith("reconciler."):
                found.add(name.removeprefix("reconciler").removeprefix("."))
    return found


def _resolve(name: str) -> str:
    """`from reconciler.aws import reads` names the module `aws.reads`; `from reconciler.plan import
    Plan` names `plan` (the attribute is not a module); `from reconciler import __version__` names
    the package's `__init__`."""
    if not name:
        return "__init__"
    candidate = PACKAGE.joinpath(*name.split("."))
    if candidate.with_suffix(".py").is_file():
        return name
    if (candidate / "__init__.py").is_file():
        return f"{name}.__init__"
    return _resolve(name.rpartition(".")[0])


SOURCES = sorted(path for path in PACKAGE.rglob("*.py") if not _module(path).startswith(ISLAND))


@pytest.mark.parametrize("path", SOURCES, ids=_module)
def test_every_module_has_a_layer(path: Path) -> None:
    assert _layer(_module(path)) is not None, (
        f"{_module(path)}: give it a layer in this test and in docs/architecture.md"
    )


def _violations(module: str, path: Path) -> list[str]:
    """Each import of `path` (the source of `module`) from a layer above the module's own."""
    own = _layer(module)
    assert own is not None
    above = []
    for imported in sorted({_resolve(name) for name in _imports(path)}):
        if imported.startswith(ISLAND):
            if module not in MAY_IMPORT_THE_ISLAND:
                above.append(f"{imported} (the local service)")
            continue
        layer = _layer(imported)
        assert layer is not None, imported
        if layer > own:
            above.append(f"{imported} ({NAMES[layer - 1]})")
        elif module.startswith(ADAPTER) and imported.startswith(NEVER_IN_THE_ADAPTER):
            above.append(f"{imported} (not for the AWS adapter)")
    return above


@pytest.mark.parametrize("path", SOURCES, ids=_module)
def test_a_module_imports_only_from_its_own_layer_or_below(path: Path) -> None:
    assert _violations(_module(path), path) == [], f"{_module(path)} imports from a layer above it"


def test_the_local_service_imports_nothing_from_the_rest() -> None:
    offenders = {
        f"{_module(path)} -> {name}"
        for path in PACKAGE.joinpath("local").rglob("*.py")
        for name in _imports(path)
        if not (name + ".").startswith(ISLAND)
    }
    assert offenders == set()


@pytest.mark.parametrize(
    ("module", "source", "found"),
    [
        (
            "aws.reads",
            "def f():\n    from reconciler.planner import make_plan\n",
            ["planner (not for the AWS adapter)"],
        ),
        ("planner", "from reconciler.render import render_plan\n", ["render.__init__ (Views)"]),
        ("rules", "from reconciler.local import LocalCodeArtifact\n", ["local.__init__ (the local service)"]),
        ("workflows.planning", "from reconciler.commands.plan import plan\n", ["commands.plan (Commands)"]),
        ("commands.plan", "from reconciler.workflows import planning\n", []),
    ],
)
def test_the_layer_check_finds_an_import_from_above_at_any_depth(
    tmp_path: Path, module: str, source: str, found: list[str]
) -> None:
    path = tmp_path / "module.py"
    path.write_text(source)
    assert _violations(module, path) == found


SPEED_TRICKS = ("__pydantic_", "object.__new__", "__setattr__", "model_construct")


@pytest.mark.parametrize("path", SOURCES, ids=_module)
def test_no_library_internals_bypassed_constructors_or_collector_switches(path: Path) -> None:
    """Values are built by their ordinary constructors; only a use case may pause the collector."""
    text = path.read_text(encoding="utf-8")
    assert not [trick for trick in SPEED_TRICKS if trick in text], _module(path)
    tree = ast.parse(text)
    imports_gc = any(
        isinstance(node, ast.Import) and any(alias.name == "gc" for alias in node.names)
        for node in ast.walk(tree)
    )
    if imports_gc:
        assert _layer(_module(path)) == 8, f"{_module(path)} switches the garbage collector"
