"""What every view shares: Markdown escaping and GitHub's comment limit, counting words, styled lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from rich.color import ColorSystem
from rich.style import Style

from reconciler.addresses import PackageRef
from reconciler.plan import AcceptedVersion, TargetIdentity

RenderFormat = Literal["text", "json", "markdown"]

# GitHub rejects an issue or pull-request comment longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536


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


# The escape codes that open and close a style, by style: for views that write a line per version.
StyleCodes = Callable[[str], tuple[str, str]]


def style_codes(color: bool) -> StyleCodes:
    """The escape codes that open and close a style (none without `color`), as `join_spans` writes
    them around any non-empty text, worked out once a style instead of once a line."""
    known: dict[str, tuple[str, str]] = {}

    def codes(style: str) -> tuple[str, str]:
        if not color or not style:
            return "", ""
        if style not in known:
            before, _, after = join_spans([("\0", style)], color=True).partition("\0")
            known[style] = (before, after)
        return known[style]

    return codes


def paint(text: str, style: str, codes: StyleCodes) -> str:
    """`join_spans([(text, style)], color)` for a non-empty `text`, with the codes of `style_codes(color)`."""
    before, after = codes(style)
    return f"{before}{text}{after}"


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


# Text in HTML's `<code>`: every character Markdown, a table or HTML would read as syntax is an
# entity, so it shows as written whether or not GitHub reads the surrounding line as Markdown.
_HTML_CODE = str.maketrans(
    {
        "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "[": "&#91;", "]": "&#93;", "`": "&#96;",
        "|": "&#124;", "*": "&#42;", "_": "&#95;", "~": "&#126;", "\\": "&#92;", "\n": " ", "\r": " ",
    }
)  # fmt: skip


def html_code(text: str) -> str:
    """`<code>text</code>`, safe in a table cell, a `<summary>` or a line of Markdown."""
    return f"<code>{text.translate(_HTML_CODE)}</code>"


def code_span(text: str) -> str:
    """`text` as inline code that is safe in a table cell, whatever backticks or pipes it holds.

    Text holding an HTML comment's delimiter (`<!--`, `-->`) is written as `<code>` with entities
    instead: in a backtick span it would stay in the comment's source as is, where a CI step looking
    for the hidden marker (`render.comment.marker`) could take it for one.
    """
    text = text.replace("\n", " ").replace("\r", " ")
    if "<!--" in text or "-->" in text:
        return html_code(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def target_lines(
    targets: Sequence[TargetIdentity], api_calls: Mapping[str, int], provenance: str
) -> list[Line]:
    """The head of a text view, the same in every view: where, whose domains (a pair of lines per
    Region), what reading cost, and where the report comes from (`provenance`, dimmed)."""
    lines: list[Line] = []
    for target in targets:
        domains = ", ".join(f"{domain} (owner {owner})" for domain, owner in sorted(target.domains.items()))
        lines += [
            [("Target: ", "bold"), (f"{target.endpoint} (region {target.region})", "")],
            [("Domains: ", "bold"), (domains or "none", "")],
        ]
    return [*lines, [(f"Read with {calls_phrase(api_calls)}", "")], [(provenance, "dim")]]


def markdown_targets(targets: Sequence[TargetIdentity]) -> str:
    """`Target `E` (region `R`), domains `D` (owner `O`)`, for each Region, joined with `; `."""
    phrases = []
    for target in targets:
        domains = ", ".join(
            f"{code_span(domain)} (owner {code_span(owner)})"
            for domain, owner in sorted(target.domains.items())
        )
        phrases.append(
            f"Target {code_span(target.endpoint)} (region {code_span(target.region)}), domains {domains or 'none'}"
        )
    return "; ".join(phrases)


def accepted_lines(accepted: Sequence[AcceptedVersion]) -> list[Line]:
    """The versions left in a live status the manifests accept (`--show-accepted`), in the plan's
    order (package, then version), each with the status the manifests declare and why."""
    if not accepted:
        return [[("No version is accepted as it is.", "dim")]]
    lines: list[Line] = [[(f"Accepted as they are ({len(accepted)}):", "bold")]]
    for item in accepted:
        lines.append(
            [
                (f"  = {item.package}@{item.version}  ", ""),
                (f"live {item.live.value}, declared {item.declared.value}", "cyan"),
                (f"  # {item.reason}", "dim"),
            ]
        )
    return lines
