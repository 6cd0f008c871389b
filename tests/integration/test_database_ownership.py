"""Each service's role owns its schema and nothing else; psycopg2 waits cooperatively under eventlet."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg2 import errors

from caserev.topology import MIGRATIONS
from tests.support.infra import database_dsn, isolated_database
from tests.support.system import ROOT, SystemEnv, caserev, system_env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", Path(tmp_path_factory.mktemp("ownership")))
        caserev(system, "migrate", "--skip-broker")
        yield system


def _as_role(system: SystemEnv, schema: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(host="127.0.0.1", port=5432, dbname=system.db_name, user=f"caserev_{schema}")


@pytest.mark.parametrize(
    ("role", "foreign_table"),
    [
        ("analytics", "forms.review"),
        ("notifications", "forms.outbox"),
        ("forms", "notifications.contact"),
        ("meetings", "analytics.review_stage"),
        ("identity", "forms.review"),
        ("identity", "audit.audit_entry"),
        ("audit", "identity.user_account"),
        ("forms", "identity.session"),
    ],
)
def test_a_service_role_cannot_read_another_services_table(migrated, role, foreign_table):
    connection = _as_role(migrated, role)
    try:
        with pytest.raises(errors.InsufficientPrivilege), connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {foreign_table}")
    finally:
        connection.close()


@pytest.mark.parametrize("role", ["forms", "analytics", "notifications", "meetings", "actions"])
def test_a_service_role_reads_and_writes_its_own_schema(migrated, role):
    connection = _as_role(migrated, role)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM outbox")  # its search_path is its own schema
            assert cursor.fetchone()[0] == 0
            cursor.execute("CREATE TABLE scratch_probe (id int)")
            cursor.execute("DROP TABLE scratch_probe")
    finally:
        connection.rollback()
        connection.close()


def test_a_service_role_cannot_create_in_the_public_schema(migrated):
    connection = _as_role(migrated, "forms")
    try:
        with pytest.raises(errors.InsufficientPrivilege), connection.cursor() as cursor:
            cursor.execute("CREATE TABLE public.sneaky (id int)")
    finally:
        connection.close()


def _head(schema: str) -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS[schema]))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrating_twice_changes_nothing(migrated):
    caserev(migrated, "migrate", "--skip-broker")
    with psycopg2.connect(database_dsn(migrated.db_name)) as connection, connection.cursor() as cursor:
        for schema in MIGRATIONS:
            cursor.execute(f"SELECT version_num FROM {schema}.alembic_version")
            assert cursor.fetchall() == [(_head(schema),)], f"{schema} is not at its head revision"


@pytest.mark.parametrize(("mode", "expected"), [("nameko", True), ("kernel", True), ("unpatched", False)])
def test_slow_query_yields_to_other_green_threads_when_psycopg2_is_cooperative(migrated, mode, expected):
    """Cooperative, another green thread sees the slow query still running ("active"); unpatched, the
    whole process waits and the other green thread runs only once the query is over ("idle ...")."""
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("cooperative_queries.py")),
            database_dsn(migrated.db_name),
            mode,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    still_running = observed["state_of_slow_query_seen_by_other_green_thread"] == "active"
    assert still_running is expected, observed
