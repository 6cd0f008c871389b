"""The whole system, started as `make run` starts it, on its own database and virtual host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import Database, gateway_client
from tests.support.infra import isolated_database, isolated_vhost
from tests.support.system import SystemEnv, running_system, system_env


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    with isolated_database() as db_name, isolated_vhost() as amqp_uri:
        env = system_env(db_name, amqp_uri, Path(tmp_path_factory.mktemp("system")))
        with running_system(env, demo=True) as running:
            yield running


@pytest.fixture(scope="session")
def api(system: SystemEnv) -> Iterator[httpx.Client]:
    """An HTTP client of the gateway (redirects are not followed: tests look at them)."""
    with gateway_client(system) as client:
        yield client


@pytest.fixture(scope="session")
def db(system: SystemEnv) -> Iterator[Database]:
    """The system's database as the superuser, to read what a request did (never to arrange state)."""
    database = Database(system.db_name)
    yield database
    database.close()
