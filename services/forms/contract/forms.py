"""The statutory forms: one pydantic model per kind of form a review type's steps use, with the words
the pages show (`title` is the question, `description` the hint)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)
from pydantic_core import PydanticCustomError

# == The review lifecycle ===================================================================================
#
# The forms of a review: one pydantic model per kind of form, with the words the pages show (`title` is the
# question, `description` the hint). A review type (services/forms/review_types/*.yml) names which form each
# of its steps uses; adding a review type is data, adding a kind of form is code here.
from services.forms.contract.answers import (
    FormAnswers,
    FormDate,
    LongText,
    OptionalLongText,
    OptionalShortText,
    PastDate,
    ShortText,
    choices,
)

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
