"""CodeArtifact's rest-json wire protocol, derived from botocore's own service model.

Routes, where each input member travels (query string, header, JSON body, raw payload), and the
constraints the server enforces all come from the model the client itself uses, so the service
cannot drift from what boto3 and the AWS CLI put on the wire.

One module, although over 400 lines: parsing a request and serialising a response walk the same
shapes of the same model, one function per shape type each, and belong side by side.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from json.encoder import encode_basestring_ascii as _quote
from typing import Any
from urllib.parse import parse_qsl

import regex
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from reconciler.local.context import JsonText
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
    scheme: str = "http"  # how the client reached the service, for URLs of this server


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
    check = _CHECKS.get(shape.type_name)
    if check is not None:
        check(shape, value, path, out)


def _check_length(shape: Shape, value: str | list[Any], path: str, out: _Violations) -> None:
    meta = shape.metadata
    if "min" in meta and len(value) < meta["min"]:
        out.add(value, path, f"Member must have length greater than or equal to {meta['min']}")
    if "max" in meta and len(value) > meta["max"]:
        out.add(value, path, f"Member must have length less than or equal to {meta['max']}")


def _check_string(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, str):
        out.add(value, path, "Member must be a string")
        return
    _check_length(shape, value, path, out)
    meta = shape.metadata
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        out.add(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
    elif "pattern" in meta and not _compiled(meta["pattern"]).fullmatch(value):
        out.add(value, path, f"Member must satisfy regular expression pattern: {meta['pattern']}")


def _check_integer(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        out.add(value, path, "Member must be an integer")
        return
    meta = shape.metadata
    if "min" in meta and value < meta["min"]:
        out.add(value, path, f"Member must have value greater than or equal to {meta['min']}")
    if "max" in meta and value > meta["max"]:
        out.add(value, path, f"Member must have value less than or equal to {meta['max']}")


def _check_boolean(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, bool):
        out.add(value, path, "Member must be a boolean")


def _check_list(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, list):
        out.add(value, path, "Member must be a list")
        return
    _check_length(shape, value, path, out)
    if len(value) > shape.metadata.get("max", len(value)):
        # Refused for its length alone: checking each of a million items would cost many seconds.
        return
    for index, item in enumerate(value):
        _check(shape.member, item, f"{path}.{index + 1}.member", out)


def _check_map(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, dict):
        out.add(value, path, "Member must be a map")
        return
    for key, item in value.items():
        _check(shape.key, key, f"{path}.key", out)
        _check(shape.value, item, f"{path}.{key}", out)


def _check_structure(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, dict):
        out.add(value, path, "Member must be a structure")
        return
    for name in shape.required_members:
        if name not in value:
            out.add(None, f"{path}.{name}", "Member must not be null")
    for name, member in shape.members.items():
        if name in value:
            _check(member, value[name], f"{path}.{name}", out)


def _check_blob(shape: Shape, value: Any, path: str, out: _Violations) -> None:
    if not isinstance(value, bytes | bytearray):
        out.add(value, path, "Member must be binary data")


# The check of each of the model's shape types (the others, like timestamps, are not checked).
_CHECKS: dict[str, Callable[[Shape, Any, str, _Violations], None]] = {
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "boolean": _check_boolean,
    "list": _check_list,
    "map": _check_map,
    "structure": _check_structure,
    "blob": _check_blob,
}


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


Validator = Callable[[Any], bool]


def _validator(shape: Shape, depth: int = 0) -> Validator:
    """A fast yes/no form of `_check` for one shape, built once per shape.

    It may say no where `_check` finds nothing (the slow path then runs and reports nothing), but
    never yes where `_check` would report a violation: the messages always come from `_check`.
    """
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    kind = shape.type_name
    if depth > 20:  # a recursive shape: leave it to `_check`
        return lambda value: False
    if kind == "string":
        enum = frozenset(getattr(shape, "enum", None) or ()) or None
        fullmatch = _compiled(meta["pattern"]).fullmatch if "pattern" in meta else None

        def string(value: Any) -> bool:
            if not isinstance(value, str):
                return False
            if (low is not None and len(value) < low) or (high is not None and len(value) > high):
                return False
            if enum is not None:
                return value in enum
            return fullmatch is None or fullmatch(value) is not None

        return string
    if kind in ("integer", "long"):
        return lambda value: (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
    if kind == "boolean":
        return lambda value: isinstance(value, bool)
    if kind == "list":
        items = _all_valid(shape.member, depth + 1)
        return lambda value: (
            isinstance(value, list)
            and (low is None or len(value) >= low)
            and (high is None or len(value) <= high)
            and items(value)
        )
    if kind == "map":
        keys, entries = _all_valid(shape.key, depth + 1), _all_valid(shape.value, depth + 1)
        return lambda value: isinstance(value, dict) and keys(value.keys()) and entries(value.values())
    if kind == "structure":
        required = tuple(shape.required_members)
        members = tuple((name, _validator(member, depth + 1)) for name, member in shape.members.items())

        def structure(value: Any) -> bool:
            if not isinstance(value, dict) or any(name not in value for name in required):
                return False
            return all(name not in value or valid(value[name]) for name, valid in members)

        return structure
    if kind == "blob":
        return lambda value: isinstance(value, bytes | bytearray)
    return lambda value: True


# A pattern that is a single one-character class (\S, \p{..}, [...]) followed by `+`.
_SINGLE_CLASS = re.compile(r"(\\[dDsSwW]|\\[pP]\{[A-Za-z_]+\}|\[(?:\\.|[^\]\\])+\])\+")


def _all_valid(shape: Shape, depth: int) -> Callable[[Collection[Any]], bool]:
    """`_validator` for every item of a list at once; lists of plain strings are checked in bulk."""
    meta = shape.metadata
    if shape.type_name != "string" or getattr(shape, "enum", None):
        valid = _validator(shape, depth)
        return lambda values: all(map(valid, values))
    low, high = meta.get("min"), meta.get("max")
    pattern = meta.get("pattern")
    fullmatch = _compiled(pattern).fullmatch if pattern is not None else None
    # A pattern that is one character class repeated (`\S+`, `[^#/\s]+`) holds for every item
    # exactly when every item is non-empty and their concatenation is made of that class: one
    # regex call for the whole list instead of one per item.
    single = _SINGLE_CLASS.fullmatch(pattern) if pattern is not None else None
    joined = _compiled(f"{single.group(1)}*").fullmatch if single else None
    # ASCII text (the usual case) is checked against the class's ASCII members, worked out once
    # with the pattern's own regex: deleting them leaves nothing exactly when every character is in.
    in_class = _compiled(single.group(1)).fullmatch if single else None
    delete_members = (
        str.maketrans("", "", "".join(chr(c) for c in range(128) if in_class(chr(c))))
        if in_class is not None
        else {}
    )
    if single:
        low = max(low or 0, 1)

    def strings(values: Collection[Any]) -> bool:
        if not values:
            return True
        try:
            text = "".join(values)  # also the type check: join takes strings only
        except TypeError:
            return False
        if low == 1:
            if "" in values:
                return False
        elif low is not None and min(map(len, values)) < low:
            return False
        if high is not None and max(map(len, values)) > high:
            return False
        if joined is not None:
            if text.isascii():
                return not text.translate(delete_members)
            return joined(text) is not None
        return fullmatch is None or all(map(fullmatch, values))

    return strings


@dataclass(frozen=True)
class _InputMember:
    name: str  # as in the model, for messages
    param: str  # the backend's keyword argument
    location: str | None  # "payload", "querystring", "header", None (JSON body) or another
    wire_name: str
    shape: Shape
    valid: Validator


@dataclass(frozen=True)
class _InputPlan:
    members: tuple[_InputMember, ...]
    has_body_members: bool
    required: tuple[tuple[str, str], ...]  # (model name, param)


@cache
def _input_plan(operation: OperationModel) -> _InputPlan | None:
    """Where each input member travels and how it is checked, worked out once per operation."""
    shape = operation.input_shape
    if shape is None:
        return None
    payload_name = shape.serialization.get("payload")
    members = []
    for name, member in shape.members.items():
        location = "payload" if name == payload_name else member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "header":
            wire_name = wire_name.lower()
        members.append(_InputMember(name, snake_case(name), location, wire_name, member, _validator(member)))
    return _InputPlan(
        members=tuple(members),
        has_body_members=any(member.location is None for member in members),
        required=tuple((name, snake_case(name)) for name in shape.required_members),
    )


def parse_request(operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
    """Read every input member from where the model says it travels, and validate it.

    Returns the members keyed by their snake_case names, ready to be passed as keyword
    arguments to the backend. Raises `ValidationException` like AWS does for anything the
    client did not already reject itself.
    """
    plan = _input_plan(operation)
    if plan is None:
        return {}
    query: dict[str, str] = {}
    for key, text in _query_pairs(request.query):
        query.setdefault(key, text)
    body_members = _body_members(request) if plan.has_body_members and request.body else {}
    params: dict[str, Any] = {}
    violations = _Violations()
    for member in plan.members:
        value = _member_value(member, body_members, query, request)
        if value is _ABSENT:
            continue
        if not member.valid(value):
            _check(member.shape, value, member.name, violations)
        params[member.param] = value
    for name, param in plan.required:
        if param not in params:
            violations.add(None, name, "Member must not be null")
    violations.raise_if_any()
    return params


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """`parse_qsl(query, keep_blank_values=True)`: with nothing to unquote (no `%`, no `+`), its
    result is the plain split, made here without a call of `unquote` per key and value."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    return [(key, text) for key, _, text in (part.partition("=") for part in query.split("&") if part)]


# What can make a lone surrogate in a UTF-8 body: a \uD800-\uDFFF escape in either case (or an
# escaped backslash before such text, which only costs the full check), or the surrogate's own three
# bytes, which json.loads decodes with "surrogatepass".
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _may_hold_surrogate(body: bytes) -> bool:
    if json.detect_encoding(body) != "utf-8":  # json.loads also reads UTF-16 and UTF-32
        return True
    # Two substring searches settle the usual body; the pattern runs only where they find something.
    return (b"\\u" in body or b"\xed" in body) and _SURROGATE.search(body) is not None


def _body_members(request: HttpRequest) -> dict[str, Any]:
    """The JSON object of the request body, or the ValidationException AWS answers for another body."""
    try:
        decoded = json.loads(request.body)
        # An escaped lone surrogate ("\\ud800") is valid JSON but no Unicode text: SQLite cannot store it.
        # Only a body that may hold one pays for re-encoding the whole document, which costs about
        # as much as parsing it.
        if _may_hold_surrogate(request.body):
            json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    except ValueError as exc:
        # Not UTF-8, not JSON, a lone surrogate (all ValueErrors), or an integer of more than 4,300
        # digits, which Python refuses to convert (a plain ValueError).
        raise ValidationException(f"Could not parse the request body as JSON: {exc}", "CANNOT_PARSE") from exc
    except RecursionError as exc:  # nesting deeper than the parser's stack
        raise ValidationException("The request body is nested too deeply", "CANNOT_PARSE") from exc
    if not isinstance(decoded, dict):
        raise ValidationException("The request body must be a JSON object", "CANNOT_PARSE")
    return decoded


_ABSENT = object()
"""A member the request does not carry (None in a JSON body counts as absent too)."""


def _member_value(
    member: _InputMember, body_members: dict[str, Any], query: dict[str, str], request: HttpRequest
) -> Any:
    """The member's value from where the model says it travels, or `_ABSENT`."""
    location = member.location
    if location is None:
        value = body_members.get(member.name)
        return _ABSENT if value is None else value
    if location == "querystring":
        if member.wire_name not in query:
            return _ABSENT
        return _from_text(member.shape, query[member.wire_name])
    if location == "header":
        header = request.headers.get(member.wire_name)
        return _ABSENT if header is None else _from_text(member.shape, header)
    if location == "payload":
        return request.body
    return _ABSENT  # uri labels and other locations: this service's model has none


def _json_default(value: Any) -> Any:
    raise TypeError(f"cannot serialize {type(value).__name__}")


@cache
def _header_members(operation: OperationModel) -> tuple[tuple[str, str], ...]:
    """(member, header name) of the output members that travel as headers."""
    shape = operation.output_shape
    if shape is None:
        return ()
    return tuple(
        (name, member.serialization["name"])
        for name, member in shape.members.items()
        if member.serialization.get("location") == "header"
    )


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
    for name, wire_name in _header_members(operation):
        if name in body_values:
            # HTTP header values are bytes: a value travels as UTF-8, and every client (http.client,
            # urllib3, WSGI per PEP 3333) reads those bytes as Latin-1. Doing the same here gives
            # every transport, in process included, the identical header text.
            headers[wire_name] = str(body_values.pop(name)).encode().decode("latin-1")
    payload_name = shape.serialization.get("payload")
    if payload_name is not None:
        payload = body_values.get(payload_name, b"")
        headers["Content-Type"] = "application/octet-stream"
        return HttpResponse(200, headers, bytes(payload))
    headers["Content-Type"] = "application/json"
    members = {key: value for key, value in body_values.items() if value is not None}
    if any(isinstance(value, JsonText) for value in members.values()):
        # Members the backend already wrote as JSON go in as they are, the others through json; one
        # join, so that a page of a thousand versions is copied once on its way to the wire's bytes.
        parts: list[str] = []
        for key, value in members.items():
            parts += (",", _quote(key), ":", value.text if isinstance(value, JsonText) else _dumps(value))
        parts[0] = "{"
        parts.append("}")
        body = "".join(parts)
    else:
        body = _dumps(members)
    return HttpResponse(200, headers, body.encode())


# One encoder for every response (`json.dumps` with options builds a new one per call). Results
# are trees, so the circular-reference check (a tenth of the cost) is left out.
_dumps = json.JSONEncoder(separators=(",", ":"), default=_json_default, check_circular=False).encode


def serialize_error(error: ServiceError) -> HttpResponse:
    body = {"message": error.message, **error.fields}
    headers = {
        "x-amzn-ErrorType": error.code,
        "x-amzn-RequestId": str(uuid.uuid4()),
        "Content-Type": "application/json",
        **error.headers,
    }
    return HttpResponse(error.http_status, headers, json.dumps(body).encode())
