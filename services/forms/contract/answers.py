"""What every statutory form shares: its base model, the answer types (short and long text, dates
not in the future), and the plain-words reading of a form's validation errors."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
)

from services.kernel.calendar import today_in_england

# == The review lifecycle ===================================================================================
#
# The forms of a review: one pydantic model per kind of form, with the words the pages show (`title` is the
# question, `description` the hint). A review type (services/forms/review_types/*.yml) names which form each
# of its steps uses; adding a review type is data, adding a kind of form is code here.


SHORT_TEXT = 200
LONG_TEXT = 5000
# No review concerns anything before this: an earlier date is a slip of the keyboard (0001-01-01, 19/05/202).
EARLIEST_DATE = date(1900, 1, 1)


def _not_before_earliest(value: date | None) -> date | None:
    if value is not None and value < EARLIEST_DATE:
        raise ValueError(f"Enter a date on or after {EARLIEST_DATE:%-d %B %Y}")
    return value


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > today_in_england():
        raise ValueError("must be today or in the past")
    return value


FormDate = Annotated[date, AfterValidator(_not_before_earliest)]
PastDate = Annotated[FormDate, AfterValidator(_not_in_future)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT)]
OptionalLongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=LONG_TEXT)]
OptionalShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT_TEXT)]


def choices(**labels: str) -> dict[str, Any]:
    """The words a page shows for each value of a choice field."""
    return {"choices": labels}


class FormAnswers(BaseModel):
    """Base of every form of a review: strict, whitespace-trimmed, no unknown fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Fields a page may leave unanswered in a saved draft of this form but that must be answered, or
    # ticked, before the step is completed (see `missing_to_complete`).
    def missing_to_complete(self) -> list[dict[str, str]]:
        """What must still be done before the step that uses this form can be completed (default nothing)."""
        return []


def plain_problems(error: ValidationError) -> list[dict[str, str]]:
    """A validation error of one of these models as problems a person can act on: one per field (dotted
    path for lists, `children.0.sex`; a rule across fields names the field to fix in its context), each in
    plain words. The service refuses with these, and a page that checks a command first uses the same."""
    from services.forms import contract  # the package, loaded by then: every form and command by name

    problems: dict[str, dict[str, str]] = {}
    for item in error.errors():
        named = (item.get("ctx") or {}).get("field")
        path = ".".join([*(str(part) for part in item["loc"]), *([named] if named else [])]) or "form"
        model = getattr(contract, error.title, None)
        form = model if isinstance(model, type) and issubclass(model, BaseModel) else None
        info = _field_at(form, item["loc"]) if form is not None else None
        message = _plain_words(item, info)
        problems.setdefault(path, {"field": path, "message": message, "type": item["type"]})
    return list(problems.values())


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The field a validation error's location names, through nested forms and lists (children.0.sex)."""
    info: Any = None
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None or part not in current.model_fields:
            return None
        info = current.model_fields[part]
        current = _model_inside(info.annotation)
    return info


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_inside(argument)
        if found is not None:
            return found
    return None


def _lowered(title: str) -> str:
    """A title inside a sentence: its first letter lowered unless it starts an acronym (SIN, DHR)."""
    title = title.rstrip("?").strip()
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def _missing_words(info: Any) -> str:
    """What to enter, GOV.UK style, for a question left unanswered: "Enter the date of the incident",
    "Select what happened to the child", "Select yes or no"; a field may give its own (`missing`)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("missing"):
        return str(extra["missing"])
    title = str(info.title or "")
    if not title:
        return "Answer this question"
    kinds = {info.annotation, *get_args(info.annotation)}
    if bool in kinds:
        return f"Select yes or no: {title}"
    if "choices" in extra or any(get_origin(kind) is Literal for kind in kinds):
        if not title.endswith("?"):
            return f"Select the {_lowered(title)}"
        if title.split()[0] in ("What", "Which", "Who", "Why", "Where", "How"):
            return f"Select {_lowered(title)}"
        return f"Select an answer: {title}"
    if title.endswith("?") or title.split()[0] in ("The", "A", "An", "Who", "What", "Which", "When", "Why"):
        return f"Enter {_lowered(title)}"
    return f"Enter the {_lowered(title)}"


def _plain_words(item: Any, info: Any = None) -> str:
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return _missing_words(info) if info is not None else "Answer this question"
    if kind == "string_too_short":
        return f"Must be {context.get('min_length')} characters or more"
    if kind == "string_too_long":
        return f"Must be {context.get('max_length')} characters or fewer"
    if kind == "too_long":
        return f"No more than {context.get('max_length')} allowed"
    if kind == "too_short":
        return f"Give at least {context.get('min_length')}"
    if kind in ("literal_error", "enum"):
        return "Select one of the options"
    if kind in ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return "Enter a real date"
    if kind.startswith("bool_"):
        return "Select yes or no"
    if kind.startswith("int_"):
        return "Enter a whole number"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "Enter a number in range"
    if kind == "extra_forbidden":
        return "This is not a question of the form: remove it"
    words = str(item.get("msg", "Check this answer")).removeprefix("Value error, ")
    if words.startswith("must ") and info is not None and info.title:
        return f"{str(info.title).rstrip('?')} {words}"  # "Date of the incident must be today or in the past"
    return words
