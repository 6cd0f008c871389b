"""A chronology entry keeps the same rules whether it came from a row of a file or from the bus as JSON."""

from __future__ import annotations

import ast
import json
import sys
from datetime import date, time
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.chronology.contract import ChronologyEntry, entry_json_schema, parse_entry_date

TODAY = date(2026, 3, 1)
CONTEXT = {"today": TODAY}


def entry(**changes: object) -> ChronologyEntry:
    fields: dict[str, object] = {
        "occurred": "22/05/2016",
        "source_record": "CN-000123",
        "practitioner_role": "Health visitor",
        "event": "Home visit; Child A seen.",
        "action": "Referral to children's social care",
    }
    fields.update(changes)
    return ChronologyEntry.model_validate(
        {key: value for key, value in fields.items() if value is not None}, context=CONTEXT
    )


def refusals(**changes: object) -> dict[tuple[object, ...], tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        entry(**changes)
    return {error["loc"]: (error["type"], error["msg"]) for error in refused.value.errors()}


def test_a_bus_message_may_give_its_dates_as_typed_strings():
    message = {
        "occurred": "about May 2016",
        "ended": {"typed": "June 2016"},
        "source_record": "CN-1",
        "practitioner_role": "Social worker",
        "event": "Placement with Adult 1",
        "no_action_reason": "Placement continued",
        "people": "Child A; Adult 1",
    }
    received = ChronologyEntry.model_validate_json(json.dumps(message))
    assert received.occurred == parse_entry_date("about May 2016", today=TODAY)
    assert received.ended is not None and received.ended.precision == "month"
    assert received.people == ["Child A", "Adult 1"]
    assert received.row is None


def test_an_entry_comes_back_whole_from_its_own_json():
    sent = entry(time="2.30pm", significance="High", key_practice_episode="Yes", people=["Child A"])
    assert ChronologyEntry.model_validate_json(sent.model_dump_json()) == sent
    assert (sent.time, sent.significance, sent.key_practice_episode) == (time(14, 30), "high", True)


def test_a_date_that_cannot_be_read_is_refused_in_the_date_parsers_words():
    assert refusals(occurred="31/02/2024")[("occurred",)] == (
        "entry_date",
        "31/02/2024 is not a date: February 2024 has 29 days",
    )


def test_an_entry_gives_the_action_or_the_reason_for_none_but_not_both():
    assert refusals(action="")[("no_action_reason",)] == (
        "action_or_reason",
        "give the action or decision, or the reason no action was taken",
    )
    assert refusals(no_action_reason="Routine")[("no_action_reason",)][0] == "action_and_reason"
    assert entry(action=None, no_action_reason="Routine contact").action is None


def test_a_time_needs_a_full_date():
    assert refusals(occurred="May 2016", time="14:30")[("time",)] == (
        "time_without_day",
        "a time needs the full date: May 2016 is not one day",
    )


def test_a_period_cannot_end_before_it_starts_but_an_uncertain_end_may_overlap_the_start():
    assert refusals(ended="21/05/2016")[("ended",)][0] == "ended_before_occurred"
    assert entry(ended="May 2016").ended is not None


def test_every_problem_of_an_entry_is_reported_at_once():
    found = refusals(
        occurred="hello", source_record=" ", practitioner_role="x" * 201, action="", significance="x"
    )
    assert set(found) == {
        ("occurred",),
        ("source_record",),
        ("practitioner_role",),
        ("no_action_reason",),
        ("significance",),
    }
    assert found[("practitioner_role",)][0] == "string_too_long"


def test_text_keeps_its_newlines_and_turns_tabs_into_spaces():
    assert entry(event="First line\tand more\r\nSecond line").event == "First line and more\nSecond line"


def test_people_are_split_on_semicolons_trimmed_and_named_once():
    assert entry(people=" Child A ;child a; Adult  1;; ").people == ["Child A", "Adult 1"]


def test_the_published_schema_gives_dates_as_strings_and_no_row():
    schema = entry_json_schema()
    assert schema["properties"]["occurred"]["type"] == "string"
    assert "22/05/2016" in schema["properties"]["occurred"]["examples"]
    assert "row" not in schema["properties"]
    assert set(schema["required"]) == {"occurred", "source_record", "practitioner_role", "event"}


def test_the_contract_imports_nothing_of_another_service_the_gateway_or_caserev():
    """The gateway, the operator's command and the chronology service all import the contract."""
    contract = Path(__file__).resolve().parents[2] / "services" / "chronology" / "contract"
    allowed = {"services.chronology.contract", "services.kernel", "pydantic", "pydantic_core", "openpyxl"}
    found = []
    for module in sorted(contract.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "__future__":
                    continue
                if not any(name == root or name.startswith(f"{root}.") for root in allowed):
                    found.append(f"{module.name}:{node.lineno} imports {name}")
    assert not found, "the chronology contract must stand alone:\n" + "\n".join(found)
