"""Alembic for each schema: one migrations folder per service, its version table in its own schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, pool, text


def run_alembic_env(schema: str) -> None:
    """The body of every service's migrations/env.py: migrate `schema` online, as the schema's own role."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(str(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'SET search_path TO "{schema}"'))
        context.configure(connection=connection, version_table_schema=schema, include_schemas=False)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Bring one schema up to `revision`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
