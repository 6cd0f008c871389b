"""Each service's own schema: the engine, cooperative psycopg2 under eventlet, and the tables of messaging."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext

from services.kernel.config import Settings, get_settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_psycopg2_cooperative() -> None:
    """Under eventlet, let other green threads run while a query waits on the database.

    `nameko run` monkey-patches with eventlet's defaults, which include this; a process that patched
    with `psycopg=False` would otherwise stall every worker on one slow query. Idempotent.
    """
    from eventlet.support.psycopg2_patcher import make_psycopg_green

    make_psycopg_green()


def schema_metadata(schema: str) -> MetaData:
    """A MetaData bound to one service's schema, with the tables every service has for messaging."""
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    messaging_tables(metadata)
    return metadata


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """The outbox, the inbox and the RPC idempotency keys, in the metadata's own schema."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSONB().with_variant(JSON(), "sqlite"), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
    )
    # The relay reads only what is unpublished: a partial index keeps that cheap as the table grows.
    Index("ix_outbox_unpublished", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    idempotency = Table(
        "idempotency_key",
        metadata,
        # sha256 of method, caller and the client's key: a key never reaches another caller's result.
        Column("key", String(64), primary_key=True),
        Column("method", String(200), nullable=False),
        # sha256 of the request: the same key with a different request is refused, not replayed.
        Column("fingerprint", String(64), nullable=False),
        Column("result", JSONB().with_variant(JSON(), "sqlite"), nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return outbox, inbox, idempotency


def messaging_table(metadata: MetaData, name: str) -> Table:
    """One of the messaging tables of a schema's metadata."""
    return metadata.tables[f"{metadata.schema}.{name}"]


def create_schema_engine(
    schema: str, settings: Settings | None = None, *, role: str | None = None, **options: Any
) -> Engine:
    """An engine that logs in as the schema's own role, which may touch that schema only (or as `role`)."""
    settings = settings or get_settings()
    engine = create_engine(
        settings.schema_url(schema, role),
        pool_size=options.pop("pool_size", settings.db_pool_size),
        max_overflow=options.pop("max_overflow", 5),
        pool_recycle=options.pop("pool_recycle", settings.db_pool_recycle_s),
        connect_args={"options": f"-c search_path={schema}", "application_name": f"caserev-{schema}"},
        **options,
    )
    retry_first_statement_on_disconnect(engine)
    return engine


_FIRST_STATEMENT = "caserev_first_statement"


def retry_first_statement_on_disconnect(engine: Engine) -> None:
    """Find a dropped pooled connection by its first statement, not by a ping before every checkout.

    `pool_pre_ping` costs a round trip on every transaction. Instead, the first statement after a checkout
    that fails because the connection is gone (the database restarted, a proxy closed it) runs again once on
    a new connection. That is safe only there: nothing of the transaction has run, and a dropped transaction
    cannot commit. A later statement, or one in autocommit, fails as before, with its whole unit of work.
    """

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info[_FIRST_STATEMENT] = True

    def run(execute: Any, cursor: DBAPICursor, statement: str, context: ExecutionContext, *args: Any) -> bool:
        proxied = context.root_connection.connection
        record = proxied._connection_record  # type: ignore[attr-defined]
        if not record.info.pop(_FIRST_STATEMENT, False):
            return False  # not the first since checkout: SQLAlchemy runs it as usual
        dialect = context.dialect
        autocommit = bool(getattr(proxied.dbapi_connection, "autocommit", False))
        try:
            execute(cursor, statement, *args, context=context)
            return True
        except dialect.loaded_dbapi.Error as error:
            if autocommit or not dialect.is_disconnect(error, proxied, cursor):
                raise
            log.warning("database connection dropped before its first statement; reconnecting once")
        # Replace the dead DBAPI connection under the same pooled one, and run the statement on it.
        record.invalidate()
        proxied.dbapi_connection = record.get_connection()  # type: ignore[misc]
        context.cursor = proxied.dbapi_connection.cursor()  # type: ignore[misc]
        execute(context.cursor, statement, *args, context=context)
        return True

    @event.listens_for(engine, "do_execute")
    def do_execute(cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext) -> bool:
        return run(context.dialect.do_execute, cursor, statement, context, parameters)

    @event.listens_for(engine, "do_execute_no_params")
    def do_execute_no_params(cursor: DBAPICursor, statement: str, context: ExecutionContext) -> bool:
        return run(context.dialect.do_execute_no_params, cursor, statement, context)

    @event.listens_for(engine, "do_executemany")
    def do_executemany(
        cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext
    ) -> bool:
        return run(context.dialect.do_executemany, cursor, statement, context, parameters)


def messaging_migration(op: Any, schema: str) -> None:
    """Create the outbox, inbox and idempotency tables in an Alembic migration of `schema`."""
    for table in messaging_tables(MetaData(schema=schema, naming_convention=NAMING_CONVENTION)):
        table.create(op.get_bind())
