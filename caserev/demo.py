"""The synthetic demo: partnerships, their business managers, and a few open reviews.

Every name here is invented. Seeding twice changes nothing: ids are derived from names and every
command carries an idempotency key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from services.kernel.config import Settings
from services.kernel.db import create_schema_engine

DEMO_NAMESPACE = uuid.UUID("6f1c2a34-8d1e-4a7b-9c55-0b9a1f3e2d10")


@dataclass(frozen=True)
class DemoPartnership:
    """A synthetic partnership and its business manager."""

    code: str
    name: str
    manager_name: str
    manager_email: str

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, self.code)


PARTNERSHIPS = (
    DemoPartnership(
        "NBSCP",
        "Northbridge Safeguarding Children Partnership",
        "Alex Demo-Manager",
        "business.manager@northbridge.example",
    ),
    DemoPartnership(
        "ESP", "Eastmoor Safeguarding Partnership", "Sam Demo-Manager", "business.manager@eastmoor.example"
    ),
)

REVIEWS = (
    ("NBSCP", "child_safeguarding", "NB-2026-014 infant, serious harm"),
    ("NBSCP", "safeguarding_adults", "NB-SAR-2026-03"),
    ("NBSCP", "domestic_homicide", "NB-DHR-2026-01"),
    ("ESP", "child_safeguarding", "EM-2026-007 adolescent, extra-familial harm"),
)

SYSTEM_ACTOR = {"user_id": "system:seed-demo", "roles": ["system"]}


def seed_demo(settings: Settings) -> None:
    """Load the demo through the same paths users take (the services must be running)."""
    from nameko.standalone.rpc import ClusterRpcProxy  # imports eventlet: only when seeding

    engine = create_schema_engine("identity", settings, pool_size=1)
    with engine.begin() as connection:
        for partnership in PARTNERSHIPS:
            connection.execute(
                text(
                    "INSERT INTO partnership (id, code, name) VALUES (:id, :code, :name)"
                    " ON CONFLICT (id) DO NOTHING"
                ),
                {"id": partnership.id, "code": partnership.code, "name": partnership.name},
            )
    engine.dispose()
    by_code = {p.code: p for p in PARTNERSHIPS}
    with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri}, timeout=settings.rpc_timeout_s) as rpc:
        for partnership in PARTNERSHIPS:
            rpc.notifications.set_contact(
                SYSTEM_ACTOR,
                {
                    "partnership_id": str(partnership.id),
                    "role": "business_manager",
                    "display_name": partnership.manager_name,
                    "email": partnership.manager_email,
                },
            )
        for code, review_type, title in REVIEWS:
            partnership = by_code[code]
            actor = {
                "user_id": "demo:business-manager",
                "partnership_id": str(partnership.id),
                "roles": ["business_manager"],
            }
            rpc.forms.open_review(
                actor,
                {"review_type": review_type, "partnership_id": str(partnership.id), "title": title},
                f"seed-demo:{code}:{title}",
            )
    print(f"Demo loaded: {len(PARTNERSHIPS)} partnerships, {len(REVIEWS)} reviews.", flush=True)
