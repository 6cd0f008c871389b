"""Liveness and readiness: the broker, the database and every service; Prometheus metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway import identity
from gateway.deps import RpcDep
from services.actions.contract import Actions
from services.analytics.contract import Analytics
from services.chronology.contract import Chronology
from services.forms.contract import Forms
from services.kernel.config import SERVICE_NAMES, gateway_settings
from services.kernel.remote import RemoteService
from services.meetings.contract import Meetings
from services.notifications.contract import Notifications
from services.reports.contract import Reports

router = APIRouter(tags=["operations"])

HEALTH_TIMEOUT_S = 3


# Each service's contract: its health is asked through it.
CONTRACTS: dict[str, type[RemoteService]] = {
    contract.service: contract
    for contract in (Forms, Meetings, Actions, Notifications, Analytics, Chronology, Reports)
}
assert set(CONTRACTS) == set(SERVICE_NAMES), "every service the gateway knows has a contract"


@router.get("/healthz", summary="Health of the broker, the database and every service")
async def healthz(rpc: RpcDep) -> JSONResponse:
    """200 when every part answers, 503 naming what does not."""

    async def service_health(name: str) -> dict[str, Any]:
        try:
            return await CONTRACTS[name].client(rpc, timeout=HEALTH_TIMEOUT_S).health()
        except Exception as exc:
            return {"service": name, "status": "unavailable", "reason": str(exc)}

    try:
        await rpc.connect()
        broker = "ok"
    except Exception as exc:
        broker = f"unavailable ({type(exc).__name__})"
    try:
        database = "ok" if await run_in_threadpool(identity.database_ok) else "unavailable"
    except Exception as exc:
        database = f"unavailable ({type(exc).__name__})"
    services: dict[str, Any] = {}
    if broker == "ok":
        reports = await asyncio.gather(*(service_health(name) for name in SERVICE_NAMES))
        services = {report["service"]: report for report in reports}
    else:
        services = {name: {"service": name, "status": "unknown"} for name in SERVICE_NAMES}
    healthy = broker == "ok" and database == "ok" and all(s.get("status") == "ok" for s in services.values())
    return JSONResponse(
        {
            "status": "ok" if healthy else "degraded",
            "broker": broker,
            "database": database,
            "services": services,
        },
        status_code=200 if healthy else 503,
    )


@router.get("/asyncapi.json", summary="The event catalogue (AsyncAPI 2.6)", include_in_schema=False)
def asyncapi() -> Response:
    """The events the services publish, beside the OpenAPI document of the HTTP API."""
    path = Path(gateway_settings().asyncapi_path)
    if not path.is_file():
        raise HTTPException(404)
    return Response(path.read_bytes(), media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics of the gateway", include_in_schema=False)
def metrics() -> Response:
    """The gateway's metrics in Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
