"""A faster reading of CodeArtifact's JSON responses, through botocore's own extension point.

botocore turns every response into Python values by walking the operation's output shape one value
at a time (`ResponseParser._parse_shape` looks up a handler per value). A page of 1,000 versions
from ListPackageVersions is about 4,000 such steps and costs several times the `json.loads` of the
page: at a million versions, most of a plan's CPU. The values botocore produces for CodeArtifact's
list results are, for nearly every structure, the decoded JSON itself: strings stay strings, no
member is renamed, no timestamp or blob needs converting.

`FastRestJSONParser` compiles each shape once into a function that gives exactly what botocore's
walk gives (held to it by tests/unit/test_parsing.py over every output and error shape of the
service): a structure whose JSON object holds only its own members, none of them null, is kept as
decoded and only its members that need converting are converted; anything else (unknown keys,
nulls, renamed members, timestamps, blobs, maps, documents, unions) goes through botocore's own
handlers. It is installed with botocore's documented component, `response_parser_factory`, on the
botocore session a client is made from; credentials, signing, endpoints and retries are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.model import Shape, StructureShape
from botocore.parsers import ResponseParserFactory, RestJSONParser
from botocore.utils import ensure_boolean, is_json_value_header

_Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


class FastRestJSONParser(RestJSONParser):  # type: ignore[misc]  # botocore is untyped
    """botocore's rest-json parser, with each shape's walk compiled once into one function."""

    def __init__(
        self, *args: Any, compiled: dict[int, tuple[Shape, _Convert]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # id(shape) -> (shape, its conversion): the shape is kept so that its id is never reused.
        # botocore makes a parser per response; the factory's parsers share one cache.
        self._compiled = {} if compiled is None else compiled
        self._compiling: set[str] = set()  # structures being compiled: a shape may contain itself

    def _parse_shape(self, shape: Shape, node: Any) -> Any:
        found = self._compiled.get(id(shape))
        if found is None:
            found = self._compiled[id(shape)] = (shape, self._compile(shape) or _same)
        return found[1](node)

    def _compile(self, shape: Shape) -> _Convert | None:
        """The conversion of `shape`'s values; None when they are kept as decoded."""
        kind = shape.type_name
        if kind == "string" and not is_json_value_header(shape):
            return None
        if kind in ("integer", "long"):
            return int
        if kind == "boolean":
            return ensure_boolean  # type: ignore[no-any-return]
        if kind == "list" and shape.serialization.get("location") != "header":
            member = self._compile(shape.member)
            if member is None:
                return list
            return lambda node: [member(item) for item in node]
        if kind == "structure" and not (shape.is_document_type or shape.is_tagged_union):
            if shape.name in self._compiling:
                return self._botocore(shape)  # recursive: the inner occurrence walks
            self._compiling.add(shape.name)
            try:
                return self._structure(shape)
            finally:
                self._compiling.discard(shape.name)
        return self._botocore(shape)

    def _structure(self, shape: StructureShape) -> _Convert:
        members = shape.members
        if any(member.serialization.get("name", name) != name for name, member in members.items()):
            return self._botocore(shape)
        names = frozenset(members)
        converted = [
            (name, convert) for name, member in members.items() if (convert := self._compile(member))
        ]
        walk = self._botocore(shape)

        def structure(node: Any) -> Any:
            # botocore keeps a structure's members that are not null, converted, and drops the rest.
            # When the decoded object has nothing to drop, that is the object itself.
            if node is None or not names.issuperset(node) or None in node.values():
                return walk(node)
            for name, convert in converted:
                value = node.get(name)
                if value is not None:
                    node[name] = convert(value)
            return node

        return structure

    def _botocore(self, shape: Shape) -> _Convert:
        """botocore's own handler for `shape` (its children come back through `_parse_shape`)."""
        return lambda node: RestJSONParser._parse_shape(self, shape, node)


class FastParserFactory(ResponseParserFactory):  # type: ignore[misc]  # botocore is untyped
    """botocore's parser factory, giving `FastRestJSONParser` for the rest-json protocol."""

    def __init__(self) -> None:
        super().__init__()
        self._compiled: dict[int, tuple[Shape, _Convert]] = {}

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-json":
            return FastRestJSONParser(compiled=self._compiled, **self._defaults)
        return super().create_parser(protocol_name)


def fast_botocore_session() -> botocore.session.Session:
    """A botocore session whose clients read responses with `FastRestJSONParser`."""
    session = botocore.session.get_session()
    session.register_component("response_parser_factory", FastParserFactory())
    return session
