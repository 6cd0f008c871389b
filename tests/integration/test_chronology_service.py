"""The chronology service on the real broker and database, through its typed contract: it learns of a review
and its agencies from forms' and the gateway's events, keeps a people register, stages an upload unseen,
imports it whole or rejects it whole, keeps the replaced version as history, and reads the merged chronology
in date order with filters, pseudonyms and keyset paging."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from gateway.rpc import RemoteError, RpcClient
from services.chronology.contract import (
    AddPerson,
    Chronology,
    ChronologyEntry,
    ChronologyQuery,
    ProblemView,
    StartUpload,
    TagEpisode,
)
from services.kernel.events import Envelope
from services.kernel.identity import Actor, Role
from tests.integration.test_shell_rpcs import SealedWith
from tests.support.system import processes

PARTNERSHIP, OTHER = uuid.uuid4(), uuid.uuid4()
POLICE, HEALTH = uuid.uuid4(), uuid.uuid4()
REVIEW, SECOND = uuid.uuid4(), uuid.uuid4()
MANAGER = Actor(
    user_id=str(uuid.uuid4()), partnership_id=PARTNERSHIP, roles=frozenset({Role.BUSINESS_MANAGER})
)
PARTNER = Actor(
    user_id=str(uuid.uuid4()), partnership_id=PARTNERSHIP, roles=frozenset({Role.SAFEGUARDING_PARTNER})
)
POLICE_AUTHOR = Actor(
    user_id=str(uuid.uuid4()),
    partnership_id=PARTNERSHIP,
    agency_id=POLICE,
    roles=frozenset({Role.AGENCY_AUTHOR}),
    reviews=frozenset({REVIEW, SECOND}),
)
# A member of the review (in the first test, one whose agency was not asked for a chronology).
HEALTH_LEAD = Actor(
    user_id=str(uuid.uuid4()),
    partnership_id=PARTNERSHIP,
    agency_id=HEALTH,
    roles=frozenset({Role.AGENCY_LEAD}),
    reviews=frozenset({REVIEW, SECOND}),
)
STRANGER = Actor(user_id=str(uuid.uuid4()), partnership_id=OTHER, roles=frozenset({Role.BUSINESS_MANAGER}))


def entry(row: int, typed: str, event: str, **more: Any) -> ChronologyEntry:
    fields: dict[str, Any] = {
        "row": row,
        "occurred": typed,
        "source_record": f"REC-{row}",
        "practitioner_role": "Health visitor",
        "event": event,
        "action": "Referred to children's social care",
    }
    return ChronologyEntry.model_validate(fields | more)


def publish(amqp_uri: str, source: str, envelope: Envelope) -> None:
    """An event as its source's outbox relay publishes it."""
    with Connection(amqp_uri) as connection:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(connection).publish(
            envelope.model_dump(mode="json"),
            exchange=exchange,
            routing_key=envelope.name,
            serializer="json",
            declare=[exchange],
        )


def run(harness: Any, work: Any) -> Any:
    async def go() -> Any:
        client = RpcClient(harness.amqp_uri, timeout=20)
        try:
            return await work(Chronology.client(SealedWith(client, harness.system)))
        finally:
            await client.close()

    return asyncio.run(go())


async def until(check: Any, timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except RemoteError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


def announce(harness: Any, asked: tuple[uuid.UUID, ...] = (POLICE,), review: uuid.UUID = REVIEW) -> None:
    """What forms and the gateway publish before anyone uploads: the review, the agencies' names, and the
    agencies asked for returns (and so for chronologies)."""
    now = datetime.now(UTC)
    publish(
        harness.amqp_uri,
        "forms",
        Envelope(
            type="forms.review_opened",
            partnership_id=PARTNERSHIP,
            review_id=review,
            data={
                "review_id": str(review),
                "review_type": "child_safeguarding",
                "stage": "referral",
                "opened_at": now.isoformat(),
            },
        ),
    )
    for agency, name in ((POLICE, "Northbridge Police"), (HEALTH, "Northbridge Health")):
        publish(
            harness.amqp_uri,
            "identity",
            Envelope(
                type="identity.agency_changed",
                partnership_id=PARTNERSHIP,
                data={
                    "agency_id": str(agency),
                    "partnership_id": str(PARTNERSHIP),
                    "name": name,
                    "agency_type": "police",
                    "changed_at": now.isoformat(),
                },
            ),
        )
    for agency in asked:
        publish(
            harness.amqp_uri,
            "forms",
            Envelope(
                type="forms.return_requested",
                partnership_id=PARTNERSHIP,
                review_id=review,
                data={
                    "review_id": str(review),
                    "return_id": str(uuid.uuid4()),
                    "agency_id": str(agency),
                    "due_on": "2026-12-31",
                },
            ),
        )


@pytest.mark.slow
def test_an_upload_is_staged_unseen_imported_whole_and_replaced_with_history(make_harness) -> None:
    harness = make_harness()
    with processes(harness.system, "chronology"):
        announce(harness)

        async def journey(chronology: Chronology) -> dict[str, Any]:
            seen: dict[str, Any] = {}
            await until(lambda: chronology.people_of_review(MANAGER, REVIEW))
            await chronology.add_person(
                MANAGER,
                AddPerson(
                    review_id=REVIEW,
                    label="Child A",
                    name="Amy Northcote",
                    role_in_family="Subject child",
                    subject=True,
                ),
            )
            await chronology.add_person(
                MANAGER,
                AddPerson(review_id=REVIEW, label="Mother", name="Beth Northcote", role_in_family="Mother"),
            )
            rules = await until(lambda: _asked(chronology))
            seen["rules"] = rules
            # Health is not asked: it may not upload.
            seen["health rules"] = await chronology.check_rules(HEALTH_LEAD, REVIEW)
            upload = await chronology.start_upload(
                POLICE_AUTHOR, StartUpload(review_id=REVIEW, filename="police.csv", size_bytes=100)
            )
            await chronology.stage_entries(
                POLICE_AUTHOR,
                upload.id,
                [
                    entry(
                        2,
                        "22/05/2016",
                        "Amy Northcote seen at home with Beth",
                        people=["Child A", "Beth Northcote"],
                    ),
                    entry(3, "May 2016", "Month-only visit"),
                    entry(4, "about 2015", "Uncertain year"),
                ],
                3,
            )
            seen["unseen while staged"] = await chronology.chronology_of_review(
                MANAGER, REVIEW, ChronologyQuery()
            )
            await chronology.finish_check(POLICE_AUTHOR, upload.id, [], [], 3)
            seen["imported"] = await chronology.import_upload(POLICE_AUTHOR, upload.id)
            seen["again"] = await chronology.import_upload(POLICE_AUTHOR, upload.id)
            await until(lambda: _settled(chronology))
            seen["merged"] = await chronology.chronology_of_review(MANAGER, REVIEW, ChronologyQuery())
            seen["named"] = await chronology.chronology_of_review(
                MANAGER, REVIEW, ChronologyQuery(show_names=True)
            )
            seen["partner named"] = await chronology.chronology_of_review(
                PARTNER, REVIEW, ChronologyQuery(show_names=True)
            )
            first = await chronology.chronology_of_review(MANAGER, REVIEW, ChronologyQuery(limit=2))
            seen["second page"] = await chronology.chronology_of_review(
                MANAGER, REVIEW, ChronologyQuery(limit=2, after=first.next_after)
            )
            seen["first page"] = first
            seen["search"] = await chronology.chronology_of_review(
                MANAGER, REVIEW, ChronologyQuery(text="visits")
            )
            # A second version with a problem is rejected whole; a third replaces the first.
            bad = await chronology.start_upload(
                POLICE_AUTHOR, StartUpload(review_id=REVIEW, filename="bad.csv", size_bytes=100)
            )
            await chronology.stage_entries(POLICE_AUTHOR, bad.id, [entry(2, "01/01/2017", "Fine row")], 1)
            seen["rejected"] = await chronology.finish_check(
                POLICE_AUTHOR,
                bad.id,
                [ProblemView(row=3, column="Date", message="31/02/2024 is not a date")],
                [],
                2,
            )
            seen["rejected detail"] = await chronology.upload(POLICE_AUTHOR, bad.id)
            third = await chronology.start_upload(
                POLICE_AUTHOR, StartUpload(review_id=REVIEW, filename="v3.csv", size_bytes=100)
            )
            await chronology.stage_entries(
                POLICE_AUTHOR, third.id, [entry(2, "02/02/2018", "Only entry now")], 1
            )
            await chronology.finish_check(POLICE_AUTHOR, third.id, [], [], 1)
            seen["replaced"] = await chronology.import_upload(POLICE_AUTHOR, third.id)
            seen["after replace"] = await chronology.chronology_of_review(MANAGER, REVIEW, ChronologyQuery())
            seen["history"] = await chronology.uploads_of_review(MANAGER, REVIEW)
            for name, call in {
                "stranger reads": chronology.chronology_of_review(STRANGER, REVIEW, ChronologyQuery()),
                "health uploads": chronology.start_upload(
                    HEALTH_LEAD, StartUpload(review_id=REVIEW, filename="h.csv", size_bytes=1)
                ),
                "manager stages": chronology.stage_entries(MANAGER, third.id, [], 0),
                "unmatched name": _unmatched(chronology),
            }.items():
                try:
                    await call
                    seen[name] = "answered"
                except RemoteError as error:
                    seen[name] = error.exc_type
            return seen

        seen = run(harness, journey)

    assert seen["rules"].agency_id == POLICE and seen["rules"].born_on is None
    assert seen["rules"].spellings["amy northcote"] == "Child A"
    assert seen["health rules"].agency_id is None and "not been asked" in (seen["health rules"].refusal or "")
    assert seen["unseen while staged"].total == 0, "staged entries must not be read before the import"
    assert seen["imported"].state == "current" and seen["imported"].entries == 3
    assert seen["again"].state == "current", "importing twice answers the same"
    merged = seen["merged"]
    assert [e.date_typed for e in merged.entries] == ["about 2015", "May 2016", "22/05/2016"]
    assert merged.entries[2].source == "Northbridge Police: REC-2"
    assert merged.entries[2].event == "Child A seen at home with Mother", "names are pseudonymised by default"
    assert merged.entries[2].people == ["Child A", "Mother"]
    assert seen["named"].entries[2].event == "Amy Northcote seen at home with Beth"
    assert seen["named"].names_shown
    assert seen["partner named"].entries[2].event == "Child A seen at home with Mother", (
        "a partner never sees names"
    )
    assert [e.date_typed for e in seen["first page"].entries] == ["about 2015", "May 2016"]
    assert [e.date_typed for e in seen["second page"].entries] == ["22/05/2016"]
    assert seen["second page"].next_after is None
    assert [e.event for e in seen["search"].entries] == ["Month-only visit"], "full-text search stems words"
    assert seen["rejected"].state == "rejected" and seen["rejected"].entries == 0
    assert seen["rejected detail"].problem_list[0].message == "31/02/2024 is not a date"
    assert seen["replaced"].replaced_upload_id == seen["imported"].id
    assert [e.event for e in seen["after replace"].entries] == ["Only entry now"]
    states = {u.filename: u.state for u in seen["history"]}
    assert states == {"police.csv": "superseded", "bad.csv": "rejected", "v3.csv": "current"}
    assert seen["stranger reads"] == "NotFound"
    assert seen["health uploads"] == "Forbidden"
    assert seen["manager stages"] == "NotFound"
    assert seen["unmatched name"] == "InvalidRequest"


async def _asked(chronology: Chronology) -> Any:
    rules = await chronology.check_rules(POLICE_AUTHOR, REVIEW)
    if rules.agency_id is None:
        raise RemoteError("NotYet", "the return request has not arrived", [])
    return rules


async def _unmatched(chronology: Chronology) -> Any:
    upload = await chronology.start_upload(
        POLICE_AUTHOR, StartUpload(review_id=REVIEW, filename="x.csv", size_bytes=1)
    )
    return await chronology.stage_entries(
        POLICE_AUTHOR, upload.id, [entry(2, "01/01/2017", "x", people=["Jo Bloggs"])], 1
    )


async def imported(
    chronology: Chronology, who: Actor, name: str, entries: list[ChronologyEntry], review: uuid.UUID = REVIEW
) -> Any:
    upload = await chronology.start_upload(who, StartUpload(review_id=review, filename=name, size_bytes=1))
    await chronology.stage_entries(who, upload.id, entries, len(entries))
    await chronology.finish_check(who, upload.id, [], [], len(entries))
    done = await chronology.import_upload(who, upload.id)
    await until(lambda: _settled(chronology, review))
    return done


async def _settled(chronology: Chronology, review: uuid.UUID = REVIEW) -> bool:
    """True once every current version has been made searchable and compared for likely duplicates (the
    service does it after each import, on hearing its own event)."""
    page = await chronology.chronology_of_review(MANAGER, review, ChronologyQuery(limit=1))
    if page.settling:
        raise RemoteError("NotYet", f"still settling: {page.settling}", [])
    return True


async def _both_asked(chronology: Chronology, review: uuid.UUID = REVIEW) -> Any:
    for who in (POLICE_AUTHOR, HEALTH_LEAD):
        rules = await chronology.check_rules(who, review)
        if rules.agency_id is None:
            raise RemoteError("NotYet", "the return requests have not arrived", [])
    return True


@pytest.mark.slow
def test_likely_duplicates_are_flagged_across_agencies_and_a_dismissal_and_an_episode_survive_a_new_version(
    make_harness,
) -> None:
    harness = make_harness()
    with processes(harness.system, "chronology"):
        announce(harness, asked=(POLICE, HEALTH))
        announce(harness, asked=(POLICE, HEALTH), review=SECOND)

        async def journey(chronology: Chronology) -> dict[str, Any]:
            seen: dict[str, Any] = {}
            await until(lambda: _both_asked(chronology))
            await until(lambda: _both_asked(chronology, SECOND))
            for review in (REVIEW, SECOND):
                await chronology.add_person(
                    MANAGER,
                    AddPerson(
                        review_id=review, label="Child A", name="Amy Northcote", role_in_family="Child"
                    ),
                )
            police = [
                entry(
                    2,
                    "03/03/2021",
                    "Officers attended the family home after a neighbour reported shouting",
                    people=["Child A"],
                ),
                entry(3, "04/04/2021", "Strategy discussion held with social care"),
            ]
            health = [
                entry(
                    2,
                    "03/03/2021",
                    "Police attended the family home after a neighbour reported shouting",
                    people=["Child A"],
                ),
                entry(3, "04/04/2021", "Routine immunisations given at the surgery"),
            ]
            await imported(chronology, POLICE_AUTHOR, "police.csv", police)
            await imported(chronology, HEALTH_LEAD, "health.csv", health)
            flagged = await chronology.likely_duplicates(MANAGER, REVIEW)
            seen["flagged"] = flagged
            seen["agency may not judge"] = await _refused(chronology.likely_duplicates(POLICE_AUTHOR, REVIEW))
            dismissed = await chronology.resolve_duplicate(MANAGER, REVIEW, flagged[0].id, "dismiss")
            seen["dismissed"] = dismissed
            page = await chronology.chronology_of_review(MANAGER, REVIEW, ChronologyQuery())
            strategy = next(e for e in page.entries if e.event.startswith("Strategy"))
            seen["tagged"] = await chronology.tag_episode(
                MANAGER,
                REVIEW,
                TagEpisode(entry_id=strategy.id, learning="No health presence at the strategy discussion"),
            )
            seen["partner may not tag"] = await _refused(
                chronology.tag_episode(PARTNER, REVIEW, TagEpisode(entry_id=strategy.id, learning="x"))
            )
            # The police upload again: the same entries, new ids.
            await imported(chronology, POLICE_AUTHOR, "police-v2.csv", police)
            seen["flagged after"] = await chronology.likely_duplicates(MANAGER, REVIEW)
            seen["episodes after"] = await chronology.episodes_of_review(MANAGER, REVIEW)
            seen["episodes only"] = await chronology.chronology_of_review(
                MANAGER, REVIEW, ChronologyQuery(episodes_only=True)
            )
            seen["health's episodes"] = await chronology.episodes_of_review(HEALTH_LEAD, REVIEW)
            # The same agencies' same records in another review of the partnership: a pair of that review,
            # whatever was decided in the first.
            await imported(chronology, POLICE_AUTHOR, "police.csv", police, SECOND)
            await imported(chronology, HEALTH_LEAD, "health.csv", health, SECOND)
            seen["second review's"] = await chronology.likely_duplicates(MANAGER, SECOND)
            seen["first review's after"] = await chronology.likely_duplicates(MANAGER, REVIEW)
            return seen

        seen = run(harness, journey)

    (pair,) = seen["flagged"]
    assert {pair.first.agency_id, pair.second.agency_id} == {POLICE, HEALTH}
    assert pair.first.date_typed == pair.second.date_typed == "03/03/2021"
    assert pair.score >= 0.35
    assert seen["agency may not judge"] == "Forbidden"
    assert seen["dismissed"].state == "dismissed"
    assert seen["flagged after"] == [], "a dismissed pair is never flagged again, even after a new version"
    (episode,) = seen["episodes after"]
    assert episode.learning == "No health presence at the strategy discussion"
    assert episode.entry_id is not None and episode.entry_id != seen["tagged"].entry_id, (
        "it follows the new version"
    )
    assert [e.event for e in seen["episodes only"].entries] == ["Strategy discussion held with social care"]
    assert seen["episodes only"].entries[0].episode
    assert seen["partner may not tag"] == "Forbidden"
    assert seen["health's episodes"] == [], "an agency reads only its own agency's episodes"
    (other,) = seen["second review's"]
    assert {other.first.id, other.second.id}.isdisjoint({pair.first.id, pair.second.id})
    assert other.state == "flagged", "a pair dismissed in one review is still flagged in another"
    assert seen["first review's after"] == [], "and the first review's decision stands"


async def _refused(call: Any) -> str:
    try:
        await call
    except RemoteError as error:
        return error.exc_type
    return "answered"


@pytest.mark.slow
def test_an_upload_whose_checker_went_away_is_abandoned_and_nothing_of_it_is_kept(make_harness) -> None:
    harness = make_harness(CASEREV_CHRONOLOGY_CHECKING_IDLE_S="1", CASEREV_CHRONOLOGY_SWEEP_INTERVAL_S="0.5")
    with processes(harness.system, "chronology"):
        announce(harness)

        async def journey(chronology: Chronology) -> Any:
            await until(lambda: _asked(chronology))
            upload = await chronology.start_upload(
                POLICE_AUTHOR, StartUpload(review_id=REVIEW, filename="half.csv", size_bytes=100)
            )
            await chronology.stage_entries(
                POLICE_AUTHOR, upload.id, [entry(2, "01/01/2020", "Staged only")], 1
            )

            async def abandoned() -> Any:
                seen = await chronology.upload(POLICE_AUTHOR, upload.id)
                if seen.state != "abandoned":
                    raise RemoteError("NotYet", seen.state, [])
                return seen

            return await until(abandoned, timeout=20)

        seen = run(harness, journey)
    assert seen.state == "abandoned" and seen.entries == 0
    assert harness.sql("SELECT count(*) FROM chronology.entry") == [(0,)], "its staged entries are gone"
