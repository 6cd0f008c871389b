"""The JSON API's commands: a request's JSON object read as the contract's own command type.

A route about a review takes the review from its path; the body may leave `review_id` out, and a body that
names another review is refused rather than quietly overridden. Every problem is answered at once, 422,
in the same shape as FastAPI's own validation (gateway/app.py words them).
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Command = TypeVar("Command", bound=BaseModel)
OTHER_REVIEW = "review_id must be the review of the address, or left out"


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads `model` itself (json_command)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


async def json_command(request: Request, model: type[Command], review_id: UUID | None = None) -> Command:
    """The body as `model`, with the path's review; RequestValidationError (422) naming every problem."""
    try:
        payload = await request.json()
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "input": {}, "ctx": {"error": type(exc).__name__}}]
        ) from None
    if not isinstance(payload, dict):
        raise RequestValidationError([{"type": "dict_type", "loc": ("body",), "input": None}])
    if review_id is not None:
        named = payload.get("review_id")
        if named is not None and str(named) != str(review_id):
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("body", "review_id"),
                        "input": None,
                        "ctx": {"error": ValueError(OTHER_REVIEW)},
                    }
                ]
            )
        payload = {**payload, "review_id": str(review_id)}
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None
