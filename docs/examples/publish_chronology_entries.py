#!/usr/bin/env python3
"""Publish chronology entries from an agency's case system to Case Review, over RabbitMQ (AMQP 0-9-1).

Needs only kombu (`pip install kombu`). The connection details are the ones the partnership's administrator
gave your agency when they issued the system connection (shown once):

    CASEREV_AMQP_HOST, CASEREV_AMQP_PORT, CASEREV_AMQP_VHOST, CASEREV_AMQP_USER, CASEREV_AMQP_PASSWORD,
    CASEREV_AMQP_EXCHANGE (caserev.agency.<your agency's id>)

Usage:
    publish_chronology_entries.py REVIEW_ID [ENTRIES.json]

ENTRIES.json is a JSON list of entries (the schema is in docs/agency-systems.md and docs/asyncapi.json);
without it, one made-up example entry is sent. The script waits for the broker to confirm the message, and
exits 0 when it has; 1 when the broker refused it (for example a wrong exchange: your user may publish only
to your agency's).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

from kombu import Connection

EXAMPLE = [
    {
        "occurred": "22/05/2016",
        "time": "14:30",
        "source_record": "CR/2016/0001",
        "practitioner_role": "Response officer",
        "event": "Attended the family home after a call from a neighbour (example entry).",
        "action": "Crime report made; referral to children's social care",
        "significance": "medium",
        "key_practice_episode": False,
        "people": ["Child A"],
    }
]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    review_id = argv[0]
    entries = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 else EXAMPLE
    env = os.environ
    user = env["CASEREV_AMQP_USER"]
    connection = Connection(
        hostname=env.get("CASEREV_AMQP_HOST", "localhost"),
        port=int(env.get("CASEREV_AMQP_PORT", "5672")),
        virtual_host=env.get("CASEREV_AMQP_VHOST", "/"),
        userid=user,
        password=env["CASEREV_AMQP_PASSWORD"],
        # The broker confirms each message; publish() raises if it refuses one.
        transport_options={"confirm_publish": True},
        connect_timeout=10,
    )
    # The exchange exists already (Case Review made it): name it only, as your user may declare nothing.
    exchange = env["CASEREV_AMQP_EXCHANGE"]
    message_id = str(uuid.uuid4())  # keep it: a repeat with the same id is ignored, never applied twice
    try:
        with connection:
            connection.Producer().publish(
                {"review_id": review_id, "entries": entries},
                exchange=exchange,
                routing_key="",
                serializer="json",
                delivery_mode=2,
                message_id=message_id,
                # The broker checks that this is the user you connected as; Case Review trusts only this.
                user_id=user,
                declare=[],
                retry=False,
            )
    except Exception as error:  # the broker refused the message or the connection
        print(f"refused: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"published {len(entries)} entries as message {message_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
