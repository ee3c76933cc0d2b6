"""Saved plans: the plan file's JSON mapping (one home), written whole, checked on read.

The file is canonical JSON (sorted keys, two-space indent), so the same plan always gives the
same bytes, and it is written atomically, so a half-written plan can never be applied. Reading
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

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import MAX_VERSIONS_PER_CALL, Format, Status
from reconciler.errors import PlanFormatError, ReconcilerError
from reconciler.files import write_output
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


def _action_json(action: Action) -> dict[str, Any]:
    return {
        "kind": action.kind.value,
        "package": package_json(action.package),
        "expected_status": action.expected_status.value,
        "target_status": action.target_status.value,
        "versions": [_change_json(change) for change in action.versions],
        "source_repository": action.source_repository,
        "allow_overwrite": action.allow_overwrite,
        "include_from_upstream": action.include_from_upstream,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    summary = plan.summary
    document: dict[str, Any] = {
        "format_version": plan.format_version,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "evaluated_at": plan.evaluated_at,
        "manifest_digest": plan.manifest_digest,
        "manifest_files": list(plan.manifest_files),
        **targets_json(plan.targets),
        "actions": [_action_json(action) for action in plan.actions],
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


# `json.dumps(document, indent=2, sort_keys=True)` exactly; with an indent, json's encoder is its
# pure-Python one, which yields dozens of small strings per version and `dumps` joins them all at
# once: at a million versions, a list of tens of millions of strings (over a gigabyte) for a text
# of a fifth of that. Joined a batch at a time, only the text itself is held.
_ENCODER = json.JSONEncoder(indent=2, sort_keys=True)
_BATCH = 8192


def plan_json(plan: Plan) -> str:
    parts: list[str] = []
    batch: list[str] = []
    for chunk in _ENCODER.iterencode(plan_document(plan)):
        batch.append(chunk)
        if len(batch) == _BATCH:
            parts.append("".join(batch))
            batch.clear()
    parts.append("".join(batch))
    parts.append("\n")
    return "".join(parts)


def plan_digest(plan: Plan) -> str:
    """The plan's digest: SHA-256 of its canonical JSON (see the module's documentation)."""
    return digest_of(plan_json(plan))


def digest_of(canonical: str) -> str:
    """The digest of a plan's canonical JSON text (`plan_json`)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- the file's schema -------------------------------------------------------------------------------


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Bounds no plan reaches, so that what a reader computes from a file's numbers (sums, times) stays in
# range: a count is at most 2**53 and a moment lies between 1970 and 9999.
Count = Annotated[int, Field(ge=0, le=2**53)]
Moment = Annotated[float, Field(ge=0, le=253_402_300_799, allow_inf_nan=False)]


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
    created_at: str
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


def write_plan(plan: Plan, path: Path, canonical: str | None = None) -> None:
    """Write `plan` to `path` (a regular file atomically; a device or FIFO directly; a symbolic link's
    target); a file that cannot be written is a `ReconcilerError` naming it. `canonical` is the plan's
    `plan_json` when the caller has it already (at a million versions it takes seconds to make)."""
    try:
        write_output(path, plan_json(plan) if canonical is None else canonical)
    except OSError as exc:
        # `mkdir(exist_ok=True)` says "File exists" of a file where a folder should be.
        reason = f"{exc.filename} is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
        raise ReconcilerError(
            f"cannot write the plan file {path}: {reason or exc}",
            "Its folder must exist or be creatable, and be writable.",
        ) from None


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
        raw = path.read_bytes()
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
