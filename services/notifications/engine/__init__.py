"""The notifications engine on one database session: what the service's event and timer handlers run, in
their unit of work; tests call it on a real database (with time travel), the benchmark too.

- intake.py: events into the people and agencies it knows, tracked due dates, and the rules' messages;
- scheduler.py: the scheduler's pass over due dates and digests, one process at a time;
- delivery.py: e-mail delivery: queueing, the sender's claims, what became of each attempt, sending again;
- messages.py: a rule's message written for everyone it names (in-app, e-mail now or in the digest).

Every message is written in the transaction that decided it, together with the key that stops it being
decided twice (the inbox for events, `reminder_sent` for dates, `digest_sent` for digests): a crash leaves
either all of it or none of it.
"""

from __future__ import annotations

from services.notifications.engine.delivery import (
    Claimed,
    add_delivery_event,
    claim,
    mark_stalled,
    queue_email,
    record_failure,
    record_sent,
    send_again,
)
from services.notifications.engine.intake import handle_event, learn_agency, learn_person, track_event
from services.notifications.engine.messages import Directory, Emit, Occasion, send
from services.notifications.engine.scheduler import SCHEDULE_LOCK, SchedulePass, run_schedule

__all__ = [
    "SCHEDULE_LOCK",
    "Claimed",
    "Directory",
    "Emit",
    "Occasion",
    "SchedulePass",
    "add_delivery_event",
    "claim",
    "handle_event",
    "learn_agency",
    "learn_person",
    "mark_stalled",
    "queue_email",
    "record_failure",
    "record_sent",
    "run_schedule",
    "send",
    "send_again",
    "track_event",
]
