"""Errors that cross the wire by name: the gateway maps each to an HTTP status."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


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


def validated(model: type[Model], payload: Any, what: str = "The request") -> Model:
    """The payload as a contract model, or InvalidRequest naming each field's problem (never its value)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(part) for part in error["loc"]) or "request", "message": error["msg"]}
            for error in exc.errors()
        ]
        raise InvalidRequest(f"{what} has problems", problems=problems) from None


# The gateway maps a remote error to HTTP by the exception's class name.
STATUS_BY_ERROR = {cls.__name__: cls.status_code for cls in (InvalidRequest, NotFound, Forbidden, Conflict)}
# An uploaded file refused by services/kernel/uploads.py is an InvalidRequest by another name.
STATUS_BY_ERROR["FileRefused"] = InvalidRequest.status_code
