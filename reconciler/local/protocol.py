"""CodeArtifact's rest-json wire protocol, derived from botocore's own service model.

Routes, where each input member travels (query string, header, JSON body, raw payload), and the
constraints the server enforces all come from the model the client itself uses, so the service
cannot drift from what boto3 and the AWS CLI put on the wire.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import regex
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from reconciler.local.errors import ServiceError, ValidationException

SERVICE_NAME = "codeartifact"


@dataclass(frozen=True)
class HttpRequest:
    """One request as it arrived, over a socket or from botocore's `before-send` event."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes


@dataclass
class HttpResponse:
    """What the service answers; `drop` asks the transport to close the connection unanswered."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False


@cache
def load_service_model() -> ServiceModel:
    loader = Loader()
    return ServiceModel(loader.load_service_model(SERVICE_NAME, "service-2"), service_name=SERVICE_NAME)


@cache
def routes() -> dict[tuple[str, str], OperationModel]:
    """(HTTP method, path) -> operation, for every operation in the model."""
    model = load_service_model()
    table: dict[tuple[str, str], OperationModel] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        path = operation.http["requestUri"].split("?", 1)[0]
        table[(operation.http["method"], path)] = operation
    return table


def snake_case(name: str) -> str:
    """`domainOwner` -> `domain_owner`, `assetSHA256` -> `asset_sha256` (the backend's spelling)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


@cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    # Smithy patterns use \P{C} and friends, which only the `regex` module understands.
    return regex.compile(pattern)


class _Violations:
    """Collects constraint failures and words them the way AWS's validation layer does."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        if isinstance(value, list | dict):
            shown: Any = f"<{type(value).__name__} of {len(value)} items>"
        else:
            shown = value
        self.messages.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self) -> None:
        if self.messages:
            count = len(self.messages)
            noun = "error" if count == 1 else "errors"
            raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(self.messages))


def _check(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    """Type, length, range, pattern and enum checks for one value against its shape."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            out.add(value, path, "Member must be a string")
            return
        if "min" in meta and len(value) < meta["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.add(value, path, f"Member must have length less than or equal to {meta['max']}")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            out.add(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        elif "pattern" in meta and not _compiled(meta["pattern"]).fullmatch(value):
            out.add(value, path, f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.add(value, path, "Member must be an integer")
            return
        if "min" in meta and value < meta["min"]:
            out.add(value, path, f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            out.add(value, path, f"Member must have value less than or equal to {meta['max']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.add(value, path, "Member must be a boolean")
    elif kind == "list":
        if not isinstance(value, list):
            out.add(value, path, "Member must be a list")
            return
        if "min" in meta and len(value) < meta["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.add(value, path, f"Member must have length less than or equal to {meta['max']}")
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}.{index + 1}.member", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.add(value, path, "Member must be a map")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", out)
            _check(shape.value, item, f"{path}.{key}", out)
    elif kind == "structure":
        if not isinstance(value, dict):
            out.add(value, path, "Member must be a structure")
            return
        for name in shape.required_members:
            if name not in value:
                out.add(None, f"{path}.{name}", "Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], f"{path}.{name}", out)
    elif kind == "blob" and not isinstance(value, bytes | bytearray):
        out.add(value, path, "Member must be binary data")


def _from_text(shape: Shape, text: str) -> Any:
    """Query-string and header values arrive as text; give them their modeled type."""
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text  # the type check then reports it
    if shape.type_name == "boolean":
        lowered = text.lower()
        return True if lowered == "true" else False if lowered == "false" else text
    return text


def parse_request(operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
    """Read every input member from where the model says it travels, and validate it.

    Returns the members keyed by their snake_case names, ready to be passed as keyword
    arguments to the backend. Raises `ValidationException` like AWS does for anything the
    client did not already reject itself.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    query: dict[str, str] = {}
    for key, text in parse_qsl(request.query, keep_blank_values=True):
        query.setdefault(key, text)
    payload_name = shape.serialization.get("payload")
    body_members: dict[str, Any] = {}
    has_body_members = any(
        "location" not in member.serialization and name != payload_name
        for name, member in shape.members.items()
    )
    if has_body_members and request.body:
        try:
            decoded = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationException(
                f"Could not parse the request body as JSON: {exc}", "CANNOT_PARSE"
            ) from exc
        if not isinstance(decoded, dict):
            raise ValidationException("The request body must be a JSON object", "CANNOT_PARSE")
        body_members = decoded

    params: dict[str, Any] = {}
    violations = _Violations()
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if name == payload_name:
            value = request.body
        elif location == "querystring":
            if wire_name not in query:
                continue
            value = _from_text(member, query[wire_name])
        elif location == "header":
            header = request.headers.get(wire_name.lower())
            if header is None:
                continue
            value = _from_text(member, header)
        elif location is None:
            if name not in body_members or body_members[name] is None:
                continue
            value = body_members[name]
        else:  # uri labels and other locations: this service's model has none
            continue
        _check(member, value, name, violations)
        params[snake_case(name)] = value
    for name in shape.required_members:
        if snake_case(name) not in params:
            violations.add(None, name, "Member must not be null")
    violations.raise_if_any()
    return params


def _json_default(value: Any) -> Any:
    raise TypeError(f"cannot serialize {type(value).__name__}")


def serialize_result(operation: OperationModel, result: Mapping[str, Any]) -> HttpResponse:
    """Put a backend result on the wire: header members as headers, a payload as the raw body.

    The backend already returns body members in their wire form (camelCase keys, epoch-second
    timestamps), so the common case is a single `json.dumps`.
    """
    shape = operation.output_shape
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if shape is None:
        return HttpResponse(200, {**headers, "Content-Type": "application/json"}, b"{}")
    body_values = dict(result)
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header" and name in body_values:
            headers[member.serialization["name"]] = str(body_values.pop(name))
    payload_name = shape.serialization.get("payload")
    if payload_name is not None:
        payload = body_values.get(payload_name, b"")
        headers["Content-Type"] = "application/octet-stream"
        return HttpResponse(200, headers, bytes(payload))
    headers["Content-Type"] = "application/json"
    body = json.dumps(
        {key: value for key, value in body_values.items() if value is not None},
        separators=(",", ":"),
        default=_json_default,
    )
    return HttpResponse(200, headers, body.encode())


def serialize_error(error: ServiceError) -> HttpResponse:
    body = {"message": error.message, **error.fields}
    headers = {
        "x-amzn-ErrorType": error.code,
        "x-amzn-RequestId": str(uuid.uuid4()),
        "Content-Type": "application/json",
        **error.headers,
    }
    return HttpResponse(error.http_status, headers, json.dumps(body).encode())
