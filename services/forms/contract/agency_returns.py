"""What an agency's return holds: its answers and the key practice episodes it names."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

# == The review lifecycle ===================================================================================
#
# The forms of a review: one pydantic model per kind of form, with the words the pages show (`title` is the
# question, `description` the hint). A review type (services/forms/review_types/*.yml) names which form each
# of its steps uses; adding a review type is data, adding a kind of form is code here.
from services.forms.contract.answers import LongText, OptionalLongText, OptionalShortText, PastDate

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
