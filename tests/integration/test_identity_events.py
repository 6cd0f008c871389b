"""The gateway publishes people and agencies through the identity outbox, on a real PostgreSQL and RabbitMQ.

Each change to an account or an agency leaves its event in `identity.outbox` in the change's own
transaction; the relay (as the gateway runs it, and once, as the demo seeder does) publishes them on
exchange `identity.events`; and migration 0004 enqueues everybody already there. Each test has its own
database and virtual host; the gateway's functions run in this process against them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from kombu import Connection, Queue
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from caserev.topology import MIGRATIONS
from gateway import identity, identity_events
from gateway.contract import AgencyChanged, PartnershipChanged, PersonChanged
from services.kernel import bootstrap, migrations
from services.kernel.broker import event_exchange
from services.kernel.config import Settings, get_settings, reset_settings
from services.kernel.events import Envelope
from tests.support.infra import database_dsn, isolated_database, isolated_vhost
from tests.support.system import SystemEnv, caserev, system_env, wait_for

PARTNERSHIP = uuid.UUID("3d0c9a52-6b1e-4f0a-9d3e-7a5b2c1e8f01")
ADMIN = "5b2e8c41-0d7a-4e3f-9a16-2c8f7b1d4e02"


@dataclass
class IdentitySystem:
    """A migrated database and virtual host, with this process's settings pointing at them."""

    system: SystemEnv
    settings: Settings

    def outbox(self) -> list[Envelope]:
        """Every event in identity.outbox, in the order written."""
        with psycopg2.connect(database_dsn(self.system.db_name)) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT envelope FROM identity.outbox ORDER BY id")
            return [Envelope.model_validate(row[0]) for row in cursor.fetchall()]

    def unpublished(self) -> int:
        with psycopg2.connect(database_dsn(self.system.db_name)) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM identity.outbox WHERE published_at IS NULL")
            return int(cursor.fetchone()[0])


def _point_this_process_at(monkeypatch: pytest.MonkeyPatch, system: SystemEnv) -> Settings:
    monkeypatch.setenv("CASEREV_DB_NAME", system.db_name)
    monkeypatch.setenv("AMQP_URI", system.amqp_uri)
    monkeypatch.setenv("CASEREV_OUTBOX_SWEEP_S", "0.5")
    reset_settings()
    identity.identity_engine.cache_clear()
    return get_settings()


@pytest.fixture
def identity_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IdentitySystem]:
    with isolated_database() as db_name, isolated_vhost() as amqp_uri:
        system = system_env(db_name, amqp_uri, tmp_path)
        caserev(system, "migrate")
        settings = _point_this_process_at(monkeypatch, system)
        with identity.identity_engine().begin() as connection:
            connection.execute(
                text("INSERT INTO partnership (id, code, name) VALUES (:id, 'TSP', 'Testford Partnership')"),
                {"id": PARTNERSHIP},
            )
        try:
            yield IdentitySystem(system, settings)
        finally:
            identity_events.stop_relay()
            identity.identity_engine().dispose()
            identity.identity_engine.cache_clear()
            reset_settings()


def _person(envelope: Envelope) -> PersonChanged:
    person: PersonChanged = envelope.payload(PersonChanged)
    return person


def _invite(**changes: Any) -> uuid.UUID:
    account: dict[str, Any] = {
        "email": "alex.tester@testford.example",
        "display_name": "Alex Tester",
        "partnership_id": PARTNERSHIP,
        "agency_id": None,
        "roles": ["executive", "business_manager"],
        "created_by": ADMIN,
    }
    return identity.create_user(**(account | changes))


def test_each_change_to_a_person_or_agency_leaves_its_whole_state_in_the_outbox(identity_system):
    police = identity.create_agency(PARTNERSHIP, "Testford Police", "police", actor_id=ADMIN)
    user_id = _invite()
    identity.update_user(
        user_id,
        roles=["agency_lead"],
        agency_id=police.id,
        display_name="Alex Q. Tester",
        actor_id=ADMIN,
    )
    identity.deactivate_user(user_id, identity.utcnow(), actor_id=ADMIN)

    events = identity_system.outbox()
    assert [event.type for event in events] == [
        "identity.agency_changed",
        "identity.person_changed",
        "identity.person_changed",
        "identity.person_changed",
    ], "each change writes exactly one event"
    assert all(event.partnership_id == PARTNERSHIP and event.actor_id == ADMIN for event in events)
    agency = events[0].payload(AgencyChanged)
    assert (agency.agency_id, agency.name, agency.agency_type) == (police.id, "Testford Police", "police")
    created, updated, deactivated = (_person(event) for event in events[1:])
    assert created.user_id == user_id and created.email == "alex.tester@testford.example"
    assert created.roles == ["business_manager", "executive"], "roles travel as a sorted list"
    assert (created.agency_id, created.active) == (None, True)
    assert (updated.display_name, updated.roles, updated.agency_id) == (
        "Alex Q. Tester",
        ["agency_lead"],
        police.id,
    )
    assert deactivated.active is False and deactivated.roles == ["agency_lead"], (
        "the whole account, not a diff"
    )
    assert created.changed_at <= updated.changed_at <= deactivated.changed_at


def test_a_partnership_registered_or_changed_is_published_once_per_change(identity_system):
    other = uuid.uuid4()
    assert identity.save_partnership(other, "NSP", "Northshire Partnership", "North East", actor_id=ADMIN)
    assert not identity.save_partnership(other, "NSP", "Northshire Partnership", "North East"), "no change"
    assert identity.save_partnership(other, "NSP", "Northshire Safeguarding Partnership", "North East")
    events = identity_system.outbox()
    assert [event.type for event in events] == ["identity.partnership_changed"] * 2
    first, renamed = (event.payload(PartnershipChanged) for event in events)
    assert (first.partnership_id, first.code, first.name, first.region) == (
        other,
        "NSP",
        "Northshire Partnership",
        "North East",
    )
    assert renamed.name == "Northshire Safeguarding Partnership" and events[0].partnership_id == other


def test_an_agency_already_there_is_returned_without_publishing_it_again(identity_system):
    first = identity.create_agency(PARTNERSHIP, "Testford Police", "police")
    again = identity.create_agency(PARTNERSHIP, "Testford Police", "police")
    assert again.id == first.id
    assert [event.type for event in identity_system.outbox()] == ["identity.agency_changed"]


def test_a_change_that_fails_leaves_no_event(identity_system, monkeypatch):
    user_id = _invite()
    with pytest.raises(IntegrityError):
        _invite(email="ALEX.TESTER@testford.example", display_name="Someone Else")
    assert len(identity_system.outbox()) == 1, "a refused account must not be announced"

    write_event = identity_events.person_changed

    def event_written_then_change_fails(connection: Any, user: uuid.UUID, actor_id: str | None = None) -> Any:
        write_event(connection, user, actor_id)
        raise RuntimeError("the change fails after its event was written")

    monkeypatch.setattr(identity_events, "person_changed", event_written_then_change_fails)
    with pytest.raises(RuntimeError):
        identity.update_user(user_id, roles=["executive"], agency_id=None, display_name="Renamed")
    with pytest.raises(RuntimeError):
        identity.deactivate_user(user_id, identity.utcnow())

    assert len(identity_system.outbox()) == 1, "the event of a rolled-back change was published"
    account = identity.user_by_id(user_id)
    assert account is not None and account.active and account.display_name == "Alex Tester"


@contextlib.contextmanager
def _listening(amqp_uri: str) -> Iterator[Any]:
    """A queue bound to everything on identity.events (which `caserev migrate` must have declared)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        event_exchange("identity")(channel).declare(passive=True)  # 404 if migrate did not declare it
        queue = Queue(
            "test.identity-events", exchange=event_exchange("identity"), routing_key="#", exclusive=True
        )(channel)
        queue.declare()
        yield queue


def _received(queue: Any, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []

    def everything() -> bool:
        while (message := queue.get(no_ack=True)) is not None:
            received.append(message.payload)
        return len(received) >= count

    wait_for(everything, timeout=20, message=f"{count} identity events on the broker")
    return received


def test_the_gateways_relay_publishes_identity_events_on_the_broker(identity_system):
    with _listening(identity_system.system.amqp_uri) as queue:
        identity.create_agency(PARTNERSHIP, "Testford Health", "health")  # waiting before the relay starts
        identity_events.start_relay(identity_system.settings)
        user_id = _invite()  # the commit wakes the running relay
        received = _received(queue, 2)
        identity_events.stop_relay()

    written = identity_system.outbox()
    assert [message["event_id"] for message in received] == [str(event.event_id) for event in written]
    assert [message["type"] for message in received] == ["identity.agency_changed", "identity.person_changed"]
    assert received[1]["data"]["user_id"] == str(user_id)
    assert identity_system.unpublished() == 0, "published events are marked published"


def test_publish_pending_publishes_everything_waiting_at_once(identity_system):
    with _listening(identity_system.system.amqp_uri) as queue:
        identity.create_agency(PARTNERSHIP, "Testford Police", "police")
        _invite()
        _invite(email="sam.tester@testford.example", display_name="Sam Tester")
        assert identity_events.publish_pending(identity_system.settings) == 3
        assert identity_system.unpublished() == 0
        assert identity_events.publish_pending(identity_system.settings) == 0, "nothing is published twice"
        assert len(_received(queue, 3)) == 3


def test_the_migration_enqueues_everybody_already_there(tmp_path, monkeypatch):
    with isolated_database() as db_name:
        monkeypatch.setenv("CASEREV_DB_NAME", db_name)
        reset_settings()
        settings = get_settings()
        try:
            bootstrap.create_schemas(settings, ["identity"])
            identity_url = settings.schema_url("identity")
            migrations.upgrade(MIGRATIONS["identity"], identity_url, "0003")
            agency_id, user_id = uuid.uuid4(), uuid.uuid4()
            with psycopg2.connect(database_dsn(db_name)) as connection, connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO identity.partnership (id, code, name) VALUES (%s, 'TSP', 'Testford')",
                    (str(PARTNERSHIP),),
                )
                cursor.execute(
                    "INSERT INTO identity.agency (id, partnership_id, name, agency_type)"
                    " VALUES (%s, %s, 'Testford Police', 'police')",
                    (str(agency_id), str(PARTNERSHIP)),
                )
                cursor.execute(
                    "INSERT INTO identity.user_account (id, partnership_id, agency_id, email, display_name,"
                    " active) VALUES (%s, %s, %s, 'pat@testford.example', 'Pat Tester', false)",
                    (str(user_id), str(PARTNERSHIP), str(agency_id)),
                )
                cursor.executemany(
                    "INSERT INTO identity.user_role (user_id, role) VALUES (%s, %s)",
                    [(str(user_id), "agency_lead"), (str(user_id), "agency_author")],
                )

            migrations.upgrade(MIGRATIONS["identity"], identity_url)

            system = IdentitySystem(system_env(db_name, "amqp://unused/", tmp_path), settings)
            agency_event, person_event = system.outbox()
            agency = agency_event.payload(AgencyChanged)
            assert (agency.agency_id, agency.partnership_id, agency.name) == (
                agency_id,
                PARTNERSHIP,
                "Testford Police",
            )
            person = _person(person_event)
            assert (person.user_id, person.agency_id, person.email) == (
                user_id,
                agency_id,
                "pat@testford.example",
            )
            assert (person.roles, person.active) == (["agency_author", "agency_lead"], False)
            assert person_event.partnership_id == PARTNERSHIP and system.unpublished() == 2
        finally:
            reset_settings()
