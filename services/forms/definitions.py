"""Review types as data: each `review_types/*.yml` file defines one kind of review (its stages, steps,
allowed order, deadlines and forms). This module reads and checks them. Pure: it reads files, nothing else.

Adding a review type is adding a file; a file that names an unknown form, step, stage, deadline or date is
refused whole, with every problem listed, so a mistake is found at start-up rather than in a live review.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from services.forms.contract import FORMS
from services.kernel.identity import GRANTABLE_ROLES

HERE = Path(__file__).parent / "review_types"
# Who completes a step unless the step says otherwise.
DEFAULT_BY = ("business_manager",)
COMPLETED_ON = "completed_on"


class DefinitionError(ValueError):
    """A review type file is not valid; `problems` lists every mistake."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DateRef:
    """A date of a review: a field of a step's form, or (`completed_on`) the day the step was completed."""

    step: str
    field: str

    def __str__(self) -> str:
        return f"{self.step}.{self.field}"


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline: `amount` working days or calendar months after a date of the review."""

    code: str
    label: str
    unit: str  # "working_days" or "months"
    amount: int
    trigger: DateRef
    statutory: bool = False
    minimum: int = 0
    maximum: int = 0
    pausable: bool = False
    day_plan: bool = False

    def with_amount(self, amount: int) -> DeadlineRule:
        """The same deadline with a partnership's own figure (already checked against the bounds)."""
        return DeadlineRule(**{**self.__dict__, "amount": amount})

    @property
    def basis(self) -> str:
        unit = "working day" if self.unit == "working_days" else "month"
        plural = "" if self.amount == 1 else "s"
        return f"{self.amount} {unit}{plural} after {self.trigger}"


@dataclass(frozen=True)
class Prerequisite:
    """A step that must be completed (or not be needed) first, and what to tell someone who tries early."""

    step: str
    reason: str


@dataclass(frozen=True)
class NotBefore:
    """A date of a step's form that may not fall earlier than a number of working days after another date."""

    field: str
    working_days: int
    trigger: DateRef
    reason: str


@dataclass(frozen=True)
class Step:
    """A step of a review type: the form it uses, its stage, what must come first and its deadline."""

    code: str
    label: str
    form: str
    stage: str
    after: tuple[Prerequisite, ...] = ()
    when: tuple[tuple[DateRef, frozenset[str]], ...] = ()
    deadline: str | None = None
    done_on: str = COMPLETED_ON
    by: frozenset[str] = frozenset(DEFAULT_BY)
    not_before: NotBefore | None = None
    # What the form starts with before anything is saved: (its field, an earlier step's answer).
    prefill: tuple[tuple[str, DateRef], ...] = ()


@dataclass(frozen=True)
class StageDef:
    code: str
    label: str


CLOSED = StageDef("closed", "Closed")


@dataclass(frozen=True)
class ReviewTypeDef:
    """A kind of statutory review, as its file defines it."""

    code: str
    label: str
    hint: str
    basis: str
    stages: tuple[StageDef, ...]
    steps: tuple[Step, ...]
    deadlines: dict[str, DeadlineRule] = field(default_factory=dict)
    amber_within_working_days: int = 3
    order: int = 100

    def step(self, code: str) -> Step | None:
        return self._steps_by_code.get(code)

    @cached_property
    def _steps_by_code(self) -> dict[str, Step]:
        return {step.code: step for step in self.steps}

    def stage_label(self, code: str) -> str:
        if code == CLOSED.code:
            return CLOSED.label
        return next((stage.label for stage in self.stages if stage.code == code), code)

    @property
    def first_stage(self) -> str:
        return self.steps[0].stage


def _date_fields(form: str) -> set[str]:
    """The fields of a form that hold a date (what a deadline may start from)."""
    model: type[BaseModel] = FORMS[form]
    found = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        options = typing.get_args(annotation) if union else (annotation,)
        if any(
            (typing.get_origin(o) is typing.Annotated and typing.get_args(o)[0] is dt.date) or o is dt.date
            for o in options
        ):
            found.add(name)
    return found | {COMPLETED_ON}


def _as_ref(text: Any, where: str, problems: list[str]) -> DateRef | None:
    if not isinstance(text, str) or text.count(".") != 1:
        problems.append(
            f"{where}: write a date as step.field, for example referral.date_aware (got {text!r})"
        )
        return None
    step, name = text.split(".")
    return DateRef(step, name)


def parse(raw: dict[str, Any], source: str = "review type") -> ReviewTypeDef:
    """A review type from its file's content; DefinitionError listing every problem if it is not valid."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise DefinitionError(source, ["the file must hold a mapping with code, label, stages and steps"])
    for key in ("code", "label", "stages", "steps"):
        if key not in raw:
            problems.append(f"{key} is missing")
    if problems:
        raise DefinitionError(source, problems)
    stages = tuple(
        StageDef(str(s.get("code", "")), str(s.get("label", s.get("code", ""))))
        for s in raw["stages"]
        if isinstance(s, dict)
    )
    if len(stages) != len(raw["stages"]) or any(not stage.code for stage in stages):
        problems.append("every stage needs a code and a label")
    stage_codes = {stage.code for stage in stages}

    deadlines: dict[str, DeadlineRule] = {}
    for code, spec in (raw.get("deadlines") or {}).items():
        units = [unit for unit in ("working_days", "months") if unit in spec]
        if len(units) != 1:
            problems.append(f"deadline {code}: give working_days or months (one of them)")
            continue
        trigger = _as_ref(spec.get("from"), f"deadline {code}", problems)
        figures = [spec[units[0]], spec.get("minimum", spec[units[0]]), spec.get("maximum", spec[units[0]])]
        if not all(isinstance(figure, int) and not isinstance(figure, bool) for figure in figures):
            problems.append(f"deadline {code}: {units[0]}, minimum and maximum must be whole numbers")
            continue
        amount, minimum, maximum = figures
        if not minimum <= amount <= maximum or minimum < 0:
            problems.append(f"deadline {code}: the default {amount} must lie between minimum and maximum")
        if trigger is not None:
            deadlines[code] = DeadlineRule(
                code=code,
                label=str(spec.get("label", code)),
                unit=units[0],
                amount=amount,
                trigger=trigger,
                statutory=bool(spec.get("statutory", False)),
                minimum=minimum,
                maximum=maximum,
                pausable=bool(spec.get("pausable", False)),
                day_plan=bool(spec.get("day_plan", False)),
            )

    steps: list[Step] = []
    seen: dict[str, str] = {}  # step code -> form
    for position, spec in enumerate(raw["steps"]):
        code = str(spec.get("code", f"#{position + 1}"))
        where = f"step {code}"
        form = str(spec.get("form", "record"))
        if form not in FORMS:
            problems.append(f"{where}: no form {form!r} (known forms: {', '.join(sorted(FORMS))})")
            continue
        if code in seen:
            problems.append(f"{where}: a step of this code is defined twice")
        stage = str(spec.get("stage", ""))
        if stage not in stage_codes:
            problems.append(f"{where}: stage {stage!r} is not one of the stages")
        after: list[Prerequisite] = []
        for item in spec.get("after") or []:
            name, reason = (item, "") if isinstance(item, str) else (item.get("step"), item.get("reason", ""))
            if name not in seen:
                problems.append(f"{where}: comes after {name!r}, which is not an earlier step")
                continue
            after.append(Prerequisite(str(name), str(reason)))
        when: list[tuple[DateRef, frozenset[str]]] = []
        for ref_text, values in (spec.get("when") or {}).items():
            ref = _as_ref(ref_text, f"{where} when", problems)
            if ref is not None and ref.step not in seen:
                problems.append(f"{where}: its condition names {ref.step!r}, which is not an earlier step")
            elif ref is not None:
                when.append((ref, frozenset(str(value) for value in values)))
        unknown_roles = sorted(set(spec.get("by") or DEFAULT_BY) - set(GRANTABLE_ROLES))
        if unknown_roles:
            problems.append(f"{where}: by names roles nobody can hold: {', '.join(unknown_roles)}")
        deadline = spec.get("deadline")
        if deadline is not None and deadline not in deadlines:
            problems.append(f"{where}: no deadline {deadline!r} among the deadlines")
        done_on = str(spec.get("done_on", COMPLETED_ON))
        if done_on not in _date_fields(form):
            problems.append(f"{where}: done_on {done_on!r} is not a date of the form {form}")
        not_before = None
        if spec.get("not_before"):
            rule = spec["not_before"]
            trigger = _as_ref(rule.get("from"), f"{where} not_before", problems)
            if rule.get("field") not in _date_fields(form):
                problems.append(f"{where}: not_before names {rule.get('field')!r}, not a date of {form}")
            if trigger is not None:
                not_before = NotBefore(
                    str(rule["field"]), int(rule.get("working_days", 0)), trigger, str(rule.get("reason", ""))
                )
        prefill: list[tuple[str, DateRef]] = []
        for target, origin_text in (spec.get("prefill") or {}).items():
            origin = _as_ref(origin_text, f"{where} prefill", problems)
            if target not in FORMS[form].model_fields:
                problems.append(f"{where}: prefill names {target!r}, not a question of the form {form}")
            elif origin is not None and origin.step not in seen:
                problems.append(
                    f"{where}: prefill takes {origin}, but {origin.step!r} is not an earlier step"
                )
            elif origin is not None and origin.field not in FORMS[seen[origin.step]].model_fields:
                problems.append(f"{where}: prefill takes {origin}, not a question of {seen[origin.step]}")
            elif origin is not None:
                prefill.append((str(target), origin))
        steps.append(
            Step(
                code=code,
                label=str(spec.get("label", code)),
                form=form,
                stage=stage,
                after=tuple(after),
                when=tuple(when),
                deadline=deadline,
                done_on=done_on,
                by=frozenset(spec.get("by") or DEFAULT_BY),
                not_before=not_before,
                prefill=tuple(prefill),
            )
        )
        seen[code] = form

    # Dates named by deadlines and conditions must exist on the step they name.
    refs = [(f"deadline {d.code}", d.trigger) for d in deadlines.values()]
    refs += [(f"step {s.code} not_before", s.not_before.trigger) for s in steps if s.not_before]
    for where, ref in refs:
        if ref.step not in seen:
            problems.append(f"{where}: starts from {ref}, but there is no step {ref.step!r}")
        elif ref.field not in _date_fields(seen[ref.step]):
            problems.append(f"{where}: {ref.field!r} is not a date of the form {seen[ref.step]}")
    for step in steps:
        for ref, _ in step.when:
            if ref.step in seen and ref.field not in FORMS[seen[ref.step]].model_fields | _computed(
                seen[ref.step]
            ):
                problems.append(f"step {step.code}: its condition names {ref}, not an answer of that form")
    if not steps:
        problems.append("a review type needs at least one step")
    if problems:
        raise DefinitionError(source, problems)
    return ReviewTypeDef(
        code=str(raw["code"]),
        label=str(raw["label"]),
        hint=str(raw.get("hint", "")),
        basis=str(raw.get("basis", "")),
        stages=stages,
        steps=tuple(steps),
        deadlines=deadlines,
        amber_within_working_days=int(raw.get("amber_within_working_days", 3)),
        order=int(raw.get("order", 100)),
    )


def _computed(form: str) -> dict[str, Any]:
    return dict(FORMS[form].model_computed_fields)


def load(directory: Path = HERE) -> dict[str, ReviewTypeDef]:
    """Every review type defined in a directory, by code, in their `order` (then by code)."""
    found: dict[str, ReviewTypeDef] = {}
    for path in sorted(directory.glob("*.yml")):
        definition = parse(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        if definition.code in found:
            raise DefinitionError(
                path.name, [f"the code {definition.code!r} is already used by another file"]
            )
        found[definition.code] = definition
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


@cache
def review_types() -> dict[str, ReviewTypeDef]:
    """The review types this deployment offers: the files beside this module, and those of the directory
    CASEREV_REVIEW_TYPES_DIR names (a code already shipped cannot be redefined there)."""
    from services.kernel.config import forms_settings

    found = load()
    extra = forms_settings().review_types_dir
    if extra:
        for code, definition in load(Path(extra)).items():
            if code in found:
                raise DefinitionError(extra, [f"the review type {code!r} is already defined by Case Review"])
            found[code] = definition
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
