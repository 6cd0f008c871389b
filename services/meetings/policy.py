"""Who may see a review's meetings: the one place for the meetings service's access rules. Pure Python.

Deny by default, from the caller's partnership, roles and review memberships (the Actor every RPC carries),
as the forms service decides who reads a review. A review the caller may not see is not found.

The service knows which partnership holds a review from the review's meetings; until it keeps its own copy
of reviews (from forms' events), a review whose meetings another partnership holds reads as one with none
(so the answer never tells that a review exists), and a partnership a review is shared with sees none.
"""

from __future__ import annotations

# The rule from the caller's identity is the kernel's, shared with every service that holds a review's parts.
from services.kernel.identity import check_may_see_review, may_see_review

__all__ = ["check_may_see_review", "may_see_review"]
