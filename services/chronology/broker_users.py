"""The broker's side of a system connection: an agency system's own RabbitMQ user, allowed to publish to its
agency's exchange and nothing else, made and removed through the broker's management HTTP API.

The exchange is declared and bound to the chronology service's queue over AMQP; the user and its permissions
through the management API (`PUT /api/users/{name}`, `PUT /api/permissions/{vhost}/{name}`, and for a
revocation `DELETE /api/users/{name}` after closing its connections). The standard library's HTTP client is
used so that it yields to other workers under eventlet as any socket does.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from uuid import UUID

from kombu import Connection, Exchange, Queue

from services.chronology.contract.feed import AGENCY_ENTRIES_QUEUE, agency_exchange
from services.kernel.broker import declare_outside_exchange, queue_arguments


class BrokerRefused(Exception):
    """The broker's management API refused or could not be reached: the connection was not made."""


@dataclass(frozen=True)
class Broker:
    """Where the broker is, as the service's AMQP URI and the management API's address say."""

    amqp_uri: str
    management_url: str

    @property
    def virtual_host(self) -> str:
        path = urlsplit(self.amqp_uri).path
        return unquote(path[1:]) if len(path) > 1 else "/"

    @property
    def host(self) -> str:
        return urlsplit(self.amqp_uri).hostname or "localhost"

    @property
    def port(self) -> int:
        return urlsplit(self.amqp_uri).port or 5672

    def _credentials(self) -> str:
        parts = urlsplit(self.amqp_uri)
        user, password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
        return base64.b64encode(f"{user}:{password}".encode()).decode()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the operator's own management URL (http or https)
            self.management_url.rstrip("/") + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Basic {self._credentials()}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                text = response.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            if method == "DELETE" and error.code == 404:
                return None
            raise BrokerRefused(f"the broker's management API answered {error.code} to {method}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise BrokerRefused(
                f"the broker's management API could not be reached ({type(error).__name__})"
            ) from None

    def declare_agency_exchange(self, agency_id: UUID) -> str:
        """The agency's exchange, bound to the queue the chronology service reads (idempotent)."""
        name = agency_exchange(agency_id)
        with Connection(self.amqp_uri, connect_timeout=10) as connection:
            declare_outside_exchange(connection, Exchange(name, type="fanout", durable=True), feed_queue())
        return name

    def create_publisher(self, username: str, agency_id: UUID) -> str:
        """A user that may publish to the agency's exchange only (configure nothing, read nothing); returns
        its password, which is not kept anywhere."""
        password = secrets.token_urlsafe(24)
        self._call("PUT", f"/api/users/{quote(username, safe='')}", {"password": password, "tags": ""})
        self._call(
            "PUT",
            f"/api/permissions/{quote(self.virtual_host, safe='')}/{quote(username, safe='')}",
            {"configure": "^$", "write": f"^{re.escape(agency_exchange(agency_id))}$", "read": "^$"},
        )
        return password

    def remove_publisher(self, username: str) -> None:
        """Close the user's connections, then delete it: it can neither publish nor connect again."""
        connections = self._call("GET", "/api/connections?columns=name,user") or []
        for connection in connections:
            if connection.get("user") == username:
                self._call("DELETE", f"/api/connections/{quote(connection['name'], safe='')}")
        self._call("DELETE", f"/api/users/{quote(username, safe='')}")


def feed_queue() -> Queue:
    """The queue of every agency's messages (bound to each agency's exchange as its connection is issued)."""
    return Queue(
        AGENCY_ENTRIES_QUEUE,
        durable=True,
        auto_delete=False,
        queue_arguments=queue_arguments(),
    )


def new_username(connection_id: UUID) -> str:
    """A broker user name for a connection: recognisable, and never reused."""
    return f"caserev-agency-{connection_id.hex[:16]}"
