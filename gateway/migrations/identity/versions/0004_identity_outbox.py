"""The identity outbox, through which the gateway publishes people and agencies (identity.person_changed,
identity.agency_changed); and one event for every person and agency already here, so that a running
deployment's notifications service learns everybody when the gateway's relay first runs.

Revision ID: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from gateway.contract import AgencyChanged, PersonChanged
from services.kernel.db import NAMING_CONVENTION, messaging_tables
from services.kernel.events import Envelope
from services.kernel.outbox import add_to_outbox

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    # The services' outbox exactly; identity handles no events, so it has no inbox.
    outbox, _, _ = messaging_tables(sa.MetaData(schema=SCHEMA, naming_convention=NAMING_CONVENTION))
    connection = op.get_bind()
    outbox.create(connection)
    now = datetime.now(UTC)
    agencies = connection.execute(
        sa.text("SELECT id, partnership_id, name, agency_type FROM identity.agency ORDER BY created_at, id")
    ).all()
    for agency in agencies:
        agency_payload = AgencyChanged(
            agency_id=agency.id,
            partnership_id=agency.partnership_id,
            name=agency.name,
            agency_type=agency.agency_type,
            changed_at=now,
        )
        add_to_outbox(connection, outbox, Envelope.wrap(agency_payload, partnership_id=agency.partnership_id))
    people = connection.execute(
        sa.text(
            "SELECT u.id, u.partnership_id, u.agency_id, u.display_name, u.email, u.active,"
            " COALESCE(ARRAY(SELECT role FROM identity.user_role r WHERE r.user_id = u.id ORDER BY role),"
            " '{}') AS roles FROM identity.user_account u ORDER BY u.created_at, u.id"
        )
    ).all()
    for person in people:
        person_payload = PersonChanged(
            user_id=person.id,
            partnership_id=person.partnership_id,
            agency_id=person.agency_id,
            display_name=person.display_name,
            email=person.email,
            roles=sorted(person.roles),
            active=person.active,
            changed_at=now,
        )
        add_to_outbox(connection, outbox, Envelope.wrap(person_payload, partnership_id=person.partnership_id))


def downgrade() -> None:
    op.drop_table("outbox", schema=SCHEMA)
