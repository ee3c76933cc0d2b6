"""Responses held to botocore's model: every member known, required members present, types and enums right."""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.model import Shape

from reconciler.local.protocol import load_service_model


def assert_matches_model(operation: str, response: dict[str, Any]) -> None:
    """`response` (as boto3 returns it) has only the output members the model gives `operation`."""
    shape = load_service_model().operation_model(operation).output_shape
    body = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    if shape is None:
        assert body == {}, f"{operation} has no output members, got {body}"
        return
    _check(shape, body, operation)


def _check(shape: Shape, value: Any, path: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: not a structure: {value!r}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: members not in the model: {sorted(unknown)}"
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{path}: required members missing: {sorted(missing)}"
        for name, item in value.items():
            _check(shape.members[name], item, f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: not a list: {value!r}"
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: not a map: {value!r}"
        for key, item in value.items():
            _check(shape.value, item, f"{path}[{key}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: not a string: {value!r}"
        enum = getattr(shape, "enum", None)
        if enum:
            assert value in enum, f"{path}: {value!r} not one of {enum}"
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        assert low is None or len(value) >= low, f"{path}: shorter than {low}"
        assert high is None or len(value) <= high, f"{path}: longer than {high}"
    elif kind == "timestamp":
        assert isinstance(value, dt.datetime), f"{path}: not a timestamp: {value!r}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: not an integer: {value!r}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: not a boolean: {value!r}"
