"""A pull-request or issue comment in parts: the hidden marker, links into the repository, and the
split of a long comment into numbered parts that each fit GitHub's limit.

GitHub refuses a comment longer than 65,536 characters. A comment here is a list of blocks; a block
too long for what is left of a part is continued in the next part with its head repeated (a table's
header, a collapsed section's summary, an alert's first line), so no row is ever left out. Part 1
carries an index of the parts when there are several. Every part starts with a hidden marker line,
`<!-- reconciler:KIND targets=ID part=I/N -->`, by which a CI step finds the comment it posted
before and updates it in place.

Links are made only from what the CI environment provides (`CommentContext`); without it, the
comment names files and lines as plain text. Everything here is pure: the command line reads the
environment and the file system and passes the values in.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from reconciler.github.env import GitHubEnv
from reconciler.plan import AcceptedVersion, TargetIdentity
from reconciler.render.markup import GITHUB_COMMENT_LIMIT, code_span, escape_markdown

PART_SEPARATOR = "\n---\n\n"  # between parts on stdout: a blank line, a horizontal rule, a blank line
# Room kept in every part for its marker line and the heading of a continued part.
_PART_HEAD_ROOM = 400
# A row longer than this is shortened (a reason quoting a huge pattern): a part must always hold one.
MAX_ROW = 8_000
# Parts named one by one in part 1's index; a plan needing more names the rest as a range.
_INDEXED_PARTS = 100
_INDEX_LABEL = 80


@dataclass(frozen=True, slots=True)
class CommentContext:
    """What the CI run says about itself (GitHub Actions' `GITHUB_*` variables), and where each
    manifest file lives in the repository.

    `sources` maps a manifest file as the plan names it to its path from the repository's root
    (POSIX separators); a file not in it is named as plain text. `plan_path` is the saved plan file,
    for the next step's command.
    """

    server_url: str | None = None
    repository: str | None = None
    sha: str | None = None
    run_id: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    plan_path: str | None = None

    @classmethod
    def from_github(
        cls,
        env: GitHubEnv,
        sources: Mapping[str, str] | None = None,
        plan_path: str | None = None,
    ) -> CommentContext:
        """The context a job's environment gives (values of an unexpected shape are already unset)."""
        return cls(
            server_url=env.server_url or None,
            repository=env.repository or None,
            sha=env.sha or None,
            run_id=env.run_id or None,
            sources=dict(sources or {}),
            plan_path=plan_path,
        )

    @property
    def _repository_url(self) -> str | None:
        if self.server_url and self.repository:
            return f"{self.server_url}/{self.repository}"
        return None

    @property
    def commit_url(self) -> str | None:
        base = self._repository_url
        return f"{base}/commit/{self.sha}" if base and self.sha else None

    @property
    def run_url(self) -> str | None:
        base = self._repository_url
        return f"{base}/actions/runs/{self.run_id}" if base and self.run_id else None

    def line_url(self, file: str, line: int) -> str | None:
        """The manifest line at this commit: `{server}/{repo}/blob/{sha}/{path}#L{line}`."""
        base = self._repository_url
        path = self.sources.get(file)
        if not (base and self.sha and path):
            return None
        return f"{base}/blob/{self.sha}/{quote(path, safe='/')}#L{line}"


def targets_id(targets: Sequence[TargetIdentity]) -> str:
    """A stable short id of what a plan or drift report was made against (endpoint, Region, each
    domain and its owner): the first 12 hex digits of the SHA-256 of their canonical JSON: of the one
    target's object in a run of one Region (the id it always had), of the list of them in a run of several."""
    identities = [
        {"endpoint": target.endpoint, "region": target.region, "domains": dict(target.domains)}
        for target in targets
    ]
    identity: object = identities[0] if len(identities) == 1 else identities
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def marker(kind: str, targets: str, part: int, parts: int) -> str:
    """The hidden first line of every part, by which a CI step finds its own comment."""
    return f"<!-- reconciler:{kind} targets={targets} part={part}/{parts} -->"


def provenance_links(text: str, files: Sequence[str], context: CommentContext) -> str:
    """`text` escaped for Markdown, each `FILE:LINE` of a manifest file in it a link to that line
    at the commit when the context can make one (plain text otherwise)."""
    pattern = _provenance(tuple(files))
    if pattern is None:
        return escape_markdown(text)
    pieces: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        url = context.line_url(found["file"], int(found["line"]))
        if url is None:
            continue
        pieces += [escape_markdown(text[last : found.start()]), f"[{escape_markdown(found.group())}]({url})"]
        last = found.end()
    pieces.append(escape_markdown(text[last:]))
    return "".join(pieces)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _provenance(files: tuple[str, ...]) -> re.Pattern[str] | None:
    """A manifest file named by the plan followed by `:LINE` (longest names first, so that
    `a/b.yaml` is not read as `b.yaml`); one pattern per set of files."""
    if files not in _PATTERNS:
        names = sorted(set(files), key=len, reverse=True)
        _PATTERNS[files] = (
            re.compile(rf"(?<![\w/.-])(?P<file>{'|'.join(map(re.escape, names))}):(?P<line>[0-9]{{1,9}})\b")
            if names
            else None
        )
    return _PATTERNS[files]


def run_line(first: str | None, context: CommentContext) -> str:
    """`first` (the plan's digest), then the commit and the run when the environment names them;
    empty when there is nothing to say."""
    pieces = [first] if first else []
    if context.sha:
        short = code_span(context.sha[:12])
        pieces.append(f"commit [{short}]({context.commit_url})" if context.commit_url else f"commit {short}")
    if context.run_url:
        pieces.append(f"[workflow run {context.run_id}]({context.run_url})")
    return " · ".join(pieces)


# -- blocks and parts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a comment: `head` lines, then `rows`, then `tail` lines.

    A block too long for what is left of a part is cut between two rows and continued in the next
    part, opening with `continued` (the head again, by default) and closing with `tail` each time:
    a table keeps its header, a `<details>` section its summary, an alert its first line. `label`
    names what the block is about, for the index of the parts.
    """

    head: tuple[str, ...]
    rows: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    continued: tuple[str, ...] | None = None
    label: str | None = None

    def text(self, rows: Sequence[str], first: bool = True) -> str:
        head = self.head if first or self.continued is None else self.continued
        return "\n".join([*head, *rows, *self.tail])


@dataclass
class _Part:
    blocks: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    used: int = 0

    def add(self, text: str, label: str | None) -> None:
        self.blocks.append(text)
        self.used += len(text) + 2
        if label is not None and label not in self.labels:
            self.labels.append(label)


def split_comment(
    kind: str,
    targets: str,
    top: Sequence[Block],
    body: Sequence[Block],
    continued_heading: Callable[[int, int], str],
    limit: int = GITHUB_COMMENT_LIMIT,
) -> list[str]:
    """The comment as parts of at most `limit` characters each, every row of every block in exactly
    one part, in order. `top` opens part 1; when there are several parts, part 1 lists them (an
    index, after `top`), and each later part opens with `continued_heading(part, parts)`."""
    # The index's size depends on the split, and the split on the room kept for the index. The room
    # only grows, and an index is of bounded size (at most `_INDEXED_PARTS` lines of bounded
    # labels), so this ends, with room enough for the index of the split it ends with.
    reserve = 0
    while True:
        parts = _pack([*top, *body], limit, first_room=reserve)
        needed = len(_index(parts)) + 2 if len(parts) > 1 else 0
        if needed <= reserve:
            break
        reserve = needed + 200
    total = len(parts)
    texts = []
    for number, part in enumerate(parts, start=1):
        blocks = list(part.blocks)
        if total > 1 and number == 1:
            blocks.insert(len(top), _index(parts))
        elif number > 1:
            blocks.insert(0, continued_heading(number, total))
        texts.append(marker(kind, targets, number, total) + "\n" + "\n\n".join(blocks) + "\n")
    return texts


def join_parts(parts: Sequence[str]) -> str:
    """Every part, in order, as one text (what `--output markdown` prints)."""
    return PART_SEPARATOR.join(parts)


def _pack(blocks: Sequence[Block], limit: int, first_room: int) -> list[_Part]:
    room = limit - _PART_HEAD_ROOM
    longest = min(MAX_ROW, room // 4)
    parts = [_Part(used=first_room)]
    for block in blocks:
        rows = [_bounded(row, longest) for row in block.rows]
        whole = block.text(rows)
        if parts[-1].used + len(whole) + 2 <= room:
            parts[-1].add(whole, block.label)
            continue
        if not rows or len(block.text(rows[:1])) + 2 > room - parts[-1].used:
            # Not even its first row fits here: the block starts a part of its own.
            if parts[-1].blocks:
                parts.append(_Part())
            if len(whole) + 2 <= room or not rows:
                parts[-1].add(_bounded(whole, room - 2), block.label)
                continue
        first = True
        while rows:
            taken = _rows_that_fit(block, rows, first, room - parts[-1].used - 2)
            if not taken:
                parts.append(_Part())
                taken = max(1, _rows_that_fit(block, rows, first, room - 2))
            parts[-1].add(block.text(rows[:taken], first), block.label)
            rows = rows[taken:]
            first = False
            if rows:
                parts.append(_Part())
    return parts


def _rows_that_fit(block: Block, rows: Sequence[str], first: bool, room: int) -> int:
    used = len(block.text((), first)) + 1
    taken = 0
    for row in rows:
        used += len(row) + 1
        if used > room:
            break
        taken += 1
    return taken


def _bounded(row: str, length: int) -> str:
    return row if len(row) <= length else row[: length - 1] + "…"


def _index(parts: Sequence[_Part]) -> str:
    total = len(parts)
    lines = [f"**This comment is in {total} parts**, posted in order:", ""]
    for number, part in enumerate(parts[:_INDEXED_PARTS], start=1):
        what = "the summary" if number == 1 else "changes"
        if part.labels:
            first, last = _short(part.labels[0]), _short(part.labels[-1])
            what += f", {code_span(first)}" if first == last else f", {code_span(first)} to {code_span(last)}"
        here = " (this comment)" if number == 1 else ""
        lines.append(f"{number}. Part {number} of {total}{here}: {what}")
    if total > _INDEXED_PARTS:
        lines.append(f"{_INDEXED_PARTS + 1}. Parts {_INDEXED_PARTS + 1} to {total}: the rest, in order")
    return "\n".join(lines)


def _short(label: str) -> str:
    return label if len(label) <= _INDEX_LABEL else label[: _INDEX_LABEL - 1] + "…"


_ACCEPTED_HEAD = ("| package | version | live | declared | declared by |", "| --- | --- | --- | --- | --- |")


def md_accepted(
    accepted: Sequence[AcceptedVersion], files: tuple[str, ...], context: CommentContext
) -> list[Block]:
    """The versions left in a live status the manifests accept, collapsed: shown on request."""
    if not accepted:
        return []
    summary = f"{len(accepted)} accepted as they are (live status kept by <code>accept</code>)"
    rows = tuple(
        f"| {code_span(str(item.package))} | {code_span(item.version)} | {escape_markdown(item.live.value)} | "
        f"{escape_markdown(item.declared.value)} | {provenance_links(item.reason, files, context)} |"
        for item in accepted
    )
    return [
        Block(
            (f"<details><summary>{summary}</summary>", "", *_ACCEPTED_HEAD),
            rows,
            ("", "</details>"),
            continued=(f"<details><summary>{summary} (continued)</summary>", "", *_ACCEPTED_HEAD),
            label="accepted",
        )
    ]
