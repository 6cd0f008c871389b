"""An agency's own case system publishing chronology entries on the real broker with its own credentials, as
docs/examples/publish_chronology_entries.py does: its entries land in the review's chronology; the broker
refuses it another agency's exchange; a malformed or wrong message is dead-lettered with its reason, which
the review's business manager and the operator (`caserev dead-letters`) can read; a revoked connection can
no longer connect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from kombu import Connection

from caserev.dead_letters import list_dead_letters
from services.chronology.contract import (
    AddPerson,
    Chronology,
    ChronologyQuery,
    IssueConnection,
    agency_exchange,
)
from services.kernel.identity import Actor, Role
from tests.integration.test_chronology_service import (
    HEALTH,
    MANAGER,
    PARTNERSHIP,
    POLICE,
    REVIEW,
    announce,
    run,
    until,
)
from tests.support.system import processes

ROOT = Path(__file__).resolve().parents[2]
PUBLISHER = ROOT / "docs" / "examples" / "publish_chronology_entries.py"
ADMIN = Actor(
    user_id=str(uuid.uuid4()), partnership_id=PARTNERSHIP, roles=frozenset({Role.PARTNERSHIP_ADMIN})
)


def publish_as(
    issued: Any, review_id: uuid.UUID, entries: list[dict[str, Any]] | None, tmp: Path
) -> subprocess.CompletedProcess[str]:
    """Run the documented example publisher with the connection's own credentials."""
    env = {
        **os.environ,
        "CASEREV_AMQP_HOST": issued.host,
        "CASEREV_AMQP_PORT": str(issued.port),
        "CASEREV_AMQP_VHOST": issued.virtual_host,
        "CASEREV_AMQP_USER": issued.username,
        "CASEREV_AMQP_PASSWORD": issued.password,
        "CASEREV_AMQP_EXCHANGE": issued.exchange,
    }
    args = [sys.executable, str(PUBLISHER), str(review_id)]
    if entries is not None:
        path = tmp / f"{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        args.append(str(path))
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def raw_publish(
    issued: Any,
    body: bytes,
    *,
    exchange: str | None = None,
    user_id: str | None = "",
    content_type: str = "application/json",
) -> None:
    """Publish bytes as the connection's user (with confirms: raises if the broker refuses)."""
    with Connection(
        hostname=issued.host,
        port=issued.port,
        virtual_host=issued.virtual_host,
        userid=issued.username,
        password=issued.password,
        transport_options={"confirm_publish": True},
        connect_timeout=10,
    ) as connection:
        properties: dict[str, Any] = {"message_id": str(uuid.uuid4())}
        if user_id is not None:
            properties["user_id"] = user_id or issued.username
        connection.Producer().publish(
            body,
            exchange=exchange or issued.exchange,
            routing_key="",
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=2,
            declare=[],
            retry=False,
            **properties,
        )


ENTRY = {
    "occurred": "03/03/2021",
    "source_record": "SYS/1",
    "practitioner_role": "Response officer",
    "event": "Attended after a neighbour's call (published by the police system)",
    "action": "Referred to social care",
    "people": ["Child A"],
}


@pytest.mark.slow
def test_an_agency_system_publishes_with_its_own_credentials_and_is_refused_what_is_not_its_own(
    make_harness, tmp_path: Path
) -> None:
    harness = make_harness()
    with processes(harness.system, "chronology"):
        announce(harness, asked=(POLICE,))

        async def issue(chronology: Chronology) -> dict[str, Any]:
            await until(lambda: chronology.people_of_review(MANAGER, REVIEW))
            await chronology.add_person(
                MANAGER,
                AddPerson(review_id=REVIEW, label="Child A", name="Amy Northcote", role_in_family="Child"),
            )
            return {
                "police": await until(
                    lambda: chronology.issue_connection(
                        ADMIN, IssueConnection(agency_id=POLICE, name="Police case system")
                    )
                ),
                "health": await chronology.issue_connection(
                    ADMIN, IssueConnection(agency_id=HEALTH, name="Health records")
                ),
            }

        issued = run(harness, issue)
        police, health = issued["police"], issued["health"]
        assert police.exchange == agency_exchange(POLICE) and police.password

        published = publish_as(
            police, REVIEW, [ENTRY, {**ENTRY, "source_record": "SYS/2", "occurred": "May 2021"}], tmp_path
        )
        assert published.returncode == 0, published.stderr

        # The broker refuses the police user another agency's exchange: the publisher is told.
        refused = publish_as(police.model_copy(update={"exchange": health.exchange}), REVIEW, None, tmp_path)
        assert refused.returncode == 1 and "refused" in refused.stderr
        # And a user_id that is not the connection's own.
        with pytest.raises(Exception, match=r"(?i)user_id|PRECONDITION|not"):
            raw_publish(
                police,
                json.dumps({"review_id": str(REVIEW), "entries": [ENTRY]}).encode(),
                user_id="caserev-agency-someone-else",
            )

        # Refused by the service, each with its reason: not JSON; no user_id; an entry in the future;
        # the health system for a review its agency was not asked about.
        raw_publish(police, b"\x00not json at all", content_type="text/plain")
        raw_publish(police, json.dumps({"review_id": str(REVIEW), "entries": [ENTRY]}).encode(), user_id=None)
        raw_publish(
            police,
            json.dumps({"review_id": str(REVIEW), "entries": [{**ENTRY, "occurred": "01/01/2999"}]}).encode(),
        )
        raw_publish(health, json.dumps({"review_id": str(REVIEW), "entries": [ENTRY]}).encode())

        async def after(chronology: Chronology) -> dict[str, Any]:
            async def landed() -> Any:
                page = await chronology.chronology_of_review(MANAGER, REVIEW, ChronologyQuery())
                refused_now = await chronology.refused_messages(MANAGER, REVIEW)
                if page.total < 2 or len(refused_now) < 2:
                    from gateway.rpc import RemoteError

                    raise RemoteError("NotYet", "not applied yet", [])
                return page, refused_now

            page, refused_list = await until(landed, timeout=30)
            return {
                "page": page,
                "refused": refused_list,
                "uploads": await chronology.uploads_of_review(MANAGER, REVIEW),
                "revoked": await chronology.revoke_connection(ADMIN, police.id),
                # Health's user is removed too, so that the machine's broker keeps no test users.
                "health revoked": await chronology.revoke_connection(ADMIN, health.id),
                "list": await chronology.connections_of_partnership(ADMIN),
            }

        seen = run(harness, after)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            letters = [
                letter
                for letter in list_dead_letters(harness.amqp_uri)
                if letter.queue == "chronology.agency-entries"
            ]
            if len(letters) >= 4:
                break
            time.sleep(0.3)

    page = seen["page"]
    assert [(e.source, e.date_typed) for e in page.entries] == [
        ("Northbridge Police: SYS/1", "03/03/2021"),
        ("Northbridge Police: SYS/2", "May 2021"),
    ]
    assert page.entries[0].people == ["Child A"]
    (feed,) = [u for u in seen["uploads"] if u.source == "system"]
    assert feed.state == "current" and feed.entries == 2 and feed.uploaded_by_name == "Police case system"
    reasons = sorted(r.reason for r in seen["refused"])
    assert any("in the future" in reason for reason in reasons), reasons
    assert any("not been asked" in reason for reason in reasons), reasons
    errors = " | ".join(letter.error for letter in letters)
    assert (
        "not JSON" in errors
        and "user_id" in errors
        and "in the future" in errors
        and "not been asked" in errors
    ), errors
    assert seen["revoked"].revoked_at is not None
    assert {c.name for c in seen["list"]} == {"Police case system", "Health records"}
    # A revoked connection cannot connect any more.
    with pytest.raises(Exception, match=r"(?i)access|refused|auth"):
        raw_publish(police, b"{}")
    assert seen["health revoked"].revoked_at is not None
    assert unquote(urlsplit(harness.amqp_uri).path[1:]) == police.virtual_host
