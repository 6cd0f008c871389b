"""The chronology template asks for what the check accepts: a filled-in template checks clean, its
examples are never read, and its limits and date forms are the check's own."""

from __future__ import annotations

import codecs
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from services.chronology.contract import (
    CheckContext,
    check_whole,
    columns_for,
    template_csv,
    template_xlsx,
)

REGISTER = [("Child A", "Subject child"), ("Adult 1", "Mother"), ("Adult 2", "Mother's partner")]
CONTEXT = CheckContext(
    today=date(2026, 3, 1),
    born_on=date(2016, 5, 1),
    people={label.casefold(): label for label, _ in REGISTER},
    extra_columns=("Team",),
)
COLUMNS = columns_for(["Team"])


def template() -> Workbook:
    return load_workbook(
        io.BytesIO(template_xlsx(COLUMNS, review_reference="LCSPR-2026-07", register=REGISTER))
    )


def test_the_workbook_has_the_chronology_to_fill_in_and_its_instructions_examples_and_people():
    book = template()
    assert book.sheetnames == ["Chronology", "Instructions", "Examples", "People"]
    chronology = book["Chronology"]
    assert [cell.value for cell in chronology[1]] == [column.heading for column in COLUMNS]
    assert chronology.max_row == 1
    assert all(cell.font.bold for cell in chronology[1])
    assert chronology.freeze_panes == "A2"
    assert chronology.column_dimensions["F"].width == 60  # Event
    assert book.active.title == "Chronology"


def test_significance_and_key_practice_episode_are_chosen_from_lists():
    lists = {
        validation.formula1: str(validation.sqref)
        for validation in template()["Chronology"].data_validations.dataValidation
        if validation.type == "list"
    }
    assert lists == {'"Low,Medium,High"': "I2:I5001", '"Yes,No"': "J2:J5001"}


def test_the_date_columns_hold_text_so_excel_keeps_a_month_as_typed():
    chronology = template()["Chronology"]
    assert chronology.column_dimensions["A"].number_format == "@"
    prompts = [
        validation.prompt for validation in chronology.data_validations.dataValidation if validation.prompt
    ]
    assert prompts and "Day first: 22/05/2016" in prompts[0]


def test_the_instructions_give_each_column_the_date_forms_and_the_limits():
    text = "\n".join(
        str(value) for row in template()["Instructions"].iter_rows(values_only=True) for value in row if value
    )
    assert "Chronology for review LCSPR-2026-07" in text
    assert "20 MB" in text and "100,000 entries" in text
    assert "register name" in text
    for column in COLUMNS:
        assert column.heading in text
    for typed in ("22/05/2016", "May 2016", "about May 2016", "?/05/2016"):
        assert typed in text


def test_the_people_sheet_holds_the_register_labels_and_roles():
    rows = list(template()["People"].iter_rows(values_only=True))
    assert rows == [("Register name", "Role in the family"), *REGISTER]


def test_a_filled_in_template_checks_clean_and_its_examples_are_not_read(tmp_path):
    book = template()
    chronology = book["Chronology"]
    chronology.append(["22/05/2016", "14:30", "", "CN-000123", "Health visitor", "Home visit", "Referral"])
    chronology.append(
        ["May 2016", "", "", "CN-000124", "GP", "Surgery appointment", "", "No concerns", "Low"]
    )
    chronology.append(
        ["about 2016", "", "", "CN-000125", "Social worker", "Visit", "Assessment", "", "", "Yes"]
    )
    path = tmp_path / "filled.xlsx"
    book.save(path)
    result = check_whole(path, filename=path.name, context=CONTEXT)
    assert result.ok, [str(problem) for problem in result.problems]
    assert result.entries == 3
    assert [entry.source_record for entry in result.first] == ["CN-000123", "CN-000124", "CN-000125"]


def test_the_examples_are_entries_the_check_accepts(tmp_path):
    rows = list(template()["Examples"].iter_rows(min_row=2, values_only=True))
    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "examples.xlsx"
    book.save(path)
    result = check_whole(path, filename=path.name, context=CONTEXT)
    assert result.ok, [str(problem) for problem in result.problems]
    assert result.entries == 3


def test_the_csv_template_is_the_heading_line_in_utf8_with_a_byte_order_mark(tmp_path):
    content = template_csv(COLUMNS)
    assert content.startswith(codecs.BOM_UTF8)
    assert content.decode("utf-8-sig") == ",".join(column.heading for column in COLUMNS) + "\r\n"
    path: Path = tmp_path / "template.csv"
    path.write_bytes(
        content + b"22/05/2016,,,CN-1,Health visitor,Home visit,Referral,,,,Child A,Outreach\r\n"
    )
    result = check_whole(path, filename=path.name, context=CONTEXT)
    assert result.ok, [str(problem) for problem in result.problems]
    assert result.first[0].extra == {"Team": "Outreach"}
