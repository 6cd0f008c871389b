"""`make chaos` in small, for `make test`: the whole system on a private broker and database under a short
stream of retried commands with one fault of every kind (each service SIGKILLed once, the broker restarted,
PostgreSQL crashed, the gateway SIGKILLed); nothing lost, nothing applied twice (tests/chaos/storm.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.system import ROOT

SMOKE = [
    "--commands", "150",
    "--clients", "3",
    "--service-kills", "1",
    "--broker-restarts", "1",
    "--postgres-restarts", "1",
    "--gateway-kills", "1",
    "--seed", "19",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_short_storm_of_faults_loses_nothing_and_applies_nothing_twice() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.chaos.storm", *SMOKE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
        check=False,
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, (
        f"the chaos smoke run failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
    )
    assert "PASS:" in result.stdout, result.stdout[-4000:]
