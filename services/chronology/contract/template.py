"""The chronology template an agency downloads: a workbook to fill in (or a CSV heading line), built from
the same columns a file is checked by, so that what the template asks for is what the check accepts.

The workbook's sheets: "Chronology" (the headings only; the one sheet that is read), "Instructions",
"Examples" (three made-up entries, never read) and "People" (the review's register: labels and roles,
never names).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.chronology.contract.columns import Column
from services.chronology.contract.sheet import MAX_BYTES, MAX_ROWS, MB

# Drop-down lists and prompts cover this many rows: enough for a long chronology, small in the file.
VALIDATED_ROWS: Final = 5000
_BOLD: Final = Font(bold=True)
_TITLE: Final = Font(bold=True, size=14)
_WRAPPED: Final = Alignment(wrap_text=True, vertical="top")

DATE_FORMS: Final[tuple[tuple[str, str], ...]] = (
    ("22/05/2016", "a day, day first (22/5/16, 22.05.16, 22-May-2016, 22 May 2016 and 2016-05-22 work too)"),
    ("May 2016", "a month, when the record gives no day (05/2016 works too)"),
    ("2016", "a year, when the record gives no month"),
    ("about May 2016", "a date you are not sure of: about, approx, c., circa or around before it"),
    ("early 2016", "early, mid or late before a month or a year"),
    ("?/05/2016", "a ? for the part you do not know, or after a date you are not sure of: 22/05/2016?"),
)


def template_xlsx(
    columns: Sequence[Column], *, review_reference: str, register: Sequence[tuple[str, str]]
) -> bytes:
    """The workbook to fill in for a review: `columns` from `columns_for`, the review's reference (no one's
    name), and its people register as (label, role in the family), e.g. ("Child A", "Subject child")."""
    book = Workbook()
    chronology = book.active
    chronology.title = "Chronology"
    _chronology_sheet(chronology, columns)
    _instructions_sheet(book.create_sheet("Instructions"), columns, review_reference)
    _examples_sheet(book.create_sheet("Examples"), columns, register)
    _people_sheet(book.create_sheet("People"), register)
    book.active = 0
    book.properties.title = f"Chronology for review {review_reference}"
    book.properties.creator = "Case Review"
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def template_csv(columns: Sequence[Column]) -> bytes:
    """The heading line alone, as CSV UTF-8 with the byte order mark Excel needs to open it as UTF-8."""
    line = ",".join(_csv_cell(column.heading) for column in columns)
    return codecs.BOM_UTF8 + f"{line}\r\n".encode()


def _csv_cell(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(mark in text for mark in ',;"\r\n') else text


def _chronology_sheet(sheet: Worksheet, columns: Sequence[Column]) -> None:
    sheet.append([column.heading for column in columns])
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "A2"
    last = VALIDATED_ROWS + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        cells = f"{letter}2:{letter}{last}"
        if column.key in ("occurred", "ended", "time"):
            # Text, so that Excel keeps "May 2016" as typed instead of making it 01/05/2016.
            sheet.column_dimensions[letter].number_format = "@"
        if column.allowed:
            choice = DataValidation(
                type="list",
                formula1='"' + ",".join(column.allowed) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.heading[:32],
                error=f"Choose {' or '.join(column.allowed)}, or leave it empty.",
            )
            sheet.add_data_validation(choice)
            choice.add(cells)
        elif column.key in ("occurred", "ended"):
            hint = DataValidation(
                showInputMessage=True,
                promptTitle=column.heading[:32],
                prompt="Day first: 22/05/2016. No day in the record: May 2016 or 2016. "
                "Not sure: about May 2016.",
            )
            sheet.add_data_validation(hint)
            hint.add(cells)


def _instructions_sheet(sheet: Worksheet, columns: Sequence[Column], review_reference: str) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 80
    sheet.column_dimensions["D"].width = 30
    lines: list[list[str]] = [
        [f"Chronology for review {review_reference}"],
        [],
        ["Fill in the Chronology sheet: one row for each event, in any order. Only that sheet is read."],
        [f"A file holds up to {MAX_ROWS:,} entries in up to {MAX_BYTES // MB} MB: split a longer one."],
        ["Name people by their register name (see the People sheet), never by their own name."],
        ["Name practitioners by their role, never by their name."],
        ["Do not merge cells; paste values rather than formulas; keep the headings in row 1 as they are."],
        ["Save as an Excel workbook (.xlsx), or as CSV UTF-8 (Comma delimited)."],
        [],
        ["Column", "Required", "How to fill it", "Examples"],
    ]
    for column in columns:
        allowed = f" Only: {', '.join(column.allowed)}." if column.allowed else ""
        lines.append(
            [
                column.heading,
                "Yes" if column.required else "",
                column.help + allowed,
                "; ".join(column.examples),
            ]
        )
    lines += [[], ["Dates", "", "How to write it"]]
    lines += [[typed, "", meaning] for typed, meaning in DATE_FORMS]
    for line in lines:
        sheet.append(line)
    sheet["A1"].font = _TITLE
    heading_rows = (10, 12 + len(columns))
    for row in heading_rows:
        for cell in sheet[row]:
            cell.font = _BOLD
    for row in sheet.iter_rows(min_row=11):
        for cell in row:
            cell.alignment = _WRAPPED


def _examples_sheet(sheet: Worksheet, columns: Sequence[Column], register: Sequence[tuple[str, str]]) -> None:
    child = register[0][0] if register else "Child A"
    adult = register[1][0] if len(register) > 1 else "Adult 1"
    made_up: list[dict[str, str]] = [
        {
            "occurred": "22/05/2016",
            "time": "14:30",
            "source_record": "HV-000123",
            "practitioner_role": "Health visitor",
            "event": f"New birth visit at home. {child} seen awake and alert; {adult} said feeding is fine.",
            "action": "Next visit booked for six weeks",
            "significance": "Low",
            "key_practice_episode": "No",
            "people": f"{child}; {adult}",
        },
        {
            "occurred": "about June 2016",
            "source_record": "GP-004471",
            "practitioner_role": "GP",
            "event": f"{adult} attended the surgery and spoke of low mood since the birth.",
            "no_action_reason": f"{adult} declined a referral to perinatal mental health",
            "significance": "Medium",
            "key_practice_episode": "Yes",
            "people": adult,
        },
        {
            "occurred": "03/07/2016",
            "ended": "05/07/2016",
            "source_record": "ED-009902",
            "practitioner_role": "Emergency department nurse",
            "event": f"{child} brought in with a bruise to the cheek; said to be from a fall from a sofa.",
            "action": "Referral to children's social care",
            "significance": "High",
            "key_practice_episode": "Yes",
            "people": f"{child}; {adult}",
        },
    ]
    sheet.append(["EXAMPLES ONLY: made-up entries showing how to fill in the Chronology sheet. Never read."])
    sheet["A1"].font = _BOLD
    sheet.append([column.heading for column in columns])
    for cell in sheet[2]:
        cell.font = _BOLD
    for example in made_up:
        sheet.append([example.get(column.key, "") for column in columns])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = _WRAPPED


def _people_sheet(sheet: Worksheet, register: Sequence[tuple[str, str]]) -> None:
    sheet.append(["Register name", "Role in the family"])
    for cell in sheet[1]:
        cell.font = _BOLD
    for label, role in register:
        sheet.append([label, role])
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "A2"
