"""The gateway's CheckRun: it stages one chunk while it checks the next, yet the service receives the chunks
in the file's order, never two at once, and a chunk the service refuses stops the run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.routes.chronology import CHUNK, CheckRun
from gateway.rpc import RemoteError
from services.chronology.contract import CheckContext, ChronologyEntry
from tests.unit.test_chronology_sheet import CONTEXT, csv_file, entry_row


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in a thread of its own, as the gateway's is beside the checking thread."""
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(5)
    running.close()


def rows(count: int) -> list[list[Any]]:
    return [entry_row(source_record=f"CN-{number:06d}") for number in range(count)]


def test_chunks_reach_the_service_in_order_one_at_a_time(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    path = csv_file(tmp_path, rows(2 * CHUNK + 7))
    received: list[list[str]] = []
    in_flight = 0
    most_in_flight = 0

    async def stage(entries: list[ChronologyEntry], rows_read: int) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.05)  # the service takes a while: the checker reads on meanwhile
        received.append([entry.source_record for entry in entries])
        in_flight -= 1

    run = CheckRun(stage, loop)
    run.run(path, "agency.csv", CONTEXT)

    assert [len(chunk) for chunk in received] == [CHUNK, CHUNK, 7]
    staged = [record for chunk in received for record in chunk]
    assert staged == [f"CN-{number:06d}" for number in range(2 * CHUNK + 7)], "the file's order, whole"
    assert most_in_flight == 1, "a chunk is sent only once the one before it was taken"
    assert run.waited > 0 and not run.problems


def test_a_chunk_the_service_refuses_stops_the_run(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    path = csv_file(tmp_path, rows(3 * CHUNK))
    calls = 0

    async def stage(entries: list[ChronologyEntry], rows_read: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RemoteError("InvalidRequest", "row 2, column People: Jo is not in the register", [])

    run = CheckRun(stage, loop)
    with pytest.raises(RemoteError) as refused:
        run.run(path, "agency.csv", CheckContext(today=CONTEXT.today))
    assert "not in the register" in refused.value.message
    assert calls == 1, "nothing more is sent once the service has refused a chunk"
