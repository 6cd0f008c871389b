"""The rules of the review case file. Pure Python: no I/O, no framework.

One module per part of a review's life, each importable on its own; everything is re-exported here, so
`from services.forms import domain` and `domain.plan(...)` read the same wherever a rule lives:

- reviews.py: the review types, opening a review, sharing it, the partnership's deadline figures;
- state.py: a review at one moment (its steps, pauses and returns) and its plan (statuses, stage, deadlines);
- steps.py: saving and completing steps, and the events a completed step announces;
- pauses.py: pausing the clock for a parallel process, and ending the pause;
- returns.py: the agencies' returns, from being asked for to being locked, extended and amended.
"""

from services.forms.domain.categories import age_band, children_categories
from services.forms.domain.pauses import Pause, end_pause, pause_clock
from services.forms.domain.returns import (
    LATE_REQUEST_WORKING_DAYS,
    RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS,
    AgencyReturn,
    ask_another_agency,
    check_may_amend,
    extend_return,
    nil_return,
    request_returns,
    return_amended,
    return_extended,
    return_requested,
    return_standing,
    return_submitted,
    returns_due,
    save_return,
    submit_return,
)
from services.forms.domain.reviews import (
    UNKNOWN_REVIEW_TYPE,
    Review,
    ReviewShare,
    check_deadline_figures,
    figures_for,
    open_review,
    review_type,
    share_review,
    start_of_day,
)
from services.forms.domain.state import (
    Plan,
    ReturnsProgress,
    ReviewState,
    StepPlan,
    StepRecord,
    plan,
    prefill,
    recorded_at,
    stage_dates,
)
from services.forms.domain.steps import (
    Completion,
    complete,
    complete_step,
    deadline_changes,
    form_answers,
    invited_agencies,
    local_decision,
    save_step,
)

__all__ = [
    "LATE_REQUEST_WORKING_DAYS",
    "RETURNS_WITHOUT_A_DEADLINE_WORKING_DAYS",
    "UNKNOWN_REVIEW_TYPE",
    "AgencyReturn",
    "Completion",
    "Pause",
    "Plan",
    "ReturnsProgress",
    "Review",
    "ReviewShare",
    "ReviewState",
    "StepPlan",
    "StepRecord",
    "age_band",
    "ask_another_agency",
    "check_deadline_figures",
    "check_may_amend",
    "children_categories",
    "complete",
    "complete_step",
    "deadline_changes",
    "end_pause",
    "extend_return",
    "figures_for",
    "form_answers",
    "invited_agencies",
    "local_decision",
    "nil_return",
    "open_review",
    "pause_clock",
    "plan",
    "prefill",
    "recorded_at",
    "request_returns",
    "return_amended",
    "return_extended",
    "return_requested",
    "return_standing",
    "return_submitted",
    "returns_due",
    "review_type",
    "save_return",
    "save_step",
    "share_review",
    "stage_dates",
    "start_of_day",
    "submit_return",
]
