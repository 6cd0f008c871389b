"""Checking an agency's chronology file: every bad file gives a problem that says what to fix, naming the
spreadsheet's row and the template's column; nothing escapes as an exception; reading streams.

Every file is built here, in tmp_path, with synthetic content only."""

from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from services.chronology.contract import (
    CheckContext,
    Checked,
    CheckResult,
    ChronologyEntry,
    Problem,
    check_entry,
    check_file,
    check_whole,
)

TODAY = date(2026, 3, 1)
CONTEXT = CheckContext(today=TODAY)
HEADINGS = [
    "Date",
    "Time",
    "End date",
    "Source record",
    "Practitioner role",
    "Event",
    "Action or decision",
    "Reason if no action",
    "Significance",
    "Key practice episode",
    "People",
]


def entry_row(**cells: Any) -> list[Any]:
    """A valid row in the template's order; keyword arguments name the cells to change (snake_case)."""
    given = {
        "date": "22/05/2016",
        "time": "",
        "end_date": "",
        "source_record": "CN-000123",
        "practitioner_role": "Health visitor",
        "event": "Home visit; Child A seen asleep in a cot.",
        "action_or_decision": "Referral to children's social care",
        "reason_if_no_action": "",
        "significance": "Medium",
        "key_practice_episode": "No",
        "people": "Child A",
    }
    given.update(cells)
    return [given[heading.lower().replace(" ", "_")] for heading in HEADINGS]


def csv_file(
    tmp_path: Path,
    rows: list[list[Any]],
    *,
    headings: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
    name: str = "chronology.csv",
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADINGS if headings is None else headings)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def workbook_file(
    tmp_path: Path,
    rows: list[list[Any]],
    *,
    headings: list[str] | None = None,
    merged: str | None = None,
    name: str = "chronology.xlsx",
) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Chronology"
    sheet.append(HEADINGS if headings is None else headings)
    for row in rows:
        sheet.append(row)
    if merged:
        sheet.merge_cells(merged)
    path = tmp_path / name
    book.save(path)
    return path


def check(path: Path, **context: Any) -> CheckResult:
    return check_whole(path, filename=path.name, context=replace(CONTEXT, **context))


def said(result: CheckResult) -> list[str]:
    return [str(problem) for problem in result.problems]


def warned(result: CheckResult) -> list[str]:
    return [str(problem) for problem in result.warnings]


def only_problem(result: CheckResult) -> str:
    assert len(result.problems) == 1, said(result)
    return said(result)[0]


def only_message(result: CheckResult) -> str:
    """The message of the one problem of the whole file (which reads as "the file: " and its message)."""
    assert len(result.problems) == 1, said(result)
    assert (result.problems[0].row, result.problems[0].column) == (None, None)
    return result.problems[0].message


# -- good files ---------------------------------------------------------------------------------------------


def test_a_clean_csv_yields_every_entry_numbered_as_the_spreadsheet_numbers_rows(tmp_path):
    path = csv_file(tmp_path, [entry_row(), entry_row(date="May 2016", event="Clinic appointment missed")])
    result = check(path)
    assert result.ok, said(result)
    assert result.entries == 2
    assert [entry.row for entry in result.first] == [2, 3]
    first = result.first[0]
    assert (first.occurred.starts_on, first.source_record, first.people) == (
        date(2016, 5, 22),
        "CN-000123",
        ["Child A"],
    )


def test_a_clean_workbook_reads_real_date_and_time_cells(tmp_path):
    rows = [
        entry_row(date=datetime(2016, 5, 22, 14, 30), significance=None, key_practice_episode=True),
        entry_row(date=date(2016, 5, 23), time=time(9, 15), event="Telephone call"),
        entry_row(date=2016, source_record=12345, event="Letter", end_date=None),
    ]
    result = check(workbook_file(tmp_path, rows))
    assert result.ok, said(result)
    first, second, third = result.first
    assert (first.occurred.typed, first.time, first.key_practice_episode) == (
        "22/05/2016",
        time(14, 30),
        True,
    )
    assert (second.occurred.typed, second.time) == ("23/05/2016", time(9, 15))
    assert (third.occurred.precision, third.source_record) == ("year", "12345")


def test_headings_match_whatever_their_case_and_surrounding_spaces(tmp_path):
    headings = [f"  {heading.upper()} " for heading in HEADINGS]
    assert check(csv_file(tmp_path, [entry_row()], headings=headings)).entries == 1


def test_a_semicolon_or_tab_delimited_csv_is_read_from_its_heading_line(tmp_path):
    assert check(csv_file(tmp_path, [entry_row()], delimiter=";", name="semi.csv")).entries == 1
    assert check(csv_file(tmp_path, [entry_row()], delimiter="\t", name="tabs.csv")).entries == 1


def test_the_partnerships_own_columns_are_kept_by_heading(tmp_path):
    path = csv_file(tmp_path, [[*entry_row(), "Outreach team"]], headings=[*HEADINGS, "Team"])
    result = check(path, extra_columns=["Team"])
    assert result.ok, said(result)
    assert result.first[0].extra == {"Team": "Outreach team"}


def test_newlines_in_a_cell_are_kept_and_tabs_become_spaces(tmp_path):
    event = "First paragraph.\nSecond\tparagraph."
    for path in (
        csv_file(tmp_path, [entry_row(event=event)]),
        workbook_file(tmp_path, [entry_row(event=event)]),
    ):
        result = check(path)
        assert result.ok, said(result)
        assert result.first[0].event == "First paragraph.\nSecond paragraph."


def test_a_cell_starting_with_equals_is_plain_text_in_a_csv(tmp_path):
    result = check(csv_file(tmp_path, [entry_row(event="=== Strategy meeting ===")]))
    assert result.ok, said(result)
    assert result.first[0].event == "=== Strategy meeting ==="


def test_entirely_empty_rows_are_skipped_silently(tmp_path):
    path = csv_file(
        tmp_path, [entry_row(), [""] * len(HEADINGS), [], ["  "] * 3, entry_row(event="Later visit")]
    )
    result = check(path)
    assert result.ok, said(result)
    assert [entry.row for entry in result.first] == [2, 6]


# -- encodings ----------------------------------------------------------------------------------------------


def test_a_csv_saved_in_windows_encoding_is_refused_naming_the_row(tmp_path):
    path = csv_file(tmp_path, [entry_row(), entry_row(event="Met at the café")], encoding="cp1252")
    message = only_problem(check(path))
    assert message.startswith("row 3: the file is not UTF-8")
    assert "café" in message
    assert "save it as CSV UTF-8" in message


def test_utf8_with_a_byte_order_mark_is_read_and_the_mark_is_not_part_of_the_first_heading(tmp_path):
    path = csv_file(tmp_path, [entry_row(event="Met at the café")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    result = check(path)
    assert result.ok, said(result)
    assert result.first[0].event == "Met at the café"


def test_excels_unicode_text_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = csv_file(tmp_path, [entry_row(event="Met at the café")], encoding="utf-16", delimiter="\t")
    assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    result = check(path)
    assert result.ok, said(result)
    assert result.first[0].event == "Met at the café"


def test_nul_characters_in_a_csv_row_are_that_rows_problem(tmp_path):
    path = csv_file(tmp_path, [entry_row(), entry_row(event="Visit\x00ed"), entry_row(event="Later visit")])
    result = check(path)
    assert said(result) == [
        "row 3: contains NUL characters, which text never holds: retype the row, or save the file again as "
        "CSV UTF-8"
    ]
    assert result.entries == 2


# -- files that are not spreadsheets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "a GIF image"),
        (bytes(range(256)) * 8, "a binary file"),
    ],
)
@pytest.mark.parametrize("name", ["chronology.csv", "chronology.xlsx"])
def test_a_renamed_image_or_binary_is_not_a_spreadsheet(tmp_path, start, what, name):
    path = tmp_path / name
    path.write_bytes(start + bytes(200))
    assert only_message(check(path)).startswith(f"this is {what}, not a spreadsheet: save the chronology as")


def test_an_old_excel_or_password_protected_workbook_is_asked_for_as_xlsx(tmp_path):
    path = tmp_path / "chronology.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    assert "Excel 97-2003 workbook (.xls) or a password-protected file" in only_message(check(path))


def test_a_word_document_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "chronology.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert only_message(check(path)).startswith("this is a Word document, not a spreadsheet")


def test_text_named_as_a_workbook_is_not_a_workbook(tmp_path):
    path = tmp_path / "chronology.xlsx"
    path.write_text("Date,Event\n22/05/2016,Visit\n", encoding="utf-8")
    assert "chronology.xlsx is named as an Excel workbook but is not one" in only_message(check(path))


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + bytes(300),  # a zip's first bytes, then nothing of one
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"truncated",
    ],
)
def test_a_damaged_workbook_is_said_to_be_damaged(tmp_path, content):
    path = tmp_path / "chronology.xlsx"
    path.write_bytes(content)
    assert "is not a workbook that can be read (it is damaged" in only_message(check(path))


def test_a_workbook_whose_parts_are_not_a_workbook_is_said_to_be_damaged(tmp_path):
    path = tmp_path / "chronology.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "not xml at all")
        archive.writestr("xl/workbook.xml", "<workbook")
    assert "is not a workbook that can be read" in only_message(check(path))


# -- limits -------------------------------------------------------------------------------------------------


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_bytes(b"")
    assert only_problem(check(path)).startswith("the file is empty: ")


def test_a_file_of_blank_lines_has_no_headings_and_no_entries(tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_bytes(b"\r\n,,,\r\n\r\n")
    assert only_problem(check(path)) == "the file is empty: it has no column headings and no entries"


def test_a_file_with_headings_only_has_no_entries(tmp_path):
    for path in (csv_file(tmp_path, []), workbook_file(tmp_path, [])):
        assert only_problem(check(path)) == "the file has column headings but no entries"


def test_a_file_over_the_size_limit_is_refused_from_its_size_before_it_is_read(tmp_path):
    path = tmp_path / "chronology.csv"
    with path.open("wb") as sparse:
        sparse.truncate(int(21.3 * 1024 * 1024))
    assert only_problem(check(path)).startswith("the file is 21.3 MB; the limit is 20 MB")


def test_more_entries_than_the_limit_are_refused_and_reading_stops(tmp_path):
    path = csv_file(tmp_path, [entry_row(event=f"Visit {number}") for number in range(6)])
    items = list(check_file(path, filename=path.name, context=replace(CONTEXT, max_rows=3)))
    assert [item.row for item in items if isinstance(item, ChronologyEntry)] == [2, 3, 4]
    assert items[-1] == Problem(
        None,
        None,
        "the file has more than 3 entries: split it into files of up to 3 entries (by date) and upload each",
    )


@pytest.mark.slow
@pytest.mark.timeout(30)
def test_a_csv_of_200000_rows_stops_at_100000_entries(tmp_path):
    path = tmp_path / "chronology.csv"
    line = "22/05/2016,,,CN-{0},Health visitor,Visit {0},Referral,,,,\r\n"
    with path.open("w", encoding="utf-8", newline="") as text:
        text.write(",".join(HEADINGS) + "\r\n")
        text.writelines(line.format(number) for number in range(200_000))
    result = check(path)
    assert result.entries == 100_000
    assert said(result) == [
        "the file has more than 100,000 entries: split it into files of up to 100,000 entries (by date) and "
        "upload each"
    ]
    assert result.rows_read == 100_002


def test_checking_stops_after_the_most_problems_it_lists(tmp_path):
    path = csv_file(tmp_path, [entry_row(date="someday") for _ in range(10)])
    result = check(path, max_problems=4)
    assert len(result.problems) == 5
    assert said(result)[-1] == "the file: checking stopped after 4 problems: fix these first"


# -- workbooks that could overwhelm the server --------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "chronology.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (10 * 1024 * 1024))
    message = only_message(check(path))
    assert "the workbook's part xl/worksheets/sheet1.xml unpacks to" in message
    assert "zip bomb" in message


def test_a_workbook_declaring_more_than_200_mb_unpacked_is_refused(tmp_path):
    path = tmp_path / "chronology.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    # The central directory's entry declares the part's size; say 300 MB, as a crafted file could.
    content = bytearray(path.read_bytes())
    directory = content.rindex(b"PK\x01\x02")
    content[directory + 24 : directory + 28] = struct.pack("<I", 300 * 1024 * 1024)
    path.write_bytes(bytes(content))
    assert only_message(check(path)).startswith("the workbook unpacks to 300 MB; the limit is 200 MB")


def test_a_workbook_as_wide_as_excel_allows_is_refused_at_its_headings(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chronology")
    sheet.append([*HEADINGS, *(f"Column {number}" for number in range(16_384 - len(HEADINGS)))])
    path = tmp_path / "chronology.xlsx"
    book.save(path)
    assert only_problem(check(path)) == (
        "row 1: the file has 16,384 columns; the limit is 64: delete the columns after the last heading"
    )


def test_a_row_with_a_value_far_beyond_the_headings_stops_the_check(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chronology")
    sheet.append(HEADINGS)
    sheet.append(entry_row())
    sheet.append([*entry_row(), *([None] * (16_384 - len(HEADINGS) - 1)), "stray"])
    path = tmp_path / "chronology.xlsx"
    book.save(path)
    result = check(path)
    assert said(result) == [
        "row 3: this row has a value in column XFD; a file can have up to 64 columns: delete the columns "
        "after the last heading"
    ]
    assert result.entries == 1


def test_empty_cells_after_the_last_heading_do_not_count_as_columns(tmp_path):
    headings = [*HEADINGS, *([None] * 100)]
    book = Workbook()
    sheet = book.active
    sheet.append(headings)
    sheet.append(entry_row())
    sheet.cell(row=1, column=16_000).number_format = "0.00"  # formatted, but empty
    path = tmp_path / "chronology.xlsx"
    book.save(path)
    result = check(path)
    assert result.ok, said(result)


# -- workbook cells -----------------------------------------------------------------------------------------


def test_a_formula_in_a_workbook_is_asked_for_as_its_value(tmp_path):
    path = workbook_file(tmp_path, [entry_row(), entry_row(event="=F2")])
    assert only_problem(check(path)) == "row 3, column Event: contains a formula; paste the values instead"


def test_merged_cells_are_named_by_their_range(tmp_path):
    rows = [entry_row(), entry_row(), entry_row(event="Second visit"), entry_row(event="Third visit")]
    path = workbook_file(tmp_path, rows, merged="A3:A5")
    result = check(path)
    assert said(result)[0] == "row 3: cells A3:A5 are merged: unmerge them and fill each row"


def test_the_chronology_sheet_is_read_before_any_other(tmp_path):
    book = Workbook()
    book.active.title = "Instructions"
    book.active.append(["Fill in the Chronology sheet"])
    sheet = book.create_sheet("Chronology")
    sheet.append(HEADINGS)
    sheet.append(entry_row())
    path = tmp_path / "chronology.xlsx"
    book.save(path)
    assert check(path).entries == 1


# -- headings -----------------------------------------------------------------------------------------------


def test_a_repeated_heading_names_its_columns(tmp_path):
    headings = ["Source record", "Date", "Time", "End date", "Date", *HEADINGS[4:]]
    path = csv_file(tmp_path, [], headings=headings)
    assert "row 1: the column heading Date appears twice, in columns B and E" in said(check(path))


def test_missing_required_headings_are_all_named_at_once(tmp_path):
    headings = ["Date", "Time", "Practitioner role", "Action or decision"]
    path = csv_file(tmp_path, [["22/05/2016", "", "Health visitor", "Referral"]], headings=headings)
    assert only_problem(check(path)) == (
        "row 1: the file is missing the columns Source record and Event: add them, headed as in the template"
    )


def test_a_heading_not_in_the_template_is_refused_with_what_to_do(tmp_path):
    path = csv_file(tmp_path, [[*entry_row(), "x"]], headings=[*HEADINGS, "Foo"])
    assert only_problem(check(path)) == (
        "row 1: column Foo is not in the template: remove it, or ask the business manager to add it as a "
        "partnership column"
    )


def test_headings_that_are_not_in_row_1_are_asked_for_there(tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_text("\n\n" + ",".join(HEADINGS) + "\n" + ",".join(entry_row()) + "\n", encoding="utf-8")
    assert (
        only_problem(check(path))
        == "row 1: this row is empty: put the column headings here, as in the template"
    )
    path.write_text("Chronology of Review 42\n" + ",".join(HEADINGS) + "\n", encoding="utf-8")
    assert only_problem(check(path)).startswith(
        "row 1: none of the template's column headings (Date, Time, End date"
    )


def test_a_value_under_no_heading_is_said_once_for_its_column(tmp_path):
    path = csv_file(tmp_path, [[*entry_row(), "", "loose"], [*entry_row(event="Other"), "", "again"]])
    result = check(path)
    assert said(result) == [
        "row 2, column M: has a value, but the column has no heading: give it a heading from the template, "
        "or delete the column"
    ]
    assert result.entries == 2


# -- rows ---------------------------------------------------------------------------------------------------


def test_each_missing_required_value_is_its_own_problem(tmp_path):
    path = csv_file(tmp_path, [entry_row(date="", source_record=" ", event="")])
    assert said(check(path)) == [
        "row 2, column Date: give the date",
        "row 2, column Source record: give the source record",
        "row 2, column Event: give the event",
    ]


def test_an_entry_needs_the_action_or_the_reason_there_was_none(tmp_path):
    path = csv_file(tmp_path, [entry_row(action_or_decision="")])
    assert (
        only_problem(check(path)) == "row 2: give the action or decision, or the reason no action was taken"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2024", "row 2, column Date: 31/02/2024 is not a date: February 2024 has 29 days"),
        ("2024-13-01", "row 2, column Date: 2024-13-01 is not a date: there is no month 13"),
        ("22/05/2027", "row 2, column Date: 22/05/2027 is in the future: check the date"),
    ],
)
def test_a_date_that_cannot_be_right_is_refused_with_what_to_fix(tmp_path, typed, message):
    assert only_problem(check(csv_file(tmp_path, [entry_row(date=typed)]))) == message


def test_a_date_long_before_the_child_was_born_is_refused_and_one_in_pregnancy_is_a_warning(tmp_path):
    path = csv_file(tmp_path, [entry_row(date="01/05/2015"), entry_row(date="01/12/2015", event="Booking")])
    result = check(path, born_on=date(2016, 3, 1))
    assert said(result) == ["row 2, column Date: 01/05/2015 is before the child was born: check the year"]
    assert warned(result) == [
        "row 3, column Date: 01/12/2015 is before the child was born (pre-birth): check it is right"
    ]
    assert result.entries == 1


def test_an_unknown_significance_lists_the_ones_allowed(tmp_path):
    path = csv_file(tmp_path, [entry_row(significance="Urgent")])
    assert only_problem(check(path)) == (
        "row 2, column Significance: Urgent cannot be used here: use Low, Medium or High, or leave it empty"
    )


def test_a_key_practice_episode_is_yes_or_no(tmp_path):
    path = csv_file(
        tmp_path, [entry_row(key_practice_episode="Maybe"), entry_row(key_practice_episode="yes")]
    )
    result = check(path)
    assert said(result) == [
        "row 2, column Key practice episode: Maybe cannot be used here: use Yes or No, or leave it empty"
    ]
    assert result.first[0].key_practice_episode is True


def test_names_not_in_the_people_register_are_each_named(tmp_path):
    register = {"sam": "Child A", "adult 1": "Adult 1"}  # a label is always one of its own spellings
    path = csv_file(tmp_path, [entry_row(people="child  A; Jo Bloggs; SAM; Pat Doe")])
    assert only_problem(check(path, people=register)) == (
        "row 2, column People: Jo Bloggs and Pat Doe are not in the review's people register: use register "
        "names, e.g. Child A"
    )
    path = csv_file(tmp_path, [entry_row(people="Jo Bloggs")])
    assert only_problem(check(path, people=register)) == (
        "row 2, column People: Jo Bloggs is not in the review's people register: use a register name, "
        "e.g. Child A"
    )
    assert check(path).ok  # offline, with no register, names are not checked


def test_a_row_with_a_bad_date_also_says_which_names_are_not_in_the_register(tmp_path):
    register = {"sam": "Child A"}
    path = csv_file(
        tmp_path,
        [
            entry_row(date="31/02/2024", people="Jo Bloggs"),
            entry_row(date="12:30", people="Child A; Pat Doe"),  # a cell that cannot be read as a date
        ],
    )
    problems = said(check(path, people=register))
    assert [problem.split(":")[0] for problem in problems] == [
        "row 2, column Date",
        "row 2, column People",
        "row 3, column Date",
        "row 3, column People",
    ], problems
    assert "Jo Bloggs is not in the review's people register" in problems[1]
    assert "Pat Doe is not in the review's people register" in problems[3]


def test_text_over_its_limit_says_which_limit(tmp_path):
    path = csv_file(tmp_path, [entry_row(event="x" * 10_001, source_record="R" * 201)])
    assert said(check(path)) == [
        "row 2, column Source record: the text is 201 characters long; the limit for Source record is 200: "
        "shorten it",
        "row 2, column Event: the text is 10,001 characters long; the limit for Event is 10,000: shorten it",
    ]


def test_a_time_needs_a_full_date_and_a_time_must_be_a_time(tmp_path):
    path = csv_file(tmp_path, [entry_row(date="May 2016", time="14:30"), entry_row(time="25:00")])
    assert said(check(path)) == [
        "row 2, column Time: a time needs the full date: May 2016 is not one day",
        "row 3, column Time: 25:00 is not a time: hours go from 0 to 23",
    ]


def test_an_approximate_date_and_a_repeated_entry_are_warnings_not_problems(tmp_path):
    path = csv_file(tmp_path, [entry_row(date="about May 2016"), entry_row(), entry_row()])
    result = check(path)
    assert result.ok and result.entries == 3
    assert warned(result) == [
        "row 2, column Date: about May 2016 is approximate: the merged chronology places it at the start of "
        "May 2016",
        "row 4: the same date and event as row 3: check it is not entered twice",
    ]
    assert all(problem.warning for problem in result.warnings)


# -- streaming and the shape of problems --------------------------------------------------------------------


def test_entries_stream_out_before_the_file_is_read_to_its_end(tmp_path):
    path = csv_file(tmp_path, [entry_row(event=f"Visit {number}") for number in range(5_000)])
    checked = Checked()
    items = check_file(path, filename=path.name, context=CONTEXT, checked=checked)
    first = next(items)
    assert isinstance(first, ChronologyEntry) and first.row == 2
    assert checked.entries == 1 and checked.rows_read < 100
    items.close()


def test_a_problem_reads_as_where_then_what_to_fix():
    assert (
        str(Problem(7, "Date", "31/02/2024 is not a date")) == "row 7, column Date: 31/02/2024 is not a date"
    )
    assert str(Problem(7, None, "give the action")) == "row 7: give the action"
    assert str(Problem(None, None, "the file is empty: upload it")) == "the file is empty: upload it"
    assert str(Problem(None, None, "this is a PNG image")) == "the file: this is a PNG image"


def test_the_reviews_facts_are_checked_for_an_entry_from_the_bus_too():
    entry = ChronologyEntry.model_validate(
        {
            "occurred": "about 2030",
            "source_record": "CN-1",
            "practitioner_role": "Police officer",
            "event": "Attended address",
            "action": "Report made",
            "people": ["Jo Bloggs"],
        },
        context={"today": TODAY},
    )
    problems = check_entry(entry, replace(CONTEXT, people={"child a": "Child A"}))
    assert [str(problem) for problem in problems] == [
        "column Date: about 2030 is in the future: check the date",
        "column Date: about 2030 is approximate: the merged chronology places it at the start of 2030",
        "column People: Jo Bloggs is not in the review's people register: use a register name, e.g. Child A",
    ]


def test_a_file_that_cannot_be_found_is_a_problem_not_an_exception(tmp_path):
    assert only_problem(check(tmp_path / "gone.csv")) == "the file could not be opened: upload it again"


def test_a_workbook_of_too_many_parts_is_refused_from_its_end_record(tmp_path):
    path = tmp_path / "chronology.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in range(10_001):
            archive.writestr(f"x/{number}", b"")
    assert only_message(check(path)).startswith("the workbook has 10,002 parts or more")


@pytest.mark.parametrize("block_size", [7, 100, 600, 1024 * 1024])
def test_merged_ranges_are_all_found_once_whatever_the_blocks_the_sheet_is_read_in(tmp_path, block_size):
    from services.chronology.contract.sheet import _merged_ranges

    merged = [f"A{row}:A{row + 1}" for row in range(2, 400, 3)]
    cells = "".join(f'<x:mergeCell ref="{cells}"/>' for cells in merged)
    sheet_xml = (
        f"<x:worksheet><x:sheetData>{'<x:row/>' * 300}</x:sheetData><x:mergeCells>{cells}</x:mergeCells>"
    )
    path = tmp_path / "sheet.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sheet.xml", sheet_xml + "</x:worksheet>")
    with zipfile.ZipFile(path) as archive:
        assert list(_merged_ranges(archive, "sheet.xml", block_size=block_size)) == merged
