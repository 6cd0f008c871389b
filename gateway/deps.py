"""What a route needs, named so that routes read like sentences."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from gateway.rpc import RpcClient
from services.kernel.identity import Actor

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def get_rpc(request: Request) -> RpcClient:
    """The process's RPC client."""
    return request.app.state.rpc


def demo_actor(partnership_id: UUID) -> Actor:
    """Until sign-in lands, every caller acts as the demo business manager of the chosen partnership."""
    return Actor(
        user_id="demo:business-manager", partnership_id=partnership_id, roles=frozenset({"business_manager"})
    )


def actor_payload(actor: Actor) -> dict[str, Any]:
    """The caller as it travels with every RPC."""
    return actor.model_dump(mode="json")


RpcDep = Annotated[RpcClient, Depends(get_rpc)]
