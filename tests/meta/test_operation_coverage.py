"""Every operation of botocore's installed CodeArtifact model is implemented by the local service,
and every implemented operation has a contract test that calls it through a real boto3 client
both in process and over HTTP.

"Both" is read from the tests' source: a test in tests/local runs over both transports when it
asks, directly or through its fixtures, for the `any_client` fixture (parametrised over the
in-process client and the HTTP client in tests/local/conftest.py). A call counts when such a test
calls the operation's boto3 method (`<client>.<snake_name>(...)`) or pages through it
(`<client>.get_paginator("<snake_name>")`) in its own body.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import botocore
import botocore.session
import pytest

from reconciler.local.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TESTS = ROOT / "tests" / "local"
BOTH_TRANSPORTS = "any_client"


def _model_operations() -> list[str]:
    return sorted(botocore.session.get_session().get_service_model("codeartifact").operation_names)


def _is_fixture(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
    return False


def _parameters(function: ast.FunctionDef) -> set[str]:
    return {argument.arg for argument in function.args.args + function.args.kwonlyargs}


def _functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def _fixtures_over_both_transports(functions: list[ast.FunctionDef], inherited: set[str]) -> set[str]:
    """The fixtures (of this module, plus `inherited`) that depend on `any_client`, transitively."""
    fixtures = {function.name: _parameters(function) for function in functions if _is_fixture(function)}
    both = set(inherited)
    changed = True
    while changed:
        changed = False
        for name, parameters in fixtures.items():
            if name not in both and parameters & both:
                both.add(name)
                changed = True
    return both


def _operations_called(function: ast.FunctionDef) -> Iterator[str]:
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr != "get_paginator":
            yield node.func.attr
        elif node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node.args[0].value


def _any_client_is_parametrised_over_both_clients() -> bool:
    for function in _functions(CONTRACT_TESTS / "conftest.py"):
        if function.name != BOTH_TRANSPORTS:
            continue
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call):
                params = [keyword.value for keyword in decorator.keywords if keyword.arg == "params"]
                if params and ast.literal_eval(params[0]) == ["client", "http_client"]:
                    return True
    return False


def _called_over_both_transports() -> dict[str, list[str]]:
    """boto3 method name -> the contract tests that call it over both transports."""
    conftest = _functions(CONTRACT_TESTS / "conftest.py")
    shared = _fixtures_over_both_transports(conftest, {BOTH_TRANSPORTS})
    called: dict[str, list[str]] = {}
    for path in sorted(CONTRACT_TESTS.glob("test_*.py")):
        functions = _functions(path)
        both = _fixtures_over_both_transports(functions, shared)
        for function in functions:
            if function.name.startswith("test_") and _parameters(function) & both:
                for method in _operations_called(function):
                    called.setdefault(method, []).append(f"{path.name}::{function.name}")
    return called


def test_the_service_implements_every_operation_of_the_installed_model() -> None:
    missing = [name for name in _model_operations() if name not in OPERATIONS]
    assert missing == [], f"operations of botocore's model the local service does not implement: {missing}"


def test_the_contract_client_fixture_runs_in_process_and_over_http() -> None:
    assert _any_client_is_parametrised_over_both_clients()


def test_every_implemented_operation_has_a_contract_test_over_both_transports() -> None:
    called = _called_over_both_transports()
    untested = sorted(name for name in OPERATIONS if botocore.xform_name(name) not in called)
    assert untested == [], f"operations no any_client contract test calls: {untested}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def test_a(any_client):\n    any_client.list_domains()\n", {"list_domains"}),
        (
            "import pytest\n@pytest.fixture\ndef ready(any_client):\n    return any_client\n"
            "def test_a(ready):\n    ready.get_paginator('list_repositories')\n",
            {"list_repositories"},
        ),
        ("def test_a(client):\n    client.list_domains()\n", set()),
        ("def helper(any_client):\n    any_client.list_domains()\n", set()),
    ],
    ids=["direct", "through-a-fixture", "in-process-only", "not-a-test"],
)
def test_the_scan_counts_only_tests_that_run_over_both_transports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: set[str]
) -> None:
    (tmp_path / "conftest.py").write_text(
        (CONTRACT_TESTS / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "test_example.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.CONTRACT_TESTS", tmp_path)

    assert set(_called_over_both_transports()) == expected
