"""How a review's forms appear on a page: questions built from the form models of the forms service's
contract, posted answers read back, problems tied to the fields they are about, and answers in words.

The forms service is the one validator of answers: this module only turns a page's inputs into the answers
dict the service checks, and adds what only a page can get wrong (a date that is not a real date, a fifth
child where the page offers four). A question's widget follows from its model field:

    str (up to 200 characters)        text          str (longer)       textarea with a character count
    int                               number        date               GOV.UK date input (day, month, year)
    Literal with choices              radios        list[Literal]      checkboxes
    bool                              yes_no        bool, default False and a statement (no "?"): checkbox
    list[InvitedAgency]               agencies      list[other model]  repeated fieldsets ("Child 1" ...)

Input ids and names are the answers' paths with dashes (`children-0-sex`); a date's three inputs add
`-day`, `-month`, `-year`. The service names problems by dotted path (`children.0.sex`).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Protocol, Union, get_args, get_origin

from annotated_types import MaxLen
from pydantic import BaseModel, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

from services.forms.contract import SHORT_TEXT, InvitedAgency, plain_problems

Widget = Literal[
    "text", "textarea", "number", "date", "radios", "yes_no", "checkbox", "checkboxes", "agencies", "repeated"
]
DATE_PARTS = ("day", "month", "year")
# Sent to the service in place of a date the page could not read, so that the service refuses it too and
# nothing is stored while the person corrects it.
UNREADABLE_DATE = "not a date"
NOT_ANSWERED = "Not answered"
YES_NO = {"yes": "Yes", "no": "No"}


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: the value sent and the words shown."""

    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Agency:
    """An agency of the partnership that may be asked for a return."""

    id: str
    name: str


@dataclass(frozen=True)
class Question:
    """One question of a form as a page shows it.

    `id`: the input's id and name (`children-0-sex`); `path`: the answer's path as the service names it
    (`children.0.sex`); `key`: the field's name in its own model (`sex`). `groups`: the fieldsets of a
    repeated question (one per child); `limit`: how many a repeated question allows.
    """

    key: str
    id: str
    path: str
    label: str
    hint: str
    widget: Widget
    required: bool
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    groups: tuple[Group, ...] = ()
    limit: int = 0

    @property
    def target(self) -> str:
        """The id an error summary links to: the first input of the question."""
        if self.widget == "repeated" and self.groups and self.groups[0].questions:
            return self.groups[0].questions[0].target
        return f"{self.id}-day" if self.widget == "date" else self.id

    def option_id(self, index: int) -> str:
        """The id of the option at `index` (0-based) of a radios or checkboxes question."""
        return self.id if index == 0 else f"{self.id}-{index + 1}"


@dataclass(frozen=True)
class Group:
    """One fieldset of a repeated question ("Child 2"), with its own questions."""

    legend: str
    id: str
    path: str
    index: int
    questions: tuple[Question, ...]


class PostedForm(Protocol):
    """What a page posts: starlette's FormData, or anything with the same `getlist`."""

    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class Parsed:
    """What a posted form says: the answers to send, the page's own problems, and the inputs as typed.

    `positions` maps a repeated item's path in the answers to its fieldset on the page (an empty "Child 1"
    is skipped, so the service's `children.0` may be the page's "Child 2": `children.1`).
    """

    answers: dict[str, Any]
    problems: list[dict[str, Any]]
    values: dict[str, Any]
    positions: dict[str, str] = field(default_factory=dict)

    def page_path(self, path: str) -> str:
        """A service's problem path, as the page numbers its fieldsets."""
        parts = path.split(".")
        if len(parts) >= 2 and f"{parts[0]}.{parts[1]}" in self.positions:
            return ".".join([*self.positions[f"{parts[0]}.{parts[1]}"].split("."), *parts[2:]])
        return path


@dataclass(frozen=True)
class PageErrors:
    """Problems as a page shows them: the error summary's lines (`href`, `message`), each field's own
    message by its id (`inline`), and which inputs of a date are wrong (`parts`)."""

    summary: list[dict[str, str]]
    inline: dict[str, str]
    parts: dict[str, list[str]]

    def __bool__(self) -> bool:
        return bool(self.summary)


@dataclass(frozen=True)
class AnswerRow:
    """A row of "check your answers": the question, the answer in words (a line each), and where to
    change it (the input's id on the form page)."""

    key: str
    lines: tuple[str, ...]
    target: str


NO_ERRORS = PageErrors([], {}, {})


# -- building the questions ---------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under Optional and Annotated, and the metadata Annotated carried."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif origin in (Union, types.UnionType):
            inner = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(inner) != 1:
                return annotation, metadata
            annotation = inner[0]
        else:
            return annotation, metadata


def _max_length(metadata: Iterable[Any]) -> int | None:
    for item in metadata:
        if isinstance(item, StringConstraints | MaxLen) and item.max_length is not None:
            return int(item.max_length)
    return None


def _choices(info: FieldInfo, values: Iterable[Any]) -> tuple[Choice, ...]:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    words = extra.get("choices")
    labels: Mapping[Any, Any] = words if isinstance(words, dict) else {}
    return tuple(Choice(str(value), str(labels.get(value, value))) for value in values)


def _singular(model: type[BaseModel]) -> str:
    """ "Child" for Child, "Key practice episode" for KeyPracticeEpisode."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
    return words[:1].upper() + words[1:]


def _question(key: str, info: FieldInfo, prefix: str, agencies: Sequence[Agency]) -> Question:
    path = f"{prefix}.{key}" if prefix else key
    label = info.title or key.replace("_", " ").capitalize()

    def make(widget: Widget, **extra: Any) -> Question:
        return Question(
            key=key,
            id=path.replace(".", "-"),
            path=path,
            label=label,
            hint=info.description or "",
            widget=widget,
            required=info.is_required(),
            **extra,
        )

    annotation, metadata = _unwrap(info.annotation)
    limit = _max_length([*info.metadata, *metadata])
    if get_origin(annotation) is Literal:
        return make("radios", choices=_choices(info, get_args(annotation)))
    if annotation is bool:
        # A statement to tick (a checklist item) rather than a question to answer yes or no.
        statement = info.default is False and not label.rstrip().endswith("?")
        return make("checkbox" if statement else "yes_no")
    if annotation is date:
        return make("date")
    if annotation is int:
        return make("number")
    if get_origin(annotation) is list:
        item, _ = _unwrap(get_args(annotation)[0])
        if get_origin(item) is Literal:
            return make("checkboxes", choices=_choices(info, get_args(item)))
        if item is InvitedAgency:
            options = tuple(Choice(agency.id, agency.name) for agency in agencies)
            return make("agencies", choices=options, limit=limit or 0)
        if isinstance(item, type) and issubclass(item, BaseModel):
            count = limit or 1
            groups = tuple(
                Group(
                    legend=f"{_singular(item)} {index + 1}",
                    id=f"{path.replace('.', '-')}-{index}",
                    path=f"{path}.{index}",
                    index=index,
                    questions=tuple(
                        _question(name, child, f"{path}.{index}", agencies)
                        for name, child in item.model_fields.items()
                    ),
                )
                for index in range(count)
            )
            return make("repeated", groups=groups, limit=count)
    return make("textarea" if limit is not None and limit > SHORT_TEXT else "text", max_length=limit)


def questions(form: type[BaseModel], agencies: Sequence[Agency] = ()) -> list[Question]:
    """The questions of a form model, in its order. `agencies`: the options of an agencies question."""
    return [_question(key, info, "", agencies) for key, info in form.model_fields.items()]


def asks_for_agencies(form: type[BaseModel]) -> bool:
    """Whether the form has a question answered by choosing the partnership's agencies."""
    return any(q.widget == "agencies" for q in questions(form))


def _walk(items: Iterable[Question]) -> Iterable[Question]:
    for question in items:
        yield question
        for group in question.groups:
            yield from _walk(group.questions)


# -- reading a posted form ----------------------------------------------------------------------------------


def _one(posted: PostedForm, name: str) -> str:
    for value in posted.getlist(name):
        if isinstance(value, str):
            return value.strip()
    return ""


def _many(posted: PostedForm, name: str) -> list[str]:
    return [value.strip() for value in posted.getlist(name) if isinstance(value, str) and value.strip()]


def read_date(parts: Mapping[str, str], label: str) -> tuple[date | None, str, list[str]]:
    """A date from GOV.UK's three inputs: (the date, "", []) or (None, what is wrong, the parts to mark).
    All three blank is (None, "", []): not answered, which the service reports in its own words."""
    values = {part: parts.get(part, "").strip() for part in DATE_PARTS}
    missing = [part for part in DATE_PARTS if not values[part]]
    if len(missing) == len(DATE_PARTS):
        return None, "", []
    if missing:
        return None, f"{label} must include a {' and a '.join(missing)}", missing
    bad = [part for part in DATE_PARTS if not (values[part].isascii() and values[part].isdigit())]
    if bad:
        return None, "Enter a real date", bad
    if len(values["year"]) != 4:
        return None, "Enter a real date: the year must include 4 numbers", ["year"]
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"])), "", []
    except ValueError:
        return None, "Enter a real date", ["month"] if not 1 <= int(values["month"]) <= 12 else ["day"]


def _has_input(posted: PostedForm, question: Question) -> bool:
    if question.widget == "date":
        return any(_one(posted, f"{question.id}-{part}") for part in DATE_PARTS)
    return bool(_many(posted, question.id))


def _read(
    items: Sequence[Question], posted: PostedForm, parsed: Parsed, answers: dict[str, Any], answer_prefix: str
) -> None:
    """Read `items` from the posted form into `answers`; blank answers are left out (the service then says
    "Answer this question" of required ones, and optional ones take their defaults)."""
    values = parsed.values
    for question in items:
        if question.widget == "date":
            parts = {part: _one(posted, f"{question.id}-{part}") for part in DATE_PARTS}
            values.update({f"{question.id}-{part}": value for part, value in parts.items()})
            day, problem, bad = read_date(parts, question.label)
            if problem:
                parsed.problems.append({"field": question.path, "message": problem, "parts": bad})
                answers[question.key] = UNREADABLE_DATE
            elif day is not None:
                answers[question.key] = day.isoformat()
        elif question.widget in ("checkboxes", "agencies"):
            chosen = _many(posted, question.id)
            values[question.id] = chosen
            if question.widget == "checkboxes":
                answers[question.key] = chosen
                continue
            names = {choice.value: choice.label for choice in question.choices}
            if any(value not in names for value in chosen):
                parsed.problems.append({"field": question.path, "message": "Choose agencies from the list"})
            # One not on the list is sent without a name, so that the service refuses it too.
            answers[question.key] = [{"agency_id": value, "name": names.get(value, "")} for value in chosen]
        elif question.widget == "checkbox":
            ticked = _one(posted, question.id) == "yes"
            values[question.id] = "yes" if ticked else ""
            answers[question.key] = ticked
        elif question.widget == "yes_no":
            said = _one(posted, question.id)
            values[question.id] = said
            if said in YES_NO:
                answers[question.key] = said == "yes"
            elif said:
                answers[question.key] = said  # not yes or no: the service refuses it
        elif question.widget == "repeated":
            _read_repeated(question, posted, parsed, answers, answer_prefix)
        else:
            typed = _one(posted, question.id)
            values[question.id] = typed
            if typed:
                answers[question.key] = typed


def _read_repeated(
    question: Question, posted: PostedForm, parsed: Parsed, answers: dict[str, Any], answer_prefix: str
) -> None:
    items: list[dict[str, Any]] = []
    answer_path = f"{answer_prefix}.{question.key}" if answer_prefix else question.key
    for group in question.groups:
        if not any(_has_input(posted, q) for q in _walk(group.questions)):
            for q in _walk(group.questions):  # keep the empty fieldset empty when the page comes back
                parsed.values.update(
                    {f"{q.id}-{p}": "" for p in DATE_PARTS} if q.widget == "date" else {q.id: ""}
                )
            continue
        item: dict[str, Any] = {}
        parsed.positions[f"{answer_path}.{len(items)}"] = group.path
        _read(group.questions, posted, parsed, item, group.path)
        items.append(item)
    # A page offers `limit` fieldsets; anything posted beyond them is refused, never dropped unseen.
    beyond = re.compile(rf"^{re.escape(question.id)}-(\d+)-")
    extra = {
        int(found.group(1))
        for name in _names(posted)
        if (found := beyond.match(name)) and int(found.group(1)) >= question.limit and _one(posted, name)
    }
    if extra:
        words = _singular_words(question)
        parsed.problems.append(
            {
                "field": question.path,
                "message": f"Give no more than {question.limit} {words}: one notification covers up to "
                f"{question.limit}",
            }
        )
        items += [{} for _ in extra]  # so that the service refuses the list as too long as well
    answers[question.key] = items


def _singular_words(question: Question) -> str:
    legend = question.groups[0].legend.rsplit(" ", 1)[0].lower() if question.groups else "items"
    return "children" if legend == "child" else f"{legend}s"


def _names(posted: PostedForm) -> Iterable[str]:
    keys = getattr(posted, "keys", None)
    return [str(name) for name in keys()] if callable(keys) else []


def parse(form: type[BaseModel], posted: PostedForm, agencies: Sequence[Agency] = ()) -> Parsed:
    """The answers a posted page gives for a form, with the page's own problems (dates that are not real
    dates, too many repeated items) and the inputs as typed, to show again."""
    parsed = Parsed(answers={}, problems=[], values={})
    _read(questions(form, agencies), posted, parsed, parsed.answers, "")
    return parsed


# -- a saved answer on the page -----------------------------------------------------------------------------


def _date_of(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _prefill(items: Sequence[Question], answers: Mapping[str, Any], values: dict[str, Any]) -> None:
    for question in items:
        value = answers.get(question.key)
        if question.widget == "date":
            day = _date_of(value)
            for part, number in zip(
                DATE_PARTS, (day.day, day.month, day.year) if day else ("", "", ""), strict=True
            ):
                values[f"{question.id}-{part}"] = str(number)
        elif question.widget == "checkboxes":
            values[question.id] = [str(v) for v in value or []]
        elif question.widget == "agencies":
            values[question.id] = [str(a.get("agency_id")) for a in value or [] if isinstance(a, dict)]
        elif question.widget in ("checkbox", "yes_no"):
            values[question.id] = "yes" if value is True else ("no" if value is False else "")
            if question.widget == "checkbox" and value is not True:
                values[question.id] = ""
        elif question.widget == "repeated":
            saved = value if isinstance(value, list) else []
            for group in question.groups:
                item = saved[group.index] if group.index < len(saved) else {}
                _prefill(group.questions, item if isinstance(item, dict) else {}, values)
        else:
            values[question.id] = "" if value is None else str(value)


def prefill(items: Sequence[Question], answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The inputs of a form page filled from saved answers (a draft, or a completed step's)."""
    values: dict[str, Any] = {}
    _prefill(items, answers or {}, values)
    return values


# -- problems on the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    key: str  # the inline error's key: a question's id, a group's id, or "form"
    target: str  # the id the summary links to
    label: str  # the question's words, for the summary


def _places(items: Sequence[Question]) -> dict[str, _Place]:
    places: dict[str, _Place] = {}

    def add(question: Question, context: str) -> None:
        label = f"{context}, {question.label[:1].lower()}{question.label[1:]}" if context else question.label
        places[question.path] = _Place(question.id, question.target, label)
        for group in question.groups:
            first = group.questions[0].target if group.questions else question.target
            places[group.path] = _Place(group.id, first, group.legend)
            for child in group.questions:
                add(child, group.legend)

    for question in items:
        add(question, "")
    return places


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message else "Check this answer"


def page_errors(
    items: Sequence[Question],
    problems: Iterable[Mapping[str, Any]],
    *,
    href: str = "",
    page_path: Any = None,
) -> PageErrors:
    """The problems of a form (the page's and the service's) as the page shows them: each once, by field,
    in the order of the questions; the page's own message wins over the service's for the same field.

    `href`: the page the summary links to (empty: this page); `page_path`: maps a service path to the
    page's numbering (`Parsed.page_path`).
    """
    places = _places(items)
    order = {path: index for index, path in enumerate(places)}
    first = items[0].target if items else "questions"
    found: dict[str, tuple[_Place, str, list[str]]] = {}
    for problem in problems:
        path = str(problem.get("field") or "form")
        if page_path is not None:
            path = page_path(path)
        place = None
        probe = path
        while place is None and probe:
            place = places.get(probe)
            probe = probe.rpartition(".")[0]
        where = place or _Place("form", first, "")
        if where.key in found:
            continue
        parts = [str(p) for p in problem.get("parts") or []]
        found[where.key] = (where, _sentence(str(problem.get("message", ""))), parts)
    inline: dict[str, str] = {}
    marked: dict[str, list[str]] = {}
    summary: list[tuple[int, dict[str, str]]] = []
    for key, (where, message, parts) in found.items():
        inline[key] = message
        target = where.target
        if parts:
            marked[key] = parts
            target = f"{key}-{parts[0]}"
        elif target == f"{key}-day":  # a date the service refused: all three inputs
            marked[key] = list(DATE_PARTS)
        words = message if not where.label or message.startswith(where.label) else f"{where.label}: {message}"
        position = next((order[p] for p, place in places.items() if place.key == key), -1)
        summary.append((position, {"href": f"{href}#{target}", "message": words}))
    summary.sort(key=lambda item: item[0])
    return PageErrors([line for _, line in summary], inline, marked)


def problems_of(error: ValidationError) -> list[dict[str, Any]]:
    """A contract model's validation error as problems in plain words, one per field (dotted paths), for
    commands the page checks before it sends them (a pause, a referral's title): the forms service's own
    words (contract.plain_problems)."""
    return list(plain_problems(error))


def message_errors(message: str, *, target: str = "questions", href: str = "") -> PageErrors:
    """One problem that is about the whole form (someone else saved it, the step cannot start)."""
    return PageErrors([{"href": f"{href}#{target}", "message": message}], {"form": message}, {})


# -- answers in words ---------------------------------------------------------------------------------------


def day_in_words(value: date | None) -> str:
    """5 May 2026."""
    return f"{value.day} {value:%B %Y}" if value else ""


def _in_words(question: Question, value: Any) -> list[str]:
    if question.widget == "date":
        day = _date_of(value)
        return [day_in_words(day)] if day else [NOT_ANSWERED]
    if question.widget in ("yes_no", "checkbox"):
        return ["Yes" if value is True else "No" if value is False else NOT_ANSWERED]
    if question.widget == "radios":
        labels = {choice.value: choice.label for choice in question.choices}
        return [labels.get(str(value), str(value))] if value not in (None, "") else [NOT_ANSWERED]
    if question.widget == "checkboxes":
        labels = {choice.value: choice.label for choice in question.choices}
        return [labels.get(str(v), str(v)) for v in value or []] or ["None"]
    if question.widget == "agencies":
        return [str(a.get("name", "")) for a in value or [] if isinstance(a, dict)] or ["None"]
    if value in (None, ""):
        return [NOT_ANSWERED]
    return [line for line in str(value).splitlines() if line.strip()] or [NOT_ANSWERED]


def answer_rows(items: Sequence[Question], answers: Mapping[str, Any] | None) -> list[AnswerRow]:
    """ "Check your answers": a row per question (a row per child of a repeated question, each of its
    answers a line), in words: choices by their labels, dates as "5 May 2026", Yes or No."""
    answers = answers or {}
    rows: list[AnswerRow] = []
    for question in items:
        value = answers.get(question.key)
        if question.widget != "repeated":
            rows.append(AnswerRow(question.label, tuple(_in_words(question, value)), question.target))
            continue
        saved = [item for item in value or [] if isinstance(item, dict)]
        for group, item in zip(question.groups, saved, strict=False):
            lines = [
                f"{child.label.rstrip('?')}: {', '.join(_in_words(child, item.get(child.key)))}"
                for child in group.questions
                if item.get(child.key) not in (None, "", [])
            ]
            target = group.questions[0].target if group.questions else question.target
            rows.append(AnswerRow(group.legend, tuple(lines) or (NOT_ANSWERED,), target))
        if not saved:
            rows.append(AnswerRow(question.label, (NOT_ANSWERED,), question.target))
    return rows
