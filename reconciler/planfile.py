"""Saved plans: the plan file's JSON mapping (one home), written whole, checked on read.

The file is canonical JSON (sorted keys, two-space indent), so the same plan always gives the
same bytes, and it is written atomically, so a half-written plan can never be applied. Reading
validates the document against its schema (pydantic, at the file edge) and builds the plan's
plain values from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status
from reconciler.errors import PlanFormatError, ReconcilerError
from reconciler.files import write_output
from reconciler.plan import (
    FORMAT_VERSION,
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.problems import problem_lines

# -- values to JSON ----------------------------------------------------------------------------------


def package_json(ref: PackageRef) -> dict[str, Any]:
    """A package as the plan file (and every JSON view) names it."""
    return {
        "domain": ref.repository.domain,
        "domain_owner": ref.repository.domain_owner,
        "repository": ref.repository.repository,
        "format": ref.format.value,
        "namespace": ref.namespace,
        "package": ref.package,
    }


def target_json(target: TargetIdentity) -> dict[str, Any]:
    return {"endpoint": target.endpoint, "region": target.region, "domains": dict(target.domains)}


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
    return {
        "format_version": plan.format_version,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "evaluated_at": plan.evaluated_at,
        "manifest_digest": plan.manifest_digest,
        "manifest_files": list(plan.manifest_files),
        "target": target_json(plan.target),
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


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True) + "\n"


# -- the file's schema -------------------------------------------------------------------------------


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Package(_Document):
    domain: str
    domain_owner: str | None = None
    repository: str
    format: Format
    namespace: str | None = None
    package: str

    def value(self) -> PackageRef:
        return PackageRef(
            RepositoryRef(self.domain, self.repository, self.domain_owner),
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
    versions: tuple[_Change, ...]
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


class _Summary(_Document):
    to_copy: int = 0
    to_update: int = 0
    to_dispose: int = 0
    # Written as the views word them; plan files written before that are read too.
    unchanged: int = Field(0, validation_alias=AliasChoices("as_declared", "unchanged"))
    unmanaged: int = 0
    errors: int = Field(0, validation_alias=AliasChoices("cannot_converge", "errors"))


class _Plan(_Document):
    format_version: int = FORMAT_VERSION
    tool_version: str
    created_at: str
    evaluated_at: float
    manifest_digest: str
    manifest_files: tuple[str, ...]
    target: _Target
    actions: tuple[_Action, ...]
    errors: tuple[_Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: _Summary
    api_calls: dict[str, int]
    package_versions: dict[str, int] = {}

    def value(self) -> Plan:
        return Plan(
            format_version=self.format_version,
            tool_version=self.tool_version,
            created_at=self.created_at,
            evaluated_at=self.evaluated_at,
            manifest_digest=self.manifest_digest,
            manifest_files=self.manifest_files,
            target=TargetIdentity(self.target.endpoint, self.target.region, self.target.domains),
            actions=tuple(action.value() for action in self.actions),
            errors=tuple(
                VersionProblem(p.package.value(), p.version, p.message, p.origin) for p in self.errors
            ),
            warnings=self.warnings,
            summary=Summary(**self.summary.model_dump()),
            api_calls=self.api_calls,
            package_versions=self.package_versions,
        )


def plan_from_document(document: Any) -> Plan:
    """The plan a parsed JSON document holds; raises pydantic's `ValidationError` if it holds none."""
    return _Plan.model_validate(document).value()


# -- the file ----------------------------------------------------------------------------------------


def write_plan(plan: Plan, path: Path) -> None:
    """Write `plan` to `path` (a regular file atomically; a device or FIFO directly; a symbolic link's
    target); a file that cannot be written is a `ReconcilerError` naming it."""
    try:
        write_output(path, plan_json(plan))
    except OSError as exc:
        # `mkdir(exist_ok=True)` says "File exists" of a file where a folder should be.
        reason = f"{exc.filename} is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
        raise ReconcilerError(
            f"cannot write the plan file {path}: {reason or exc}",
            "Its folder must exist or be creatable, and be writable.",
        ) from None


def read_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFormatError(f"cannot read plan file {path}: {exc.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"{path} is not a plan file", f"not JSON: {exc}") from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanFormatError(f"{path} is not a plan file", "it has no format_version")
    if document["format_version"] != FORMAT_VERSION:
        raise PlanFormatError(
            f"{path} has plan format version {document['format_version']}; this reconciler reads version "
            f"{FORMAT_VERSION}",
            "Make the plan again with this version of the reconciler.",
        )
    try:
        return plan_from_document(document)
    except ValidationError as exc:
        raise PlanFormatError(f"{path} is not a valid plan file", "\n".join(problem_lines(exc))) from None
