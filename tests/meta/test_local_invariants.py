"""Invariants of the local service that hold across every operation and error, checked against
botocore's CodeArtifact model and the package's own source."""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import pytest
from botocore.model import ServiceModel

import reconciler.local
from reconciler.local.errors import ALL_ERRORS, ServiceError
from reconciler.local.operations import OPERATIONS
from reconciler.local.protocol import snake_case

LOCAL_PACKAGE = Path(reconciler.local.__file__).parent


@pytest.fixture(scope="module")
def model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("codeartifact")


def test_every_registered_operation_exists_in_the_model(model: ServiceModel) -> None:
    unknown = sorted(set(OPERATIONS) - set(model.operation_names))
    assert unknown == []


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_function_is_named_after_its_operation(name: str) -> None:
    assert OPERATIONS[name].function.__name__ == snake_case(name)
    assert OPERATIONS[name].function.__name__ == botocore.xform_name(name)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_accepts_exactly_the_models_input_members(model: ServiceModel, name: str) -> None:
    shape = model.operation_model(name).input_shape
    members = {snake_case(member) for member in (shape.members if shape is not None else {})}
    code = OPERATIONS[name].function.__code__
    parameters = set(code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount])
    assert parameters == members


def test_operations_that_write_are_the_models_non_read_operations() -> None:
    writers = {name for name, operation in OPERATIONS.items() if operation.writes}
    assert writers == {
        "CreateDomain",
        "CreateRepository",
        "PublishPackageVersion",
        "CopyPackageVersions",
        "UpdatePackageVersionsStatus",
        "DisposePackageVersions",
        "DeletePackageVersions",
        "DeleteDomain",
        "DeleteRepository",
        "UpdateRepository",
        "AssociateExternalConnection",
        "DisassociateExternalConnection",
        "PutDomainPermissionsPolicy",
        "DeleteDomainPermissionsPolicy",
        "PutRepositoryPermissionsPolicy",
        "DeleteRepositoryPermissionsPolicy",
        "TagResource",
        "UntagResource",
        "CreatePackageGroup",
        "UpdatePackageGroup",
        "DeletePackageGroup",
        "UpdatePackageGroupOriginConfiguration",
        "DeletePackage",
        "PutPackageOriginConfiguration",
    }


def test_every_error_shape_of_the_model_has_a_class(model: ServiceModel) -> None:
    assert {error.code for error in ALL_ERRORS} == {shape.name for shape in model.error_shapes}


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda error: error.code)
def test_each_error_class_matches_its_shape_and_status(
    model: ServiceModel, error: type[ServiceError]
) -> None:
    shape = model.shape_for(error.code)
    assert shape.metadata.get("exception") is True
    assert error.http_status == shape.metadata["error"]["httpStatusCode"]
    assert error.__name__ == error.code


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import stays inside reconciler.local unless it climbs out of it.
                names.append("reconciler" if node.level > 1 else "reconciler.local")
            elif node.module is not None:
                names.append(node.module)
    return names


def test_the_local_service_imports_nothing_else_from_the_reconciler() -> None:
    files = sorted(LOCAL_PACKAGE.rglob("*.py"))
    # The scan does see the package's imports of itself, so an empty result below means something.
    assert "reconciler.local.errors" in _imports(LOCAL_PACKAGE / "service.py")
    outside = {
        f"{path.relative_to(LOCAL_PACKAGE)}: {name}"
        for path in files
        for name in _imports(path)
        if (name == "reconciler" or name.startswith("reconciler."))
        and name != "reconciler.local"
        and not name.startswith("reconciler.local.")
    }
    assert sorted(outside) == []


MAX_FUNCTION_LINES = 60


def test_no_function_of_the_local_service_is_longer_than_sixty_lines() -> None:
    # Long operations are split into named steps; a function that outgrows this should be too.
    long: list[str] = []
    for path in sorted(LOCAL_PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(
                        f"{path.relative_to(LOCAL_PACKAGE)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    assert long == []
