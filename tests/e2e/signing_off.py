"""The partners of the demo's Northbridge as the reports tests need them: the demo's partner who signs in, and
partners of agencies (the police, health) who sign a version off over the real broker, sealed as the gateway
would seal them (tests/e2e/test_report_accuracy.py and test_report_versions.py share them)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gateway.rpc import RpcClient
from tests.e2e.helpers import DEMO
from tests.e2e.test_agency_returns import agency_id
from tests.support.system import SystemEnv

PARTNER = "partner@northbridge.example"
NORTHBRIDGE = DEMO.partnership("NBSCP")


def call(system: SystemEnv, method: str, actor: dict[str, Any], *args: Any) -> Any:
    """reports.`method`(actor sealed for it, *args), over the real broker."""

    async def go() -> Any:
        client = RpcClient(system.amqp_uri, timeout=20)
        try:
            return await client.call("reports", method, system.sealed(actor, f"reports.{method}"), *args)
        finally:
            await client.close()

    return asyncio.run(go())


def partner(agency: str) -> dict[str, Any]:
    """A safeguarding partner of an agency of Northbridge, as the gateway would seal them."""
    return {
        "user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner:{agency}")),
        "partnership_id": str(NORTHBRIDGE.id),
        "agency_id": str(agency_id(agency)),
        "roles": ["safeguarding_partner"],
    }
