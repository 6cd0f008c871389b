"""The whole system, started as `make run` starts it, on its own database and virtual host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import Database, gateway_client, sign_in
from tests.support.infra import isolated_database, isolated_vhost
from tests.support.system import SystemEnv, running_system, system_env


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    with isolated_database() as db_name, isolated_vhost() as amqp_uri:
        env = system_env(db_name, amqp_uri, Path(tmp_path_factory.mktemp("system")))
        with running_system(env, demo=True) as running:
            yield running


def _api_client(system: SystemEnv, email: str) -> httpx.Client:
    """A JSON client of the gateway signed in as a demo user, sending its CSRF token on every request."""
    signed_in = sign_in(system, email, fresh=True)
    signed_in.client.headers["X-CSRF-Token"] = signed_in.csrf()
    return signed_in.client


@pytest.fixture(scope="session")
def api(system: SystemEnv) -> Iterator[httpx.Client]:
    """The gateway as Northbridge's business manager (redirects are not followed: tests look at them)."""
    client = _api_client(system, "business.manager@northbridge.example")
    yield client
    client.close()


@pytest.fixture(scope="session")
def eastmoor_api(system: SystemEnv) -> Iterator[httpx.Client]:
    """The gateway as Eastmoor's business manager: another partnership."""
    client = _api_client(system, "business.manager@eastmoor.example")
    yield client
    client.close()


@pytest.fixture(scope="session")
def anonymous(system: SystemEnv) -> Iterator[httpx.Client]:
    """The gateway with nobody signed in."""
    with gateway_client(system) as client:
        yield client


@pytest.fixture(scope="session")
def db(system: SystemEnv) -> Iterator[Database]:
    """The system's database as the superuser, to read what a request did (never to arrange state)."""
    database = Database(system.db_name)
    yield database
    database.close()
