"""The errors the local CodeArtifact service answers with, one class per AWS error shape."""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """An error CodeArtifact returns on the wire.

    `code` is the error shape's name in botocore's service model and `http_status` its
    `httpStatusCode`; a meta-test holds both to the model. `fields` are the shape's other
    body members (`resourceId`, `reason`, ...), already in their wire spelling.
    """

    code: ClassVar[str] = "InternalServerException"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {key: value for key, value in fields.items() if value is not None}

    @property
    def headers(self) -> dict[str, str]:
        return {}


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"
    http_status = 403


class ConflictException(ServiceError):
    code = "ConflictException"
    http_status = 409

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class InternalServerException(ServiceError):
    code = "InternalServerException"
    http_status = 500


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"
    http_status = 404

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ServiceQuotaExceededException(ServiceError):
    code = "ServiceQuotaExceededException"
    http_status = 402

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ThrottlingException(ServiceError):
    code = "ThrottlingException"
    http_status = 429

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        # The model binds retryAfterSeconds to the Retry-After header, not to the body.
        return {"Retry-After": str(self.retry_after_seconds)}


class ValidationException(ServiceError):
    code = "ValidationException"
    http_status = 400

    def __init__(self, message: str, reason: str = "FIELD_VALIDATION_FAILED") -> None:
        super().__init__(message, reason=reason)


ALL_ERRORS: tuple[type[ServiceError], ...] = (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
