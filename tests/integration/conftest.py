"""Fixtures of the integration suite: isolated systems of real processes, torn down whatever happens.

Never imports eventlet: services run as subprocesses (tests/support/system.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.reliability_harness import Harness
from tests.support.infra import PrivateRabbit, isolated_database, isolated_vhost
from tests.support.system import caserev, system_env


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """Build a migrated system on its own database: `make_harness(private_broker=False, **env_overrides)`.

    With `private_broker=True` the system runs on a PrivateRabbit (for tests that stop or kill the
    broker); otherwise on a fresh vhost of the machine's RabbitMQ. `caserev migrate` has run, so the
    schemas exist and every handler queue is declared. Processes started through the harness are
    stopped (then killed) first at teardown, then the broker and the database go.
    """
    with contextlib.ExitStack() as stack:

        def make(*, private_broker: bool = False, **overrides: str) -> Harness:
            db_name = stack.enter_context(isolated_database())
            rabbit = None
            if private_broker:
                rabbit = stack.enter_context(PrivateRabbit())
                amqp_uri = rabbit.amqp_uri
            else:
                amqp_uri = stack.enter_context(isolated_vhost())
            system = system_env(db_name, amqp_uri, tmp_path / "system", **overrides)
            harness = Harness(system, rabbit)
            stack.callback(harness.stop_all)
            caserev(system, "migrate")
            return harness

        yield make
