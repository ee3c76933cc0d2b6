"""Every failure the user can act on, as a value with a summary and a detail.

The CLI is the one place that prints these and picks the exit code (1); anything else that
escapes is a bug (exit 3, traceback only with --debug).
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """An expected failure: `summary` is one line, `detail` says what to do about it."""

    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.summary}\n{self.detail}" if self.detail else self.summary

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole (a read in another process fails with one, `aws.spread`): every subclass
        # keeps its own constructor, so the value is rebuilt from its fields, not by calling it.
        return (_restored, (type(self), self.args, self.__dict__))


def _restored(
    kind: type[ReconcilerError], args: tuple[object, ...], fields: dict[str, object]
) -> ReconcilerError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(fields)
    return error


class ManifestError(ReconcilerError):
    """One or more problems in the manifests; `problems` holds every `FILE:LINE: field: message`."""

    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the manifests", "\n".join(problems))
        self.problems = problems


class PlanError(ReconcilerError):
    """A plan that cannot be made or used."""


class PlanFormatError(PlanError):
    """A plan file this version cannot read (another format version, or not a plan at all)."""


class PlanInconsistentError(PlanError):
    """A plan file that breaks the planner's own invariants (edited since it was written)."""


class StalePlanError(PlanError):
    """Live state moved since the plan was made."""


class LimitExceededError(ReconcilerError):
    """A plan that would destroy more than the blast-radius limits allow."""


class ApplyError(ReconcilerError):
    """An apply that did not change everything it was asked to."""


class AwsError(ReconcilerError):
    """An AWS call failed: `code` is the AWS error code."""

    def __init__(
        self, code: str, message: str, operation: str = "", resource_type: str | None = None
    ) -> None:
        where = f" in {operation}" if operation else ""
        super().__init__(f"AWS error{where}: {code}: {message}")
        self.code = code
        self.message = message
        self.operation = operation
        # The modeled `resourceType` of a ResourceNotFoundException/ConflictException (package, repository, ...).
        self.resource_type = resource_type
