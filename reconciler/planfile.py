"""Saved plans: the plan file's JSON mapping (one home), streamed to the file, checked on read.

The file is canonical JSON (sorted keys, two-space indent), so the same plan always gives the
same bytes, and it is written atomically, so a half-written plan can never be applied; its text is
streamed as it is made, the digest computed over the same chunks (`stream_plan`). Reading
validates the document against its schema (pydantic, at the file edge) and builds the plan's
plain values from it.

The plan's digest is the SHA-256 (64 lowercase hex digits) of its canonical JSON, UTF-8: the plan
file exactly as `write_plan` writes it (keys sorted, two-space indent, non-ASCII escaped, a final
newline). It covers every field of the file: the target, every action with its versions' statuses,
revisions and reasons, the errors, warnings, counts, times and manifests digest, and the bytes the
disposes reclaim when the plan was made with `--estimate-size` (a reviewer saw them too). For a file written
by `plan` it is `sha256sum FILE`; a plan read back is digested over its canonical JSON again, so
reformatting a file does not change its digest but any change of its content does.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import MAX_VERSIONS_PER_CALL, Format, Status
from reconciler.errors import PlanFormatError, ReconcilerError
from reconciler.files import output_stream, read_input, unwritable_reason
from reconciler.plan import (
    FORMAT_VERSION,
    AcceptedVersion,
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.problems import describe, problem_lines

# -- values to JSON ----------------------------------------------------------------------------------


def package_json(ref: PackageRef) -> dict[str, Any]:
    """A package as the plan file (and every JSON view) names it; its Region only in a plan of several
    Regions, so a plan of one Region is the file (and digest) it always was."""
    document = {
        "domain": ref.repository.domain,
        "domain_owner": ref.repository.domain_owner,
        "repository": ref.repository.repository,
        "format": ref.format.value,
        "namespace": ref.namespace,
        "package": ref.package,
    }
    if ref.repository.region is not None:
        document["region"] = ref.repository.region
    return document


def target_json(target: TargetIdentity) -> dict[str, Any]:
    return {"endpoint": target.endpoint, "region": target.region, "domains": dict(target.domains)}


def targets_json(targets: tuple[TargetIdentity, ...]) -> dict[str, Any]:
    """A plan's targets: `target`, one object, for a plan of one Region (the file as it always was);
    `targets`, a list in Region order, for a plan of several."""
    if len(targets) == 1:
        return {"target": target_json(targets[0])}
    return {"targets": [target_json(target) for target in targets]}


def problem_json(problem: VersionProblem) -> dict[str, Any]:
    return {
        "package": package_json(problem.package),
        "version": problem.version,
        "message": problem.message,
        "origin": problem.origin,
    }


def _change_json(change: VersionChange) -> dict[str, Any]:
    return {
        "version": change.version,
        "prior_status": change.prior_status.value,
        "prior_revision": change.prior_revision,
        "after": change.after.value,
        "reason": change.reason,
    }


def _changes_json(changes: tuple[VersionChange, ...]) -> list[dict[str, Any]]:
    return [_change_json(change) for change in changes]


def _action_json(
    action: Action, changes: Callable[[tuple[VersionChange, ...]], Any] = _changes_json
) -> dict[str, Any]:
    return {
        "kind": action.kind.value,
        "package": package_json(action.package),
        "expected_status": action.expected_status.value,
        "target_status": action.target_status.value,
        "versions": changes(action.versions),
        "source_repository": action.source_repository,
        "allow_overwrite": action.allow_overwrite,
        "include_from_upstream": action.include_from_upstream,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan file's document: what `json.load` reads from the file."""
    return _plan_values(plan, _changes_json)


def _plan_values(plan: Plan, changes: Callable[[tuple[VersionChange, ...]], Any]) -> dict[str, Any]:
    summary = plan.summary
    document: dict[str, Any] = {
        "format_version": plan.format_version,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "evaluated_at": plan.evaluated_at,
        "manifest_digest": plan.manifest_digest,
        "manifest_files": list(plan.manifest_files),
        **targets_json(plan.targets),
        "actions": [_action_json(action, changes) for action in plan.actions],
        "errors": [problem_json(problem) for problem in plan.errors],
        "warnings": list(plan.warnings),
        # The counts under the words every view uses (docs/output.md).
        "summary": {
            "to_copy": summary.to_copy,
            "to_update": summary.to_update,
            "to_dispose": summary.to_dispose,
            "as_declared": summary.unchanged,
            "unmanaged": summary.unmanaged,
            "cannot_converge": summary.errors,
        },
        "api_calls": dict(plan.api_calls),
        "package_versions": dict(plan.package_versions),
    }
    # Only when estimated (`plan --estimate-size`): a plan without it, read and written again, is the
    # same file with the same digest as before the field existed.
    if plan.reclaimed_bytes is not None:
        document["reclaimed_bytes"] = dict(plan.reclaimed_bytes)
    # Likewise only when the plan deletes, or some version is accepted (`accept`): older plans keep
    # their digest.
    if summary.to_delete:
        document["summary"]["to_delete"] = summary.to_delete
    if plan.accepted:
        document["summary"]["accepted"] = summary.accepted
        document["accepted"] = [_accepted_json(item) for item in plan.accepted]
    return document


def _accepted_json(item: AcceptedVersion) -> dict[str, Any]:
    return {
        "package": package_json(item.package),
        "version": item.version,
        "live": item.live.value,
        "declared": item.declared.value,
        "reason": item.reason,
    }


# -- the canonical text -------------------------------------------------------------------------------
#
# `json.dumps(plan_document(plan), indent=2, sort_keys=True) + "\n"`, byte for byte (the digest is
# defined over it), made without json's encoder: with an indent, json uses its pure-Python encoder,
# a generator per container and several small strings per value, 9 s for a million changes. Here
# strings are escaped by json's own C function (`encode_basestring_ascii`, what `ensure_ascii`
# uses), each version change is one f-string, and the text is yielded a few thousand values at a
# time, so that neither the whole text nor a document of a million dictionaries is ever held.

_ESCAPE: Callable[[str], str] = json.encoder.encode_basestring_ascii
_STATUS = {status: _ESCAPE(status.value) for status in Status}
_PIECES = 1024  # pieces joined into one chunk: about 30 a package and its action, whose changes are one


def plan_chunks(plan: Plan) -> Iterator[str]:
    """The plan's canonical JSON text (see the module's documentation), in chunks: ASCII only."""
    document = _plan_values(plan, _Changes)  # an action's changes stay values: `_encode` writes them
    out: list[str] = ["{"]
    separator = "\n  "
    for key, value in sorted(document.items()):
        out.append(f"{separator}{_ESCAPE(key)}: ")
        separator = ",\n  "
        if type(value) is list and value:
            # A list at the top (actions, errors, accepted) is yielded as it is written.
            opening = "[\n    "
            for item in value:
                out.append(opening)
                opening = ",\n    "
                _encode(item, 2, out)
                if len(out) >= _PIECES:
                    yield "".join(out)
                    out.clear()
            out.append("\n  ]")
        else:
            _encode(value, 1, out)
    out.append("\n}\n")
    yield "".join(out)


def _encode(value: Any, level: int, out: list[str]) -> None:
    """Append `value`'s JSON as `json.dumps(indent=2, sort_keys=True)` writes it at `level` (the
    indent of the line it starts on) to `out`."""
    if type(value) is _Changes:
        out.append(_changes(value.changes, level))
    elif isinstance(value, dict):
        _encode_object(value, level, out)
    elif isinstance(value, list | tuple):
        _encode_array(value, level, out)
    else:
        out.append(_scalar(value))


def _encode_object(value: dict[Any, Any], level: int, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = "\n" + "  " * (level + 1)
    opening = "{" + inner
    for key, item in sorted(value.items()):
        if not isinstance(key, str):
            raise TypeError(f"keys must be str, not {type(key).__name__}")
        out.append(f"{opening}{_ESCAPE(key)}: ")
        opening = "," + inner
        _encode(item, level + 1, out)
    out.append("\n" + "  " * level + "}")


def _encode_array(value: list[Any] | tuple[Any, ...], level: int, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = "\n" + "  " * (level + 1)
    opening = "[" + inner
    for item in value:
        out.append(opening)
        opening = "," + inner
        _encode(item, level + 1, out)
    out.append("\n" + "  " * level + "]")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _ESCAPE(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        # As json writes floats (`allow_nan` is its default; no plan holds a NaN: `evaluated_at` is
        # bounded when read).
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class _Changes:
    """An action's changes in the document `plan_chunks` writes: `_changes_json(changes)` there."""

    __slots__ = ("changes",)

    def __init__(self, changes: tuple[VersionChange, ...]) -> None:
        self.changes = changes


def _changes(changes: tuple[VersionChange, ...], level: int) -> str:
    """`_changes_json(changes)` as `_encode` would write it at `level`, one f-string per change: a
    plan holds a million. What the keys and statuses around the values make is worked out once a
    level, and each reason is escaped once an action (its changes mostly share one)."""
    if not changes:
        return "[]"
    escape = _ESCAPE
    after_text, prior_text, before_version, close, item, pad = _change_frame(level)
    reason_text = {
        reason: f"{escape(reason)}{before_version}" for reason in {change.reason for change in changes}
    }
    written = [
        f"{after_text[after]}{escape(revision)}{prior_text[prior]}{reason_text[reason]}{escape(version)}{close}"
        for version, prior, revision, after, reason in changes
    ]
    return f"[{item}{(',' + item).join(written)}{pad}]"


@functools.cache
def _change_frame(level: int) -> tuple[dict[Status, str], dict[Status, str], str, str, str, str]:
    """What `_changes` writes around a change's values at `level`: a change is written as
    `after_text[after] revision prior_text[prior] reason before_version version close`, the changes
    joined by `,` and `item`, and the list closed by `pad` and `]`."""
    pad = "\n" + "  " * level
    item = pad + "  "
    key = item + "  "
    after = {status: f'{{{key}"after": {text},{key}"prior_revision": ' for status, text in _STATUS.items()}
    prior = {status: f',{key}"prior_status": {text},{key}"reason": ' for status, text in _STATUS.items()}
    return after, prior, f',{key}"version": ', item + "}", item, pad


def plan_json(plan: Plan) -> str:
    """The plan's canonical JSON text, whole (the file `write_plan` writes)."""
    return "".join(plan_chunks(plan))


def plan_digest(plan: Plan) -> str:
    """The plan's digest: SHA-256 of its canonical JSON (see the module's documentation)."""
    return stream_plan(plan, lambda chunk: None)


def digest_of(canonical: str) -> str:
    """The digest of a plan's canonical JSON text (`plan_json`)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stream_plan(plan: Plan, write: Callable[[str], object]) -> str:
    """Pass the plan's canonical text to `write` a chunk at a time; returns its digest, computed
    over the same text, so that the text is made once and never held whole."""
    digest = hashlib.sha256()
    for chunk in plan_chunks(plan):
        digest.update(chunk.encode("ascii"))
        write(chunk)
    return digest.hexdigest()


# -- the file's schema -------------------------------------------------------------------------------


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Bounds no plan reaches, so that what a reader computes from a file's numbers (sums, times) stays in
# range: a count is at most 2**53 and a moment lies between 1970 and 9999.
Count = Annotated[int, Field(ge=0, le=2**53)]
Moment = Annotated[float, Field(ge=0, le=253_402_300_799, allow_inf_nan=False)]


def _time_text(value: str) -> str:
    """A time as plan writes it (ISO 8601 with its UTC offset), kept as written: the digest is over
    the file's text, and the views and the journal show it as it is."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{value!r} is not a time with its UTC offset, such as 2026-01-15T08:00:00+00:00")
    return value


Time = Annotated[str, AfterValidator(_time_text)]


class _Package(_Document):
    domain: str
    domain_owner: str | None = None
    repository: str
    format: Format
    namespace: str | None = None
    package: str
    region: str | None = None  # only in a plan of several Regions

    def value(self) -> PackageRef:
        return PackageRef(
            RepositoryRef(self.domain, self.repository, self.domain_owner, self.region),
            self.format,
            self.namespace,
            self.package,
        )


class _Change(_Document):
    version: str
    prior_status: Status
    prior_revision: str
    after: Status
    reason: str


class _Action(_Document):
    kind: ActionKind
    package: _Package
    expected_status: Status
    target_status: Status
    # One action is one call: at least one version, at most what a call takes.
    versions: Annotated[tuple[_Change, ...], Field(min_length=1, max_length=MAX_VERSIONS_PER_CALL)]
    source_repository: str | None = None
    allow_overwrite: bool = False
    include_from_upstream: bool = False

    def value(self) -> Action:
        return Action(
            kind=self.kind,
            package=self.package.value(),
            expected_status=self.expected_status,
            target_status=self.target_status,
            versions=tuple(
                VersionChange(c.version, c.prior_status, c.prior_revision, c.after, c.reason)
                for c in self.versions
            ),
            source_repository=self.source_repository,
            allow_overwrite=self.allow_overwrite,
            include_from_upstream=self.include_from_upstream,
        )


class _Problem(_Document):
    package: _Package
    version: str
    message: str
    origin: str


class _Target(_Document):
    endpoint: str
    region: str
    domains: dict[str, str]

    def value(self) -> TargetIdentity:
        return TargetIdentity(self.endpoint, self.region, self.domains)


class _Summary(_Document):
    to_copy: Count = 0
    to_update: Count = 0
    to_dispose: Count = 0
    to_delete: Count = 0
    # Written as the views word them; plan files written before that are read too.
    unchanged: Count = Field(0, validation_alias=AliasChoices("as_declared", "unchanged"))
    unmanaged: Count = 0
    errors: Count = Field(0, validation_alias=AliasChoices("cannot_converge", "errors"))
    accepted: Count = 0


class _Accepted(_Document):
    package: _Package
    version: str
    live: Status
    declared: Status
    reason: str


class _Plan(_Document):
    format_version: int = FORMAT_VERSION
    tool_version: str
    created_at: Time
    evaluated_at: Moment
    manifest_digest: str
    manifest_files: tuple[str, ...]
    # One of the two: `target` (one Region) or `targets` (several, each Region once, in order).
    target: _Target | None = None
    targets: Annotated[tuple[_Target, ...], Field(min_length=2)] | None = None
    actions: tuple[_Action, ...]
    errors: tuple[_Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: _Summary
    api_calls: dict[str, Count]
    package_versions: dict[str, Count] = {}
    reclaimed_bytes: dict[str, Count] | None = None
    accepted: tuple[_Accepted, ...] = ()

    @model_validator(mode="after")
    def _one_way_to_name_targets(self) -> _Plan:
        if (self.target is None) == (self.targets is None):
            raise ValueError(
                "a plan names its target (one Region) or its targets (several), exactly one of them"
            )
        if self.targets is not None:
            regions = [target.region for target in self.targets]
            if regions != sorted(set(regions)):
                raise ValueError("targets: each Region once, in order")
        return self

    def value(self) -> Plan:
        return Plan(
            format_version=self.format_version,
            tool_version=self.tool_version,
            created_at=self.created_at,
            evaluated_at=self.evaluated_at,
            manifest_digest=self.manifest_digest,
            manifest_files=self.manifest_files,
            targets=(self.target.value(),)
            if self.target is not None
            else tuple(target.value() for target in self.targets or ()),
            actions=tuple(action.value() for action in self.actions),
            errors=tuple(
                VersionProblem(p.package.value(), p.version, p.message, p.origin) for p in self.errors
            ),
            warnings=self.warnings,
            summary=Summary(**self.summary.model_dump()),
            api_calls=self.api_calls,
            package_versions=self.package_versions,
            reclaimed_bytes=self.reclaimed_bytes,
            accepted=tuple(
                AcceptedVersion(a.package.value(), a.version, a.live, a.declared, a.reason)
                for a in self.accepted
            ),
        )


def plan_from_document(document: Any) -> Plan:
    """The plan a parsed JSON document holds; raises pydantic's `ValidationError` if it holds none."""
    return _Plan.model_validate(document).value()


# -- the file ----------------------------------------------------------------------------------------


def write_plan(plan: Plan, path: Path) -> str:
    """Write `plan` to `path` (a regular file atomically; a device or FIFO directly; a symbolic link's
    target) as its text is made, and return its digest (`plan_digest`); a file that cannot be written
    is a `ReconcilerError` naming it."""
    try:
        with output_stream(path) as stream:
            return stream_plan(plan, stream.write)
    except OSError as exc:
        raise ReconcilerError(
            f"cannot write the plan file {path}: {unwritable_reason(exc)}", _unwritable_hint(exc)
        ) from None


# What to do about a plan file that cannot be written, by its reason: a full disk is not a folder's fault.
_FULL = "Free some space, or save the plan elsewhere (-o FILE)."
_HINTS = {
    errno.ENOSPC: _FULL,
    errno.EDQUOT: _FULL,
    errno.ENAMETOOLONG: "Give the plan file a shorter name (-o FILE).",
    errno.EFBIG: "Save the plan where a file that large can be written (-o FILE).",
    errno.EROFS: "That file system is read-only: save the plan elsewhere (-o FILE).",
    errno.EIO: "The device failed to write: save the plan elsewhere (-o FILE).",
}
_FOLDER = "Its folder must exist or be creatable, and be writable."


def _unwritable_hint(exc: OSError) -> str:
    return _HINTS.get(exc.errno or 0, _FOLDER)


def read_plan(path: Path) -> Plan:
    """The plan saved at `path`; anything else there (another format version, a file that is not
    JSON, not UTF-8, truncated, nested beyond reason, or JSON of another shape) is a
    `PlanFormatError` naming the file and what is wrong with it."""
    document = _document(path, _text(path))
    if not isinstance(document, dict):
        raise PlanFormatError(
            f"{path} is not a plan file", f"it holds {describe(document)}, not a JSON object"
        )
    if "format_version" not in document:
        raise PlanFormatError(f"{path} is not a plan file", "it has no format_version")
    version = document["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:
        written = f"plan format version {version}" if type(version) is int else "no valid plan format version"
        raise PlanFormatError(
            f"{path} has {written}; this reconciler reads version {FORMAT_VERSION}",
            "Make the plan again with this version of the reconciler.",
        )
    try:
        return plan_from_document(document)
    except ValidationError as exc:
        raise PlanFormatError(f"{path} is not a valid plan file", "\n".join(problem_lines(exc))) from None


def _text(path: Path) -> str:
    try:
        raw = read_input(path)
    except OSError as exc:
        raise PlanFormatError(f"cannot read plan file {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PlanFormatError(
            f"{path} is not a plan file",
            f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start} (line {line})",
        ) from None


def _document(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"{path} is not a plan file", f"not JSON: {exc}") from None
    except ValueError:
        # Python refuses to read integers of more than 4,300 digits: no plan writes one.
        raise PlanFormatError(
            f"{path} is not a plan file", "it holds a number of more than 4300 digits"
        ) from None
    except RecursionError:
        raise PlanFormatError(f"{path} is not a plan file", "JSON nested too deeply to read") from None
