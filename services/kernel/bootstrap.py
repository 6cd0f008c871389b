"""Database bootstrap: one database, one schema and one login role per schema, each role granted its own
schema only, so that ownership is enforced by PostgreSQL and not by goodwill."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextlib import closing, suppress

import psycopg2
from psycopg2 import errors, sql

from services.kernel.config import Settings

log = logging.getLogger(__name__)


def _admin(settings: Settings, dbname: str | None = None) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(settings.db_admin_url, **({"dbname": dbname} if dbname else {}))
    connection.autocommit = True
    return connection


def create_database(settings: Settings) -> bool:
    """Create the database if it does not exist; True if it was created."""
    with closing(_admin(settings)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.db_name,))
        if cursor.fetchone():
            return False
        try:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.db_name)))
        except errors.DuplicateDatabase:
            return False
        return True


def create_schemas(settings: Settings, schemas: Iterable[str]) -> None:
    """Each schema owned by its own login role; no role may connect or create anywhere else."""
    connection = _admin(settings, settings.db_name)
    try:
        with connection.cursor() as cursor:
            database = sql.Identifier(settings.db_name)
            cursor.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
            cursor.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            for schema in schemas:
                role = sql.Identifier(settings.role(schema))
                # Roles are cluster-wide: another database (or a parallel run) may have made it.
                with suppress(errors.DuplicateObject, errors.UniqueViolation):
                    cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
                if settings.db_password:
                    cursor.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(settings.db_password))
                    )
                cursor.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
                cursor.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                        sql.Identifier(schema), role
                    )
                )
                cursor.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(schema)))
                cursor.execute(
                    sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                        role, database, sql.Identifier(schema)
                    )
                )
    finally:
        connection.close()
    log.info("schemas ready: %s", ", ".join(schemas))


def create_extensions(settings: Settings, extensions: Mapping[str, Iterable[str]]) -> None:
    """PostgreSQL extensions a schema's queries use (schema -> extension names), created in that schema by the
    administrator: a schema's own role may not create them, and putting them in its schema keeps its search
    path its own."""
    connection = _admin(settings, settings.db_name)
    try:
        with connection.cursor() as cursor:
            for schema, names in extensions.items():
                for name in names:
                    cursor.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA {}").format(
                            sql.Identifier(name), sql.Identifier(schema)
                        )
                    )
    finally:
        connection.close()


def create_writer_role(settings: Settings, schema: str) -> None:
    """A login role for a schema whose application must not own its tables (the audit log): it may use the
    schema, and the schema's migrations grant it what it may do to each table. Not being the owner, it can
    neither drop nor disable the tables' triggers."""
    connection = _admin(settings, settings.db_name)
    try:
        with connection.cursor() as cursor:
            role = sql.Identifier(settings.writer_role(schema))
            with suppress(errors.DuplicateObject, errors.UniqueViolation):
                cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
            if settings.db_password:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(settings.db_password))
                )
            database = sql.Identifier(settings.db_name)
            cursor.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
            cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role))
            cursor.execute(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                    role, database, sql.Identifier(schema)
                )
            )
    finally:
        connection.close()
