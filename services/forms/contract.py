"""What other services and the gateway may know of the forms service: its RPCs' payloads and its events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args, get_origin
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.kernel.events import EventData

SERVICE = "forms"

TITLE_MAX = 200


class OpenReview(BaseModel):
    """Command: open a new review in a partnership. The title is a case reference, never a child's name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_type: str = Field(min_length=1, max_length=50)
    partnership_id: UUID
    title: str = Field(min_length=3, max_length=TITLE_MAX)

    @field_validator("title")
    @classmethod
    def _title_is_printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("Title must be a single line of text")
        return value


class StageInfo(BaseModel):
    """A stage of a review type."""

    code: str
    label: str


class ReviewTypeInfo(BaseModel):
    """A kind of review the partnership can open, as its definition file (review_types/*.yml) says."""

    code: str
    label: str
    hint: str
    stages: list[StageInfo]
    basis: str = ""


class ReviewSummary(BaseModel):
    """A review as its list and its confirmation page show it."""

    id: UUID
    partnership_id: UUID
    review_type: str
    review_type_label: str
    title: str
    stage: str
    stage_label: str
    opened_at: datetime
    # Other partnerships the review is shared with (their partnership case roles can read it).
    shared_with: list[UUID] = Field(default_factory=list)


class ShareReview(BaseModel):
    """Command: let another partnership's business manager, partners and executive read a review."""

    model_config = ConfigDict(extra="forbid")

    review_id: UUID
    partnership_id: UUID


class PersonQuery(BaseModel):
    """Data protection: whom to look for (subject access, erasure). At least one field is given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> PersonQuery:
        if self.user_id is None and self.email is None:
            raise ValueError("Give a user id or an e-mail address")
        return self


class PersonRecord(BaseModel):
    """Data protection: one record a service holds that refers to a person, described without case details.

    Every service answers `records_about_person` with these (the notifications service uses this type
    too), so the gateway can list them together.
    """

    service: str
    record_type: str
    record_id: str
    partnership_id: UUID | None
    summary: str
    # When the record was made or last changed; None where the service did not record it.
    recorded_at: datetime | None


class RetentionQuery(BaseModel):
    """Data protection: list the reviews opened before this date (ISO, e.g. 2019-04-01)."""

    model_config = ConfigDict(extra="forbid")

    opened_before: FormDate


class RetentionCandidate(BaseModel):
    """A review old enough to be considered under the partnership's retention schedule."""

    id: UUID
    partnership_id: UUID
    title: str
    review_type: str
    opened_at: datetime


class ReviewOpened(EventData):
    """A partnership opened a review: its type and first stage. Carries no free text about the child."""

    event_type = "forms.review_opened"

    review_id: UUID
    review_type: str
    stage: str
    opened_at: datetime


class ReviewShared(EventData):
    """A partnership shared one of its reviews with another partnership, which may now read it."""

    event_type = "forms.review_shared"

    review_id: UUID
    shared_with_partnership_id: UUID


# == The review lifecycle ===================================================================================
#
# The forms of a review: one pydantic model per kind of form, with the words the pages show (`title` is the
# question, `description` the hint). A review type (services/forms/review_types/*.yml) names which form each
# of its steps uses; adding a review type is data, adding a kind of form is code here.

SHORT_TEXT = 200
LONG_TEXT = 5000
ENGLAND = ZoneInfo("Europe/London")


def today_in_england() -> date:
    """Today's date in England, the calendar every statutory date is kept in."""
    return datetime.now(ENGLAND).date()


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
    problems: dict[str, dict[str, str]] = {}
    for item in error.errors():
        named = (item.get("ctx") or {}).get("field")
        path = ".".join([*(str(part) for part in item["loc"]), *([named] if named else [])]) or "form"
        model = globals().get(error.title)
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


NATURE = choices(death="The child died", serious_harm="The child was seriously harmed", other="Other")
# A referral may be about a child, an adult (a SAR) or a death in a domestic setting (a DHR): words for all.
REFERRAL_NATURE = choices(
    death="They died", serious_harm="They were seriously harmed", other="Something else happened"
)


class Referral(FormAnswers):
    """A possible serious incident referred to the partnership. No names: the case reference is the title."""

    referring_organisation: ShortText = Field(title="Which organisation is making the referral?")
    referrer_role: ShortText = Field(
        title="Referrer's role", description="Their job title, not their name, for example 'Named nurse'"
    )
    incident_date: PastDate = Field(title="Date of the incident")
    date_aware: PastDate = Field(
        title="Date the local authority became aware",
        description="The statutory clock for the notification starts on this date",
    )
    nature: Literal["death", "serious_harm", "other"] = Field(
        title="What happened to the child or adult the referral is about?", json_schema_extra=REFERRAL_NATURE
    )
    summary: LongText = Field(
        title="Brief outline",
        description="What happened and which agencies know the family. Use roles and initials, never names.",
    )
    senior_lead_agreed: bool = Field(
        title="Has a senior safeguarding lead agreed that this should be referred?",
    )

    @model_validator(mode="after")
    def _aware_after_incident(self) -> Referral:
        if self.date_aware < self.incident_date:
            raise PydanticCustomError(
                "date_order",
                "The date of becoming aware must be on or after the date of the incident",
                {"field": "date_aware"},
            )
        return self


class CriteriaCheck(FormAnswers):
    """The safeguarding partners' check against the criteria of the Children Act 2004 s16C(1)."""

    abuse_or_neglect: Literal["known", "suspected", "not_suspected"] = Field(
        title="Is abuse or neglect known or suspected?",
        json_schema_extra=choices(
            known="Known", suspected="Suspected", not_suspected="Neither known nor suspected"
        ),
    )
    abuse_or_neglect_rationale: LongText = Field(
        title="Your reasons on abuse or neglect",
        description="Against the criterion: what is known, what is suspected",
    )
    harm: Literal["died", "seriously_harmed", "neither"] = Field(
        title="Did the child die or was the child seriously harmed?",
        json_schema_extra=choices(
            died="The child died", seriously_harmed="Seriously harmed", neither="Neither"
        ),
    )
    harm_rationale: LongText = Field(
        title="Your reasons on death or serious harm",
        description="Against the criterion: the harm and its impact",
    )
    looked_after_child_death: bool = Field(title="Is this the death of a looked-after child?")
    care_leaver_death: bool = Field(title="Is this the death of a care leaver under 25?")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def outcome(self) -> str:
        """rapid_review (both criteria met), notify_only (a looked-after child's or care leaver's death),
        or not_met."""
        if self.abuse_or_neglect != "not_suspected" and self.harm != "neither":
            return "rapid_review"
        if self.harm == "died" and (self.looked_after_child_death or self.care_leaver_death):
            return "notify_only"
        return "not_met"


class Child(FormAnswers):
    """One child of a Serious Incident Notification (DfE's categories)."""

    sex: Literal["female", "male", "not_known"] = Field(
        title="Sex", json_schema_extra=choices(female="Female", male="Male", not_known="Not known")
    )
    date_of_birth: PastDate | None = Field(default=None, title="Date of birth", description="Or give the age")
    age_years: int | None = Field(default=None, ge=0, le=24, title="Age in years")
    ethnicity: Literal["asian", "black", "mixed", "white", "other", "not_known"] = Field(
        title="Ethnicity",
        json_schema_extra=choices(
            asian="Asian or Asian British",
            black="Black, Black British, Caribbean or African",
            mixed="Mixed or multiple ethnic groups",
            white="White",
            other="Another ethnic group",
            not_known="Not known",
        ),
    )
    disability: Literal["yes", "no", "not_known"] = Field(
        title="Disabled?",
        json_schema_extra={
            **choices(yes="Yes", no="No", not_known="Not known"),
            "missing": "Select whether the child is disabled",
        },
    )
    legal_status: list[Literal["child_in_need", "child_protection", "looked_after", "care_leaver"]] = Field(
        default_factory=list,
        max_length=4,
        title="Legal status",
        description="Select all that apply, or none",
        json_schema_extra=choices(
            child_in_need="Child in need plan",
            child_protection="Child protection plan",
            looked_after="Looked after",
            care_leaver="Care leaver",
        ),
    )
    placement: Literal[
        "with_parents", "with_family_or_friends", "foster_care", "residential", "secure", "other", "none"
    ] = Field(
        title="Where the child lived",
        json_schema_extra=choices(
            with_parents="With parents",
            with_family_or_friends="With family or friends",
            foster_care="Foster care",
            residential="Residential home",
            secure="Secure setting",
            other="Other",
            none="Not applicable",
        ),
    )

    @model_validator(mode="after")
    def _age_or_birth_date(self) -> Child:
        if self.date_of_birth is None and self.age_years is None:
            raise PydanticCustomError(
                "age_missing", "Give the child's date of birth or age", {"field": "age_years"}
            )
        return self


MAX_CHILDREN = 4


class SeriousIncidentNotification(FormAnswers):
    """The Serious Incident Notification to the Child Safeguarding Practice Review Panel (DOMAIN.md)."""

    notifying_local_authority: ShortText = Field(title="Notifying local authority")
    notifier_role: ShortText = Field(title="Notifier's role", description="Their job title, not their name")
    incident_date: PastDate = Field(title="Date of the incident")
    date_aware: PastDate = Field(title="Date the local authority became aware")
    notified_on: PastDate = Field(
        title="Date of notification", description="The day the notification was sent to the Panel"
    )
    nature: Literal["death", "serious_harm", "other"] = Field(
        title="Nature of the incident", json_schema_extra=NATURE
    )
    children: list[Child] = Field(
        min_length=1,
        max_length=MAX_CHILDREN,
        title="The children",
        description=f"One notification covers up to {MAX_CHILDREN} children",
    )
    known_to_agencies: bool = Field(title="Were the children known to agencies?")
    agencies_known: OptionalLongText = Field(default="", title="Which agencies knew the children?")
    case_outline: LongText = Field(
        title="Brief case outline", description="Use roles and initials, never names"
    )
    police_investigation: Literal["yes", "no", "not_known"] = Field(
        title="Is there a police investigation?",
        json_schema_extra={
            **choices(yes="Yes", no="No", not_known="Not known yet"),
            "missing": "Select whether there is a police investigation",
        },
    )
    other_local_authorities: OptionalShortText = Field(default="", title="Other local authorities involved")
    threshold_met: Literal["yes", "no", "not_sure"] = Field(
        title="Is the rapid review threshold considered met?",
        json_schema_extra={
            **choices(yes="Yes", no="No", not_sure="Not sure yet"),
            "missing": "Select whether the rapid review threshold is considered met",
        },
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> SeriousIncidentNotification:
        if self.date_aware < self.incident_date:
            raise PydanticCustomError(
                "date_order",
                "The date of becoming aware must be on or after the date of the incident",
                {"field": "date_aware"},
            )
        if self.notified_on < self.date_aware:
            raise PydanticCustomError(
                "date_order",
                "The date of notification must be on or after the date of becoming aware",
                {"field": "notified_on"},
            )
        if self.known_to_agencies and not self.agencies_known:
            raise PydanticCustomError(
                "agencies_missing", "Say which agencies knew the children", {"field": "agencies_known"}
            )
        return self


class InvitedAgency(BaseModel):
    """An agency asked for a rapid review return: its id in the gateway's register, and its name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agency_id: UUID
    name: ShortText


class RapidReviewSetup(FormAnswers):
    """The rapid review begins: the agencies that knew the child are asked for their returns (day 1)."""

    agencies: list[InvitedAgency] = Field(
        min_length=1,
        max_length=40,
        title="Which agencies knew the child and family?",
        description="Each is asked for a return and to secure its records",
    )
    letters_sent_on: PastDate = Field(title="Date the letters to agencies were sent")
    meeting_planned_on: FormDate | None = Field(
        default=None, title="Date of the rapid review meeting, if set"
    )


class RapidReviewMeeting(FormAnswers):
    """The rapid review meeting of the review sub-group."""

    held_on: PastDate = Field(title="Date of the meeting")
    immediate_safety_actions: LongText = Field(title="Immediate safeguarding actions agreed")
    learning: LongText = Field(title="Learning identified so far")


class RapidReviewReport(FormAnswers):
    """What the rapid review report holds beyond the returns and the meeting, and the partners' sign-off."""

    lived_experience: LongText = Field(
        title="The child's lived experience",
        description="Including race, culture, disability and other protected characteristics",
    )
    learning_under_way: LongText = Field(title="Learning and actions already under way")
    parallel_processes: OptionalLongText = Field(
        default="", title="Parallel processes", description="Criminal proceedings, inquest, other reviews"
    )
    local_authority_signed_on: PastDate = Field(title="Date the local authority signed off")
    police_signed_on: PastDate = Field(title="Date the police signed off")
    health_signed_on: PastDate = Field(title="Date the integrated care board signed off")


class Decision(FormAnswers):
    """The safeguarding partners' decision on a local child safeguarding practice review."""

    outcome: Literal["lcspr", "no_lcspr", "national_review_suggested"] = Field(
        title="What have the safeguarding partners decided?",
        json_schema_extra=choices(
            lcspr="Undertake a local child safeguarding practice review",
            no_lcspr="No local review: the learning is taken forward another way",
            national_review_suggested="Suggest a national review to the Panel",
        ),
    )
    rationale: LongText = Field(title="Rationale, against the criteria")
    alternative_learning: OptionalLongText = Field(
        default="",
        title="How will the learning be taken forward?",
        description="Needed if there is no local review",
    )
    decided_on: PastDate = Field(title="Date of the decision")

    @model_validator(mode="after")
    def _alternative_when_no_review(self) -> Decision:
        if self.outcome == "no_lcspr" and not self.alternative_learning:
            raise PydanticCustomError(
                "alternative_missing",
                "Say how the learning will be taken forward without a local review",
                {"field": "alternative_learning"},
            )
        return self


class ReviewDecision(FormAnswers):
    """A board's or community safety partnership's decision whether to hold a review (SAR, DHR)."""

    outcome: Literal["review", "no_review"] = Field(
        title="What has been decided?",
        json_schema_extra=choices(review="Hold a review", no_review="No review"),
    )
    rationale: LongText = Field(title="Rationale, against the criteria")
    decided_on: PastDate = Field(title="Date of the decision")


class PanelSubmission(FormAnswers):
    """The rapid review report and decision sent to the Panel."""

    sent_on: PastDate = Field(title="Date the report was sent to the Panel")
    copied_to_ofsted_and_dfe: bool = Field(
        title="Was it shared with Ofsted and the Department for Education?"
    )


class PanelResponse(FormAnswers):
    """The National Panel's response to the rapid review."""

    received_on: PastDate = Field(title="Date of the Panel's response")
    response: Literal["agrees", "questions", "national_review"] = Field(
        title="What did the Panel say?",
        json_schema_extra=choices(
            agrees="It agrees with the decision",
            questions="It has questions",
            national_review="It is considering a national review",
        ),
    )
    details: OptionalLongText = Field(default="", title="Details")


class LcsprSetup(FormAnswers):
    """The set-up checklist of a local child safeguarding practice review. A draft may be saved part-done."""

    lead_reviewer: ShortText = Field(title="Lead reviewer", description="The independent reviewer appointed")
    lead_reviewer_appointed_on: PastDate = Field(title="Date the lead reviewer was appointed")
    review_group_formed: bool = Field(
        default=False, title="Review group formed", description="Senior managers not involved in the case"
    )
    practitioner_group_formed: bool = Field(default=False, title="Practitioner group formed")
    family_informed: bool = Field(default=False, title="Family informed of the review")
    terms_of_reference_agreed: bool = Field(default=False, title="Terms of reference agreed")
    chronology_template_issued: bool = Field(default=False, title="Chronology template issued to agencies")
    methodology: OptionalShortText = Field(default="", title="Methodology")

    def missing_to_complete(self) -> list[dict[str, str]]:
        checklist = (
            ("review_group_formed", "Form the review group"),
            ("practitioner_group_formed", "Form the practitioner group"),
            ("family_informed", "Inform the family"),
            ("terms_of_reference_agreed", "Agree the terms of reference"),
            ("chronology_template_issued", "Issue the chronology template"),
        )
        return [
            {"field": name, "message": f"{words} before completing the set-up"}
            for name, words in checklist
            if not getattr(self, name)
        ]


class FinalReport(FormAnswers):
    """The final report sent to the Panel and the Secretary of State (or the Home Office, or the board)."""

    sent_on: PastDate = Field(title="Date the final report was sent")
    recipients: ShortText = Field(
        title="Sent to", description="For example 'The Panel and the Secretary of State for Education'"
    )


class Publication(FormAnswers):
    """Publication of the report, or the recorded decision not to publish it."""

    decision: Literal["publish", "not_publish"] = Field(
        title="Is the report published?",
        json_schema_extra=choices(publish="Published", not_publish="Not published"),
    )
    published_on: PastDate | None = Field(
        default=None, title="Date of publication", description="Needed if the report is published"
    )
    address: OptionalShortText = Field(default="", title="Web address where it is published")
    reason_not_published: OptionalLongText = Field(default="", title="Why is it not published?")
    panel_agreed: bool = Field(
        default=False, title="Has the Panel agreed not to publish?", description="Needed if not published"
    )
    learning_brief_published: bool = Field(default=False, title="Has a learning brief been published?")

    @model_validator(mode="after")
    def _publish_or_why_not(self) -> Publication:
        if self.decision == "publish" and self.published_on is None:
            raise PydanticCustomError(
                "date_missing", "Enter the date of publication", {"field": "published_on"}
            )
        if self.decision == "not_publish" and not self.reason_not_published:
            raise PydanticCustomError(
                "reason_missing", "Say why the report is not published", {"field": "reason_not_published"}
            )
        if self.decision == "not_publish" and not self.panel_agreed:
            raise PydanticCustomError(
                "panel_agreement_missing",
                "A report is not published only with the Panel's agreement: confirm it agreed",
                {"field": "panel_agreed"},
            )
        return self


class Closure(FormAnswers):
    """The review is closed."""

    closed_on: PastDate = Field(title="Date of closure")
    note: OptionalLongText = Field(default="", title="Closing note")


class Record(FormAnswers):
    """A step recorded as done, with a date and a note: the form of any step a review type defines without a
    form of its own."""

    done_on: PastDate = Field(title="Date done")
    note: OptionalLongText = Field(default="", title="Note")


# The kinds of form a review type's step may name (services/forms/review_types/*.yml).
FORMS: dict[str, type[FormAnswers]] = {
    "referral": Referral,
    "criteria_check": CriteriaCheck,
    "serious_incident_notification": SeriousIncidentNotification,
    "rapid_review_setup": RapidReviewSetup,
    "rapid_review_meeting": RapidReviewMeeting,
    "rapid_review_report": RapidReviewReport,
    "decision": Decision,
    "review_decision": ReviewDecision,
    "panel_submission": PanelSubmission,
    "panel_response": PanelResponse,
    "lcspr_setup": LcsprSetup,
    "final_report": FinalReport,
    "publication": Publication,
    "closure": Closure,
    "record": Record,
}


# -- agency returns -----------------------------------------------------------------------------------------

MAX_EPISODES = 10


class KeyPracticeEpisode(BaseModel):
    """A key practice episode of an agency's involvement."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    what_happened: LongText = Field(title="What happened")
    went_well: OptionalLongText = Field(default="", title="What went well")
    could_improve: OptionalLongText = Field(default="", title="What could have been better")


class AgencyReturnAnswers(BaseModel):
    """An agency's rapid review return (the agency summary). A draft may be partly empty; submitting needs
    every required answer and the records secured."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    author_role: OptionalShortText = Field(default="", title="Author's role", description="Not their name")
    involvement_from: PastDate | None = Field(default=None, title="Involvement from")
    involvement_to: PastDate | None = Field(default=None, title="Involvement to")
    summary: OptionalLongText = Field(default="", title="Summary of the agency's involvement")
    episodes: list[KeyPracticeEpisode] = Field(
        default_factory=list, max_length=MAX_EPISODES, title="Key practice episodes"
    )
    immediate_actions: OptionalLongText = Field(default="", title="Immediate actions taken")
    learning: OptionalLongText = Field(default="", title="Single-agency learning")
    records_secured: bool = Field(
        default=False,
        title="The agency's records about the child and family are secured",
        description="Locked so that nothing is changed or deleted while the review runs",
    )

    @model_validator(mode="after")
    def _period_in_order(self) -> AgencyReturnAnswers:
        if self.involvement_from and self.involvement_to and self.involvement_to < self.involvement_from:
            raise PydanticCustomError(
                "date_order",
                "Involvement to must be on or after involvement from",
                {"field": "involvement_to"},
            )
        return self

    def missing_to_submit(self) -> list[dict[str, str]]:
        """What must be answered before the return can be submitted."""
        required = (
            ("author_role", "Enter the author's role"),
            ("involvement_from", "Enter the date the involvement began"),
            ("summary", "Summarise the agency's involvement"),
            ("immediate_actions", "Say what immediate actions were taken, or 'None'"),
            ("learning", "Say what the agency has learned, or 'None yet'"),
        )
        missing = [{"field": name, "message": words} for name, words in required if not getattr(self, name)]
        if not self.records_secured:
            missing.append(
                {"field": "records_secured", "message": "Confirm the agency's records are secured"}
            )
        return missing


# -- what the pages and the API see of a review's lifecycle ------------------------------------------------

StepStatus = Literal["completed", "in_progress", "not_started", "cannot_start", "not_needed"]
Rag = Literal["red", "amber", "green", "paused", "none"]


class DeadlineView(BaseModel):
    """A deadline of a review: the statutory date, the date revised for pauses, and how it stands.

    `status`: "waiting" (its clock has not started), "due", "paused", "overdue", "met", "late".
    `pausable`: a pause for a parallel process stops it (the rapid review's statutory deadlines run on).
    """

    code: str
    label: str
    statutory: bool
    step: str | None
    basis: str
    trigger_on: date | None
    due_on: date | None
    revised_due_on: date | None
    done_on: date | None
    status: Literal["waiting", "due", "paused", "overdue", "met", "late"]
    late_by_working_days: int = 0
    working_days_left: int | None = None
    rag: Rag = "none"
    day_plan: int | None = None
    pausable: bool = False


class StepView(BaseModel):
    """A step of a review as its task list shows it."""

    code: str
    label: str
    stage: str
    form: str
    status: StepStatus
    blocked_by: str = ""
    may_complete: bool = False
    # Who completes the step, in words ("The executive or a safeguarding partner").
    done_by: str = ""
    deadline: str | None = None
    due_on: date | None = None
    completed_on: date | None = None
    completed_by: str | None = None
    answers: dict[str, Any] | None = None
    version: int = 0
    # Before anything is saved: the earlier answers this step's form starts with (editable), if any.
    prefill: dict[str, Any] | None = None


class PauseView(BaseModel):
    """A pause of a review's clock for a parallel process."""

    id: UUID
    reason: str
    reason_label: str
    detail: str
    starts_on: date
    ends_on: date | None
    approved_by: str
    recorded_by: str
    recorded_at: datetime


class ReturnSummary(BaseModel):
    """An agency's return as the returns board and the agency's list show it.

    `list_returns` RPC: the returns asked of the caller's agency. `partnership_returns` RPC: every return
    of the caller's own partnership's open reviews, overdue first, then by due date (its business manager,
    partners and executive only; Forbidden for anyone else).
    """

    id: UUID
    review_id: UUID
    review_title: str
    partnership_id: UUID
    agency_id: UUID
    agency_name: str
    status: Literal["requested", "draft", "submitted", "nil"]
    due_on: date
    extended_to: date | None
    extension_reason: str
    submitted_at: datetime | None
    submitted_by: str | None
    late_by_working_days: int
    overdue: bool
    # While not in: working days past the due date (overdue), or left before it (None once overdue or in).
    overdue_by_working_days: int = 0
    working_days_left: int | None
    version: int


class Addendum(BaseModel):
    """A correction to a submitted return, with its own author and time."""

    id: UUID
    text: str
    author: str
    added_at: datetime


class ReturnView(ReturnSummary):
    """One return, whole: its answers and any addenda."""

    answers: dict[str, Any]
    addenda: list[Addendum]
    # The caller is one of the agency's own people (drafts, addenda) / its safeguarding lead (submits).
    own_agency: bool = False
    agency_lead: bool = False
    may_edit: bool
    may_submit: bool
    missing: list[dict[str, str]]


class StageView(BaseModel):
    """A stage of a review's timeline: reached or not, and when."""

    code: str
    label: str
    state: Literal["done", "current", "future", "skipped"]
    reached_on: date | None = None


class ReviewFile(ReviewSummary):
    """A review with its lifecycle: steps, stages, the statutory clock, pauses and the returns."""

    steps: list[StepView]
    stages: list[StageView]
    deadlines: list[DeadlineView]
    pauses: list[PauseView]
    returns: list[ReturnSummary]
    next_deadline: DeadlineView | None
    rag: Rag
    paused: bool
    closed: bool
    may_manage: bool
    version: int


class ReviewListEntry(ReviewSummary):
    """A review in "my reviews": its next deadline and red/amber/green state."""

    next_deadline: DeadlineView | None
    rag: Rag
    paused: bool
    closed: bool


PAUSE_REASONS = {
    "criminal_investigation": "Criminal investigation or trial",
    "inquest": "Coroner's inquest",
    "family_proceedings": "Family proceedings",
    "other_review": "Another statutory review of the same death or harm",
    "single_agency_review": "Single-agency review",
    "other": "Other parallel process",
}


class EarlierCompletion(BaseModel):
    """Command detail: the earlier day a step was done, for the system recording what happened before."""

    model_config = ConfigDict(extra="forbid")

    completed_on: PastDate


class RecordPause(BaseModel):
    """Command: pause a review's clock for a parallel process, with who agreed it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Literal[
        "criminal_investigation",
        "inquest",
        "family_proceedings",
        "other_review",
        "single_agency_review",
        "other",
    ] = Field(
        title="Why is the review paused?",
        json_schema_extra={**choices(**PAUSE_REASONS), "missing": "Select why the review is paused"},
    )
    detail: LongText = Field(
        title="Details", description="No names: say what the process is and what it affects"
    )
    starts_on: FormDate = Field(
        title="Pause starts on", json_schema_extra={"missing": "Enter the date the pause starts"}
    )
    ends_on: FormDate | None = Field(
        default=None, title="Pause ends on", description="Leave empty if not known yet"
    )
    approved_by: ShortText = Field(
        title="Who agreed the pause?",
        description="Their role, for example 'Lead safeguarding partner (police)'",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> RecordPause:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise PydanticCustomError(
                "date_order", "The pause must end on or after the day it starts", {"field": "ends_on"}
            )
        return self


class EndPause(BaseModel):
    """Command: end an open pause on a date."""

    model_config = ConfigDict(extra="forbid")

    ends_on: FormDate = Field(title="Pause ended on")


class AskAgency(BaseModel):
    """Command: ask one more agency for a return once the rapid review has begun."""

    model_config = ConfigDict(extra="forbid")

    agency: InvitedAgency


class ExtendReturn(BaseModel):
    """Command: give an agency more time for its return, with the reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    extended_to: FormDate = Field(title="New due date")
    reason: LongText = Field(title="Reason for the extension")


class AddAddendum(BaseModel):
    """Command: add a correction to a submitted return."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: LongText = Field(title="Addendum", description="What is corrected or added, and why")


class DeadlineSetting(BaseModel):
    """A partnership's own figure for a deadline of a review type, within what statute allows."""

    review_type: str
    code: str
    label: str
    unit: Literal["working_days", "months"]
    default: int
    minimum: int
    maximum: int
    value: int
    statutory: bool


class ChangeDeadlineSettings(BaseModel):
    """Command: set a partnership's deadline figures for one review type ({deadline code: value})."""

    model_config = ConfigDict(extra="forbid")

    review_type: str
    values: dict[str, int]


class DocumentFile(BaseModel):
    """A document assembled from a review's data: its file name, media type and bytes (base64)."""

    filename: str
    media_type: str
    content_base64: str


# -- events of the lifecycle --------------------------------------------------------------------------------


class StepCompleted(EventData):
    """A step of a review was completed; its timeliness when it had a deadline."""

    event_type = "forms.step_completed"

    review_id: UUID
    review_type: str
    step: str
    form: str
    stage: str
    completed_on: date
    deadline: str | None = None
    due_on: date | None = None
    revised_due_on: date | None = None
    late_by_working_days: int | None = None


class StageChanged(EventData):
    """A review moved to another stage."""

    event_type = "forms.stage_changed"

    review_id: UUID
    review_type: str
    previous_stage: str
    stage: str


class ReviewRestated(EventData):
    """Where a review is now, restated for consumers that came later (forms' migration 0004 restates
    every review once, so that analytics' stages start from the truth rather than from its openings)."""

    event_type = "forms.review_restated"

    review_id: UUID
    review_type: str
    stage: str


class SinSubmitted(EventData):
    """A Serious Incident Notification was sent to the Panel (counts only, no details of the children)."""

    event_type = "forms.sin_submitted"

    review_id: UUID
    notified_on: date
    date_aware: date
    due_on: date | None
    late_by_working_days: int | None
    children: int
    nature: str


class DecisionMade(EventData):
    """The partners decided whether to hold a review, with the outcome code (the rationale stays in forms)."""

    event_type = "forms.decision_made"

    review_id: UUID
    review_type: str
    outcome: str
    decided_on: date


class ReviewPublished(EventData):
    """A review's report was published, or it was recorded that it will not be (`published` False)."""

    event_type = "forms.review_published"

    review_id: UUID
    review_type: str
    published: bool
    published_on: date | None


class ReviewClosed(EventData):
    """A review was closed."""

    event_type = "forms.review_closed"

    review_id: UUID
    review_type: str
    closed_on: date


class DeadlineChanged(EventData):
    """A deadline of a review was set or moved: its clock started, a pause moved it, or it was met.

    `due_on` is the statutory date, `revised_due_on` the date after pauses; `reason` is a code: started,
    paused, resumed, met.
    """

    event_type = "forms.deadline_changed"

    review_id: UUID
    review_type: str
    deadline: str
    label: str
    statutory: bool
    due_on: date | None
    revised_due_on: date | None
    previous_revised_due_on: date | None
    status: str
    reason: str


class ReviewPaused(EventData):
    """A review's clock was paused for a parallel process (reason code, dates; no free text)."""

    event_type = "forms.review_paused"

    review_id: UUID
    pause_id: UUID
    reason: str
    starts_on: date
    ends_on: date | None


class ReviewResumed(EventData):
    """An open pause of a review's clock was ended."""

    event_type = "forms.review_resumed"

    review_id: UUID
    pause_id: UUID
    ends_on: date


class ReturnRequested(EventData):
    """An agency was asked for its rapid review return, due on a date (notifications tell its leads)."""

    event_type = "forms.return_requested"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    due_on: date


class ReturnSubmitted(EventData):
    """An agency submitted its return (`nil`: no involvement), on time or late by some working days."""

    event_type = "forms.return_submitted"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    nil: bool
    due_on: date
    late_by_working_days: int


class ReturnExtended(EventData):
    """An agency was given more time for its return."""

    event_type = "forms.return_extended"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    previous_due_on: date
    due_on: date


class ReturnAmended(EventData):
    """An addendum was added to a submitted return."""

    event_type = "forms.return_amended"

    review_id: UUID
    return_id: UUID
    agency_id: UUID
    addendum_id: UUID


class Refer(BaseModel):
    """Command: refer a possible serious incident. Opens a review whose first step (the referral) is
    completed with these answers; anyone with a case role in the partnership may refer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    review_type: str = Field(min_length=1, max_length=50)
    partnership_id: UUID
    title: str = Field(min_length=3, max_length=TITLE_MAX)
    referral: dict[str, Any]
