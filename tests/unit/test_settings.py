"""Each kind of process reads the settings it needs, from the variables docs/operations.md lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kernel import config
from services.kernel.config import (
    FormsSettings,
    GatewaySettings,
    NotificationSettings,
    OperatorSettings,
    Settings,
)

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def variable(cls: type[Settings], field: str) -> str:
    alias = cls.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"CASEREV_{field.upper()}"


def test_every_setting_is_read_from_a_variable_that_operations_lists() -> None:
    listed = OPERATIONS.read_text(encoding="utf-8")
    missing = [
        variable(OperatorSettings, field)
        for field in OperatorSettings.model_fields
        if f"`{variable(OperatorSettings, field)}`" not in listed
    ]
    assert not missing, f"add these to the table of docs/operations.md: {missing}"


@pytest.mark.parametrize(
    ("cls", "foreign"),
    [
        (Settings, {"identity_key", "smtp_host", "review_types_dir", "public_url", "demo_credentials_file"}),
        (FormsSettings, {"identity_key", "smtp_host", "public_url"}),
        (NotificationSettings, {"identity_key", "session_idle_minutes", "review_types_dir"}),
        (GatewaySettings, {"smtp_host", "notification_rules", "review_types_dir", "demo_credentials_file"}),
    ],
)
def test_a_process_reads_only_its_own_settings_beside_the_shared_ones(
    cls: type[Settings], foreign: set[str]
) -> None:
    found = foreign & set(cls.model_fields)
    assert not found, f"{cls.__name__} should not carry {sorted(found)}: another process reads them"


def test_the_operators_command_reads_every_setting_of_every_process() -> None:
    every = set().union(
        *(cls.model_fields for cls in (Settings, FormsSettings, NotificationSettings, GatewaySettings))
    )
    assert every <= set(OperatorSettings.model_fields)


def test_reset_settings_forgets_every_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    readers = (
        config.get_settings,
        config.gateway_settings,
        config.forms_settings,
        config.notification_settings,
        config.operator_settings,
    )
    monkeypatch.setenv("CASEREV_DB_NAME", "before")
    config.reset_settings()
    assert {reader().db_name for reader in readers} == {"before"}
    monkeypatch.setenv("CASEREV_DB_NAME", "after")
    config.reset_settings()
    try:
        assert {reader().db_name for reader in readers} == {"after"}, "a reader kept an old environment"
    finally:
        monkeypatch.undo()
        config.reset_settings()
