"""Errors that cross the wire by name: the gateway maps each to an HTTP status."""

from __future__ import annotations

from typing import Any


class CaseReviewError(Exception):
    """Base of every domain error a service raises to its caller."""

    status_code = 400

    def __init__(self, message: str, *, problems: list[dict[str, Any]] | None = None) -> None:
        # Both travel in args: nameko serialises a remote error as its type name and args.
        super().__init__(message, problems or [])
        self.message = message
        self.problems = problems or []


class InvalidRequest(CaseReviewError):
    """The request breaks a rule of the service; `problems` names each field and what to fix."""

    status_code = 422


class NotFound(CaseReviewError):
    """No such record, or none the caller may see (the two are not told apart)."""

    status_code = 404


class Forbidden(CaseReviewError):
    """The caller may not do this."""

    status_code = 403


class Conflict(CaseReviewError):
    """The record changed under the caller (another submission won)."""

    status_code = 409


# The gateway maps a remote error to HTTP by the exception's class name.
STATUS_BY_ERROR = {cls.__name__: cls.status_code for cls in (InvalidRequest, NotFound, Forbidden, Conflict)}
