"""Run the forms service's own `open_review` against the database only, without its RPC transport.

Used by the reliability tests to commit a review while the broker is down: nameko cannot deliver an RPC
then, so this runs `FormsService.open_review` (the same method body, domain rules and UnitOfWork: the
review row, the `forms.review_opened` outbox row and the idempotency key, committed in one transaction as
the `forms` role) in a subprocess with the system's environment. The outbox relay of the running forms
process must then publish the event once the broker returns.

It imports nameko (and so eventlet), which is why it runs as its own process: the test process never
imports eventlet.

    python -m tests.integration.open_review_offline '{"actor": ..., "command": ..., "idempotency_key": ...}'

prints one JSON line: {"review": <ReviewSummary>, "event_ids": [...]}.
"""

from __future__ import annotations

import json
import sys

from sqlalchemy.orm import sessionmaker

from services.forms.models import Base
from services.forms.service import FormsService
from services.kernel.db import create_schema_engine
from services.kernel.unit_of_work import Database, UnitOfWork


def main(argv: list[str]) -> int:
    request = json.loads(argv[1])
    database = Database(Base.metadata, relay=False)  # the running forms process relays the outbox
    database.engine = create_schema_engine(database.schema, pool_size=1, max_overflow=0)
    database.sessions = sessionmaker(database.engine, expire_on_commit=False)
    unit = UnitOfWork(database, worker_ctx=None)
    service = FormsService()
    service.uow = unit  # what nameko's worker does with the Database dependency
    try:
        result = service.open_review(
            request["actor"], request["command"], idempotency_key=request.get("idempotency_key")
        )
        failure = unit.finish(None)
        if failure is not None:
            raise failure[1]
    finally:
        database.engine.dispose()
    print(json.dumps({"review": result, "event_ids": [str(e.event_id) for e in unit.emitted]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
