"""The demo's report in progress, played through the reports service's own commands: the infant's review
(NB-2026-014) has its rapid review report begun by the business manager, its agencies' sections assigned (the
police's shared with health), some text in them, two named versions ("First draft" and "For factual
accuracy"), and a factual-accuracy round on the second in which the police have confirmed their sections and
health has not answered yet; a comment of the business manager's on the police's section, mentioning the
police's lead, with the lead's reply. Made-up text only. Seeding again changes nothing once the report exists.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from caserev.bus import service_client
from services.kernel.config import OperatorSettings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once
from services.reports import yjs_text
from services.reports.contract import (
    AccuracyAnswer,
    Assignment,
    NameVersion,
    NewComment,
    NewDocument,
    NewReply,
    OpenAccuracyRound,
    Reports,
    SectionUpdates,
)

REVIEW = "NB-2026-014 infant, serious harm"
TITLE = "Rapid review report: NB-2026-014"
# (section key, agency writing it or None, agencies it is shared with, paragraphs)
SECTIONS = (
    (
        "incident",
        None,
        (),
        ["Baby A was brought to hospital with injuries that were not consistent with the account given."],
    ),
    (
        "agencies",
        "Northbridge Police",
        ("Northbridge Health ICB",),
        [
            "Police attended the family home twice in the three months before the incident,"
            " after calls from a neighbour."
        ],
    ),
    (
        "key_practice_episodes",
        "Northbridge Health ICB",
        (),
        ["The health visitor's new birth visit took place on day 14; the follow-up contact was missed."],
    ),
)


def _paragraph(doc: Doc, text: str, comment: uuid.UUID | None = None) -> str:
    """A paragraph appended to a section's Yjs document, as an update (base64); with `comment`, its text
    carries the editor's comment mark (TipTap's `comment` mark, as y-prosemirror keeps marks)."""
    before = doc.get_state()
    element = doc.get(yjs_text.FRAGMENT, type=XmlFragment).children.append(XmlElement("paragraph", {}))
    run = element.children.append(XmlText())
    run.insert(0, text, {"comment": {"commentId": str(comment)}} if comment else None)
    return base64.b64encode(doc.get_update(before)).decode("ascii")


def seed_reports(
    settings: OperatorSettings,
    review_ids: dict[str, uuid.UUID],
    partnership_id: uuid.UUID,
    user_of: Callable[[str], uuid.UUID],
    agency_of: Callable[[str], uuid.UUID],
    wait: Callable[[Callable[[], object], str], object],
) -> None:
    """The report above (skipped if the review already has it)."""
    review = review_ids[REVIEW]

    def person(email: str, role: str, agency: str | None = None) -> Actor:
        return Actor(
            user_id=str(user_of(email)),
            partnership_id=partnership_id,
            agency_id=agency_of(agency) if agency else None,
            roles=frozenset({role}),
            reviews=frozenset({review}),
        )

    manager = person("business.manager@northbridge.example", Role.BUSINESS_MANAGER)
    police = person("police.lead@northbridge.example", Role.AGENCY_LEAD, "Northbridge Police")
    with service_client(settings, Reports) as reports:

        def knows_agencies() -> bool:
            try:
                known = {a.id for a in run_at_once(reports.assignees(manager, review)).agencies}
            except Exception:
                return False
            return {agency_of(name) for _, name, _, _ in SECTIONS if name} <= known

        # The service learns of the review from forms' events and of agencies from the gateway's.
        wait(knows_agencies, "the reports service to know the infant's review and its agencies")
        if any(d.title == TITLE for d in run_at_once(reports.documents_of_review(manager, review))):
            return
        document = run_at_once(
            reports.create_document(
                manager, NewDocument(review_id=review, kind="rapid_review_report", title=TITLE)
            )
        )
        by_key = {s.key: s.id for s in document.sections}
        docs: dict[str, Doc] = {}
        for key, agency, shared, paragraphs in SECTIONS:
            if agency:
                assignment = Assignment(
                    assigned_agency_id=agency_of(agency),
                    shared_with_agency_ids=[agency_of(n) for n in shared],
                )
                run_at_once(reports.assign_section(manager, by_key[key], assignment))
            docs[key] = Doc()
            updates = [_paragraph(docs[key], text) for text in paragraphs]
            run_at_once(reports.save_updates(manager, by_key[key], SectionUpdates(updates_base64=updates)))
        run_at_once(
            reports.name_version(manager, document.id, NameVersion(name="First draft"), "seed-demo:v1")
        )
        # The police add a sentence before the version sent for checking; the manager asks about it in a
        # comment mentioning the police's lead, who replies.
        sentence = "No referral to children's social care was made after either visit."
        anchor = uuid.uuid5(review, "demo-report-comment")
        more = _paragraph(docs["agencies"], sentence, comment=anchor)
        run_at_once(reports.save_updates(police, by_key["agencies"], SectionUpdates(updates_base64=[more])))
        comment = run_at_once(
            reports.add_comment(
                manager,
                by_key["agencies"],
                NewComment(
                    anchor_id=anchor,
                    quote=sentence,
                    body="@Pat Demo-Police was a referral considered after the second visit? Say why not.",
                ),
            )
        )
        run_at_once(
            reports.reply_to_comment(
                police,
                comment.id,
                NewReply(
                    body="The officers recorded no concerns for the baby then; we will add the reasons."
                ),
            )
        )
        checked = run_at_once(
            reports.name_version(
                manager, document.id, NameVersion(name="For factual accuracy"), "seed-demo:v2"
            )
        )
        page = run_at_once(
            reports.open_accuracy_round(manager, checked.id, OpenAccuracyRound(), "seed-demo:accuracy")
        )
        run_at_once(reports.answer_accuracy(police, page.rounds[0].id, AccuracyAnswer(answer="confirmed")))
