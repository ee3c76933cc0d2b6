"""YAML read as plain data with the line of every key and item, for problems that name their line.

PyYAML's SafeLoader loses lines once it has built Python values and silently keeps the last of two
equal keys; `LineLoader` builds the values itself so that it can keep both facts. It also refuses
what YAML lets pass but a manifest must not hold: version keys YAML reads as numbers (`1.10` would
become 1.1), tags, aliases that expand a document beyond `MAX_ALIAS_VALUES` values, nesting deeper
than `MAX_DEPTH` levels, and values PyYAML cannot convert (`2026-13-01`, a number of 5,000 digits).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.problems import KeyPath, describe, render_path

# How many values aliases may add to one document when expanded. An alias repeats what its anchor
# holds, and nested aliases multiply: ten lines can stand for billions of values. Values written
# out once do not count, so a large manifest (an import of a big repository) is never refused.
MAX_ALIAS_VALUES = 200_000
TOO_LARGE = "document too large or too many aliases"
# How deep collections may nest. A manifest needs six levels; PyYAML composes, and `_build` builds,
# one Python call per level, so without a bound a few kilobytes of `[[[[...` exhaust the stack.
MAX_DEPTH = 100
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels (aliases and merges included)"

_MERGE_TAG = "tag:yaml.org,2002:merge"
# A scalar of this tag is its text: PyYAML's constructor (`construct_yaml_str`) returns `node.value`
# itself, so the builder takes it without the constructor's bookkeeping (most of a manifest's scalars).
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass
class LoadedDocument:
    """One YAML document as plain data, with the line of every key and item by its path."""

    data: Any
    line: int
    lines: dict[KeyPath, int] = field(default_factory=dict)
    # (line, "field.path: message") for what YAML itself lets pass: duplicate keys, unquoted versions.
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Where a problem above left no value: the schema's complaints about those places are noise.
    broken: set[KeyPath] = field(default_factory=set)
    # Aliases expand to more than MAX_ALIAS_VALUES values, or values nest deeper than MAX_DEPTH through
    # aliases or merges: `data` is None and `refused` says why; nothing else counts.
    refused: str | None = None

    def report(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        self.problems.append((_line(node), f"{render_path(path)}: {message}"))
        self.broken.add(path)

    def line_of(self, path: KeyPath) -> int:
        """The line of `path`, or of its nearest enclosing key or item that was written."""
        line = self.lines.get(path)
        if line is not None:
            return line
        for end in range(len(path) - 1, 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.line


class _LineBuilder:
    """Builds plain data from composed nodes itself, so that it can record the line of every mapping
    key and sequence item, refuse duplicate keys (PyYAML keeps the last one silently) and keep version
    keys that YAML would read as numbers from being converted. Mixed into a PyYAML loader, whose
    composer (`check_node`, `get_node`) and constructor (`construct_object`) it uses."""

    # The nodes of the current document built so far, how many were built again through aliases, and
    # how deep `_build` is now.
    _built: set[int]
    _repeats: int
    _building: int = 0

    if TYPE_CHECKING:

        def check_node(self) -> bool: ...
        def get_node(self) -> yaml.Node | None: ...
        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any: ...

    def documents(self) -> Iterator[LoadedDocument]:
        """Every document of the stream, empty ones included (their `data` is None)."""
        while self.check_node():
            node = self.get_node()
            if node is None:
                continue
            document = LoadedDocument(data=None, line=_line(node))
            self._built = set()
            self._repeats = 0
            self._building = 0
            try:
                document.data = self._build(node, (), document, set())
            except _Refused as refused:
                document = LoadedDocument(data=None, line=document.line, refused=str(refused))
            finally:
                self._built = set()
            yield document

    def _build(self, node: yaml.Node, path: KeyPath, document: LoadedDocument, active: set[int]) -> Any:
        if id(node) in active:
            document.report(node, path, "an alias refers to itself")
            return None
        if id(node) in self._built:
            # Built before: this is an alias (or lies below one) and adds a copy.
            self._repeats += 1
            if self._repeats > MAX_ALIAS_VALUES:
                raise _Refused(TOO_LARGE)
        else:
            self._built.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR_TAG else self._scalar(node, path, document)
        if self._building >= MAX_DEPTH:
            # Written nesting stops at the composer; this is nesting built up through aliases or merges.
            raise _Refused(TOO_DEEP)
        self._building += 1
        try:
            return self._collection(node, path, document, active)
        finally:
            self._building -= 1

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath, document: LoadedDocument) -> Any:
        try:
            return self.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            document.report(node, path, yaml_problem(exc))
        except Exception as exc:
            # PyYAML's constructors let Python's conversions raise as they will: ValueError for
            # 2026-13-01 or a number of 5,000 digits, KeyError for `!!bool maybe`.
            document.report(node, path, unconvertible(node, exc))
        return None

    def _collection(self, node: yaml.Node, path: KeyPath, document: LoadedDocument, active: set[int]) -> Any:
        if node.tag not in _COLLECTION_TAGS:
            document.report(node, path, f"YAML tag {node.tag} is not supported")
            return None
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                document.lines[(*path, index)] = _line(item)
                items.append(self._build(item, (*path, index), document, active))
            return items
        assert isinstance(node, yaml.MappingNode)
        return self._build_mapping(node, path, document, active)

    def _build_mapping(
        self, node: yaml.MappingNode, path: KeyPath, document: LoadedDocument, active: set[int]
    ) -> dict[Any, Any]:
        result = self._merged(node, path, document, active)
        written: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            line = _line(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                document.report(key_node, path, "a key must be a plain value")
                continue
            key = self._key(key_node, path, document)
            key_path = (*path, key)
            if key in written:
                document.problems.append(
                    (line, f"{render_path(key_path)}: {_duplicate(path, key, written[key], line)}")
                )
                continue
            written[key] = line
            if key in result:
                for stale in [known for known in document.lines if known[: len(key_path)] == key_path]:
                    del document.lines[stale]
            document.lines[key_path] = line
            result[key] = self._build(value_node, key_path, document, active)
        return result

    def _merged(
        self, node: yaml.MappingNode, path: KeyPath, document: LoadedDocument, active: set[int]
    ) -> dict[Any, Any]:
        """What the `<<: *defaults` keys of `node` bring in. They go first: explicit keys override merged
        ones, and the earlier of several merged mappings wins (YAML's merge-key rule)."""
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):
                    merged = self._build(source, path, document, active)
                    if isinstance(merged, dict):
                        result.update(merged)
                    else:
                        document.report(source, path, "<< merges mappings only")
        return result

    def _key(self, node: yaml.ScalarNode, path: KeyPath, document: LoadedDocument) -> Any:
        if node.tag == _STR_TAG:
            return node.value
        try:
            key = self.construct_object(node)
        except Exception:
            # An unreadable key (`2026-13-01:`) is kept as written; the schema names it if it is wrong.
            key = node.value
        if isinstance(key, str):
            return key
        if _is_versions(path):
            message = (
                f'version keys must be quoted strings: write "{node.value}" '
                f"(YAML reads {node.value} as {describe(key)})"
            )
            document.problems.append((_line(node), f"{render_path((*path, node.value))}: {message}"))
        # Other mappings keep the key as written, so that the schema names it as the user wrote it.
        return node.value


class LineLoader(_LineBuilder, yaml.SafeLoader):
    """The pure-Python loader: the reference for what a manifest's YAML means and how its errors read."""

    _composing: int = 0  # how deep `compose_node` is now

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """PyYAML's composer, refusing collections nested deeper than MAX_DEPTH where they are written."""
        if self._composing >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        self._composing += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._composing -= 1


class _Composed(Exception):
    """What the plain reading of libyaml's events leaves to the composer (see `plain_documents`)."""


# A tag a scalar or collection is written without: the resolver decides it, as the composer would.
_UNTAGGED = (None, "!")


if yaml.__with_libyaml__:

    class FastLineLoader(_LineBuilder, yaml.CSafeLoader):
        """The same building over libyaml's parser and composer (C), several times faster on large
        manifests. libyaml words some errors differently and bounds nesting at its own depth, so a
        stream it cannot read cleanly is read again by `LineLoader` (see `load_fast`)."""

        def plain_documents(self) -> Iterator[LoadedDocument]:
            """`documents()` built straight from libyaml's events, for streams with no anchor, alias,
            merge key, tagged collection, key that is not a scalar, or nesting deeper than MAX_DEPTH
            (any of these raises `_Composed`: `documents()` must read the stream). What is left is a
            tree read once, in order: the composer's nodes (half the time of a 100,000-pin manifest)
            would only be walked once and dropped. Each value, line and problem comes from the same
            resolver, constructor and checks as in `_LineBuilder`, so the documents are equal
            (tests/unit/test_yaml_loaders.py compares the two on every stream the tests read)."""
            get: Any = self.get_event
            get()  # the stream's start
            while not self.check_event(yaml.StreamEndEvent):
                get()  # the document's start
                root = get()
                document = LoadedDocument(data=None, line=root.start_mark.line + 1)
                document.data = self._plain(root, (), document, 0)
                get()  # the document's end
                yield document

        def _plain(self, event: Any, path: KeyPath, document: LoadedDocument, depth: int) -> Any:
            if event.anchor is not None:  # an anchor, or an alias (whose name is its `anchor`)
                raise _Composed
            kind = type(event)
            if kind is yaml.ScalarEvent:
                tag = event.tag
                if tag in _UNTAGGED:
                    resolve: Any = self.resolve
                    tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag == _STR_TAG:
                    return event.value
                return self._scalar(_scalar_node(event, tag), path, document)
            if event.tag not in _UNTAGGED or depth >= MAX_DEPTH:
                raise _Composed
            if kind is yaml.SequenceStartEvent:
                return self._plain_sequence(path, document, depth)
            return self._plain_mapping(path, document, depth)

        def _plain_sequence(self, path: KeyPath, document: LoadedDocument, depth: int) -> list[Any]:
            get: Any = self.get_event
            items: list[Any] = []
            lines = document.lines
            event = get()
            while type(event) is not yaml.SequenceEndEvent:
                item_path = (*path, len(items))
                lines[item_path] = event.start_mark.line + 1
                items.append(self._plain(event, item_path, document, depth + 1))
                event = get()
            return items

        def _plain_mapping(self, path: KeyPath, document: LoadedDocument, depth: int) -> dict[Any, Any]:
            get: Any = self.get_event
            resolve: Any = self.resolve
            result: dict[Any, Any] = {}
            written: dict[Any, int] = {}
            lines = document.lines
            event: Any = get()
            while type(event) is not yaml.MappingEndEvent:
                if type(event) is not yaml.ScalarEvent or event.anchor is not None:
                    raise _Composed
                tag = event.tag
                if tag in _UNTAGGED:
                    tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag == _MERGE_TAG:
                    raise _Composed
                start: Any = event.start_mark
                line = start.line + 1
                key = event.value if tag == _STR_TAG else self._key(_scalar_node(event, tag), path, document)
                key_path = (*path, key)
                if key in written:
                    document.problems.append(
                        (line, f"{render_path(key_path)}: {_duplicate(path, key, written[key], line)}")
                    )
                    self._skip_node()  # `_build_mapping` does not build a duplicate's value either
                else:
                    written[key] = line
                    lines[key_path] = line
                    result[key] = self._plain(get(), key_path, document, depth + 1)
                event = get()
            return result

        def _skip_node(self) -> None:
            open_collections = 0
            while True:
                event: Any = self.get_event()
                if getattr(event, "anchor", None) is not None:
                    raise _Composed  # an alias elsewhere may stand for what is skipped here
                if isinstance(event, yaml.CollectionStartEvent):
                    open_collections += 1
                elif isinstance(event, yaml.CollectionEndEvent):
                    open_collections -= 1
                if open_collections == 0:
                    return

    FAST_LOADER: type[FastLineLoader] | None = FastLineLoader
else:  # PyYAML built without libyaml
    FAST_LOADER = None


def _scalar_node(event: Any, tag: str) -> yaml.ScalarNode:
    """The node libyaml's composer makes of a scalar event whose tag is resolved."""
    return yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)


_READ_APART = frozenset("\t\ufeff?")


def load_fast(text: str) -> list[LoadedDocument] | None:
    """Every document of `text` read with libyaml, or None when it is not installed or the stream is
    not clean (a YAML error, or a document refused): then `LineLoader` must read it, so that problems
    read and are placed exactly as the pure-Python loader gives them. Problems `_LineBuilder` reports
    itself (duplicate keys, tags, unquoted versions) come from the same nodes either way. A stream
    with no anchors, aliases or merges (every manifest `import` writes) is built from the parser's
    events; any other from the composer's nodes."""
    # Characters the two read differently, found by tests/unit/test_yaml_loaders.py: libyaml takes a
    # tab or a `?` inside a plain scalar (`p\tackages:`, `{p? ackages: 1}`) as part of it where PyYAML
    # refuses it, and skips a byte order mark after the first line where PyYAML reads it as text. All
    # are rare in manifests: a text with one takes the pure-Python reading.
    if FAST_LOADER is None or not _READ_APART.isdisjoint(text):
        return None
    try:
        return _read_with(text, plain=True)
    except _Composed:
        return _read_with(text, plain=False)


def _read_with(text: str, plain: bool) -> list[LoadedDocument] | None:
    assert FAST_LOADER is not None
    loader = FAST_LOADER(text)
    try:
        documents = list(loader.plain_documents() if plain else loader.documents())
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return None if any(document.refused for document in documents) else documents


class _Refused(Exception):
    """A document too large or too deep to build: the message says which."""


# How a message names the value a tag asks for.
_TAG_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "timestamp": "a date",
    "binary": "base64 data",
    "null": "nothing",
}


def unconvertible(node: yaml.ScalarNode, exc: Exception) -> str:
    """Why PyYAML could not convert the scalar `node` to the type its tag (written or implied) names."""
    kind = str(node.tag).rsplit(":", 1)[-1]
    written = node.value if len(node.value) <= 40 else f"{node.value[:20]}...({len(node.value)} characters)"
    if "integer string conversion" in str(exc):
        return f"cannot read {written} as a number: more than 4300 digits"
    reason = f": {exc}" if isinstance(exc, ValueError) else ""
    return f"cannot read {written!r} as {_TAG_WORDS.get(kind, kind)}{reason}"


def _is_versions(path: KeyPath) -> bool:
    return len(path) == 3 and path[0] == "packages" and isinstance(path[1], int) and path[2] == "versions"


def _duplicate(path: KeyPath, key: Any, first: int, line: int) -> str:
    if _is_versions(path):
        return f"version {key} is pinned twice, at lines {first} and {line}"
    return f"duplicate key, first given at line {first}"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# What usually causes PyYAML's terser complaints.
_YAML_HINTS = {
    "expected <block end>": "check the indentation of this line against the lines above",
    "mapping values are not allowed here": "quote a value that contains ': '",
    "cannot start any token": "indent with spaces, not tabs, and quote values starting with @ or `",
    "found duplicate anchor": "give each anchor (&name) a new name",
    "found undefined alias": "define the anchor (&name) before its alias (*name)",
}


def yaml_problem(exc: yaml.YAMLError, text: str = "") -> str:
    """PyYAML's complaint with its column, the context it names and what usually causes it; `text`,
    the text read, places a character YAML forbids (its error gives only an offset)."""
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return (
            f"character {exc.character:#06x} is not allowed in YAML (column {column}): remove it, "
            "or write it as an escape in a double-quoted string"
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = exc.problem or exc.context or "unreadable"
    if exc.problem_mark is not None:
        text += f" (column {exc.problem_mark.column + 1})"
    if exc.problem and exc.context and exc.context_mark is not None:
        text += f", {exc.context} at line {exc.context_mark.line + 1}"
    hints = [hint for clue, hint in _YAML_HINTS.items() if clue in text]
    return f"{text}: {hints[0]}" if hints else text


def error_line(exc: yaml.YAMLError, text: str) -> int:
    """The line of `text` a YAML error is about (1 when it does not say)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return int(exc.problem_mark.line) + 1
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
