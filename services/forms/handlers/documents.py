"""The documents a business manager draws from a review (DOCX): assembled from the review's file and its
returns as the caller may read them (documents/)."""

from __future__ import annotations

import base64
from uuid import UUID

from services.forms import documents, policy, views
from services.forms.contract import ChronologyEpisode, DocumentFile
from services.forms.handlers.access import readable_review
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.calendar import today_in_england
from services.kernel.errors import NotFound
from services.kernel.identity import Actor


def document(
    uow: FormsUnitOfWork,
    caller: Actor,
    review_id: UUID,
    kind: str,
    partnership_name: str,
    episodes: list[ChronologyEpisode] | None = None,
) -> DocumentFile:
    """One of documents.KINDS, if the review's type has the form it is made from; NotFound otherwise."""
    record, shared_with = readable_review(uow.reviews, caller, review_id)
    policy.check_may_draw_documents(caller, record.partnership_id)
    review = views.review_file(uow.reviews, caller, record, shared_with)
    if kind not in documents.kinds_of({step.form for step in review.steps}):
        raise NotFound("No such document for this review")
    returns = [views.return_view(uow.reviews, caller, row, record) for row in uow.reviews.returns(record.id)]
    content = documents.KINDS[kind][2](review, returns, partnership_name, today_in_england(), episodes or [])
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in record.title)[:60]
    return DocumentFile(
        filename=f"{slug}-{kind}.docx",
        media_type=documents.MEDIA_TYPE,
        content_base64=base64.b64encode(content).decode(),
    )
