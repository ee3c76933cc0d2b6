"""`FastRestJSONParser` gives exactly what botocore's own rest-json parser gives.

Every output shape and every error shape of CodeArtifact's model, with JSON bodies generated from the
shapes (members present or missing, null, unknown keys, the wrong types botocore passes through),
is parsed by both; the results must be equal. Clients the reconciler makes must use it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.parsers import RestJSONParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.aws.client import Backend, connect
from reconciler.aws.parsing import FastParserFactory, FastRestJSONParser, fast_botocore_session
from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.local.seed import BulkVersion, bulk_load

MODEL = botocore.session.get_session().get_service_model("codeartifact")
OUTPUTS = sorted(
    (name, MODEL.operation_model(name).output_shape)
    for name in MODEL.operation_names
    if MODEL.operation_model(name).output_shape is not None
)
ERRORS = sorted((shape.name, shape) for shape in MODEL.error_shapes)
EXAMPLES = int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "15"))


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON values for `shape`: mostly well-formed, sometimes null, of another type, or with extra keys."""
    odd = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans())
    kind = shape.type_name
    if kind == "structure" and depth < 4:
        members = {
            member.serialization.get("name", name): st.one_of(values(member, depth + 1), st.none())
            for name, member in shape.members.items()
        }
        known = st.fixed_dictionaries({}, optional=members)
        extra = st.dictionaries(st.sampled_from(["unknownKey", "__type", "extra"]), odd, max_size=2)
        return st.one_of(known, st.builds(lambda a, b: {**a, **b}, known, extra), st.none())
    if kind == "list" and depth < 4:
        return st.lists(values(shape.member, depth + 1), max_size=3)
    if kind == "map" and depth < 4:
        return st.dictionaries(st.text(max_size=4), values(shape.value, depth + 1), max_size=2)
    if kind == "string":
        enum = shape.enum
        return st.sampled_from(enum) if enum else st.text(max_size=8)
    if kind in ("integer", "long"):
        return st.integers(min_value=-(2**40), max_value=2**40)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.one_of(st.integers(min_value=0, max_value=2**31), st.just("2026-11-29T12:00:00Z"))
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "blob":
        return st.just("aGVsbG8=")
    return odd


def response(body: Any, status: int = 200) -> dict[str, Any]:
    return {
        "status_code": status,
        "headers": {"x-amzn-requestid": "request-1", "content-type": "application/json"},
        "body": json.dumps(body).encode(),
    }


def outcome(parser: RestJSONParser, shape: Shape, body: Any, status: int) -> Any:
    """What the parser makes of the response, or that it fails (botocore fails on some wrong types)."""
    try:
        return parser.parse(response(body, status), shape)
    except (AttributeError, TypeError, ValueError):
        return "fails"


def parsed_alike(shape: Shape, body: Any, status: int = 200) -> None:
    assert outcome(FastRestJSONParser(), shape, body, status) == outcome(
        RestJSONParser(), shape, body, status
    )


@pytest.mark.parametrize(("operation", "shape"), OUTPUTS, ids=[name for name, _ in OUTPUTS])
def test_every_output_shape_is_parsed_as_botocore_parses_it(operation: str, shape: Shape) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=values(shape))
    def check(body: Any) -> None:
        parsed_alike(shape, body if isinstance(body, dict) else {})

    check()


@pytest.mark.parametrize(("name", "shape"), ERRORS, ids=[name for name, _ in ERRORS])
def test_every_error_shape_is_parsed_as_botocore_parses_it(name: str, shape: Shape) -> None:
    body = {"message": "no such package", "resourceId": "left-pad", "resourceType": "package"}
    parsed_alike(shape, body, status=404)


def test_a_page_of_versions_is_the_decoded_json_where_botocore_would_change_nothing() -> None:
    shape = MODEL.operation_model("ListPackageVersions").output_shape
    item = {
        "version": "1.0.0",
        "revision": "REV",
        "status": "Published",
        "origin": {"domainEntryPoint": {"repositoryName": "prod"}, "originType": "INTERNAL"},
    }
    odd = {**item, "futureMember": 1, "revision": None}
    body = {"versions": [item, odd], "format": "npm", "package": "left-pad", "nextToken": None}
    parsed_alike(shape, body)
    versions = FastRestJSONParser().parse(response(body), shape)["versions"]
    assert versions[0] == item
    assert "futureMember" not in versions[1] and "revision" not in versions[1]


def test_the_clients_the_reconciler_makes_use_the_fast_parser(tmp_path: Any) -> None:
    session = fast_botocore_session()
    client = session.create_client("codeartifact", region_name="us-east-1")
    assert isinstance(client._endpoint._response_parser_factory, FastParserFactory)
    path = tmp_path / "codeartifact.db"
    LocalCodeArtifact(path).close()
    connection = connect(Backend(local_db=str(path)))
    try:
        factory = connection.client._endpoint._response_parser_factory
        assert isinstance(factory.create_parser("rest-json"), FastRestJSONParser)
    finally:
        connection.close()


def test_the_read_paths_responses_over_http_are_what_botocore_makes_of_them(tmp_path: Any) -> None:
    """DescribePackageVersion (each step of an age bisection) and ListPackageVersions, answered by
    the local service over HTTP, read by a client of the reconciler and by boto3 as shipped."""
    path = tmp_path / "codeartifact.db"
    with LocalCodeArtifact(path) as service:
        now = service.clock()
        versions = [BulkVersion("left-pad", f"1.0.{v}", now - v * 86400.0, "Published") for v in range(30)]
        bulk_load(service, "acme", "store", "npm", versions)
    keys = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
    package = {"domain": "acme", "repository": "store", "format": "npm", "package": "left-pad"}
    with LocalCodeArtifact(path) as service, BackgroundServer(service) as server:
        fast = fast_botocore_session().create_client("codeartifact", endpoint_url=server.endpoint_url, **keys)
        shipped = botocore.session.get_session().create_client(
            "codeartifact", endpoint_url=server.endpoint_url, **keys
        )
        assert not isinstance(shipped._endpoint._response_parser_factory, FastParserFactory)

        def both(operation: str, **params: Any) -> tuple[Any, Any]:
            answers = [getattr(client, operation)(**params) for client in (fast, shipped)]
            for answer in answers:  # the request id and the date differ from call to call
                answer.pop("ResponseMetadata")
            return answers[0], answers[1]

        listed, expected = both("list_package_versions", **package, sortBy="PUBLISHED_TIME", maxResults=20)
        assert listed == expected and len(listed["versions"]) == 20
        described, expected = both("describe_package_version", **package, packageVersion="1.0.7")
        assert described == expected
        assert described["packageVersion"]["publishedTime"].timestamp() == pytest.approx(now - 7 * 86400.0)
