"""What every view shares: Markdown escaping and the comment size budget, counting words, styled lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from rich.color import ColorSystem
from rich.style import Style

from reconciler.addresses import PackageRef
from reconciler.plan import TargetIdentity
from reconciler.text import plural

RenderFormat = Literal["text", "json", "markdown"]

# GitHub rejects an issue or pull-request comment longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536
# What the Markdown view allows itself, leaving room for whatever a CI job wraps around it.
MARKDOWN_BUDGET = 60_000
MARKDOWN_ROWS_PER_PACKAGE = 200
# Warnings and errors listed in the comment before "... and N more".
MARKDOWN_NOTES_LISTED = 50
# Room kept free for the one-line list of packages that get no section, and for the closing line.
MARKDOWN_LIST_ROOM = 2_000
MARKDOWN_CLOSING_ROOM = 500


def calls_phrase(api_calls: Mapping[str, int]) -> str:
    """`12 ListPackageVersions, 3 DescribePackageVersion calls`, the most used operation first."""
    spent = sorted(((count, name) for name, count in api_calls.items() if count), key=lambda c: (-c[0], c[1]))
    if not spent:
        return "no API calls"
    total = sum(count for count, _ in spent)
    return ", ".join(f"{count} {name}" for count, name in spent) + (" call" if total == 1 else " calls")


def label(address: PackageRef) -> str:
    # A domain has one owner in a plan (manifest validation enforces it); the header names it.
    return str(address)


Span = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Span]


def join_spans(line: Line, color: bool) -> str:
    if not color:
        return "".join(text for text, _ in line)
    return "".join(
        Style.parse(style).render(text, color_system=ColorSystem.STANDARD) if style else text
        for text, style in line
    )


# -- markdown ----------------------------------------------------------------------------------------

_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "~": "\\~", "|": "\\|",
        "&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": " ", "\r": " ",
    }
)  # fmt: skip


def escape_markdown(text: str) -> str:
    """Text that GitHub renders literally, even inside a table cell.

    A zero-width space after `@` and before an issue number keeps `@acme/web-sdk` from notifying a
    team and `#12` from linking an issue, as Renovate's comments do.
    """
    return re.sub(r"@|#(?=\d)", lambda found: found.group() + "&#8203;", text.translate(_MD_ESCAPES))


def code_span(text: str) -> str:
    """`text` as inline code that is safe in a table cell, whatever backticks or pipes it holds."""
    text = text.replace("\n", " ").replace("\r", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def fit_markdown(blocks: list[str], sections: list[tuple[str, str]], more: str) -> str:
    """Join a comment's `blocks` and as many package `sections` as fit GitHub's comment limit.

    `sections` are (collapsible section, one-line list entry) per package: sections are expanded
    while they fit, then packages are listed one line each, then the rest counted, with `more`
    saying where to see them all.
    """
    blocks = list(blocks)
    used = sum(len(block) + 2 for block in blocks)
    shown = 0
    for section, _ in sections:
        if used + len(section) + 2 > MARKDOWN_BUDGET - MARKDOWN_LIST_ROOM:
            break
        blocks.append(section)
        used += len(section) + 2
        shown += 1
    rest = sections[shown:]
    if rest:
        listed = []
        for _, entry in rest:
            if used + len(entry) + 1 > MARKDOWN_BUDGET - MARKDOWN_CLOSING_ROOM:
                break
            listed.append(entry)
            used += len(entry) + 1
        if listed:
            blocks.append("Not expanded, for lack of room in this comment:\n\n" + "\n".join(listed))
        hidden = len(rest) - len(listed)
        if hidden:
            blocks.append(f"… {plural(hidden, 'more package')} not shown; {more}.")
    return "\n\n".join(blocks) + "\n"


def target_lines(target: TargetIdentity, api_calls: Mapping[str, int], provenance: str) -> list[Line]:
    """The head of a text view, the same in every view: where, whose domains, what reading cost,
    and where the report comes from (`provenance`, dimmed)."""
    domains = ", ".join(f"{domain} (owner {owner})" for domain, owner in sorted(target.domains.items()))
    return [
        [("Target: ", "bold"), (f"{target.endpoint} (region {target.region})", "")],
        [("Domains: ", "bold"), (domains or "none", "")],
        [(f"Read with {calls_phrase(api_calls)}", "")],
        [(provenance, "dim")],
    ]
