from services.kernel.migrations import run_alembic_env

run_alembic_env(schema="reports")
