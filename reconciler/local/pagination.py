"""Opaque pagination tokens, bound to the request that made them.

A token is base64 of JSON holding the last key of the page and a fingerprint of that key and of
the request's other parameters; reusing it with different parameters is a `ValidationException`
(moto's paginator rule), so a client can never silently page through a different listing, and a
token that was edited or made up is refused the same way instead of reaching the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.local.errors import ValidationException


def _fingerprint(operation: str, params: Mapping[str, Any], key: Any) -> str:
    canonical = json.dumps([operation, sorted((k, v) for k, v in params.items() if v is not None), key])
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(operation: str, params: Mapping[str, Any], last_key: list[Any]) -> str:
    document = {"k": last_key, "f": _fingerprint(operation, params, last_key)}
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def decode_token(operation: str, params: Mapping[str, Any], token: str | None) -> list[Any] | None:
    """The last key of the previous page, or None for the first page."""
    if token is None:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        key = document["k"]
        fingerprint = document["f"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationException("The pagination token is not valid", "OTHER") from exc
    if not isinstance(key, list) or fingerprint != _fingerprint(operation, params, key):
        raise ValidationException(
            "The pagination token was issued for a different request; start the listing again", "OTHER"
        )
    return key
