"""Benchmark of checking a chronology file: rows per second for `check_whole` over a made-up chronology
of N entries, as CSV UTF-8, as a workbook laid out as Excel saves one (shared strings, real date cells)
and as one written by openpyxl (inline strings, which its reader parses far more slowly).

    python tests/perf/bench_chronology_sheet.py [--rows 100000] [--rounds 3]

Prints, for each kind, the file's size, the median seconds of the rounds and the rows per second. All
content is synthetic.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from services.chronology.contract import STANDARD_COLUMNS, CheckContext, check_whole  # noqa: E402

HEADINGS = [column.heading for column in STANDARD_COLUMNS]
ROLES = ["Health visitor", "GP", "Social worker", "Police officer", "School nurse", "Midwife", "Teacher"]
EVENTS = [
    "Home visit; {0} seen and weighed, {1} present.",
    "{1} phoned the duty desk about rent arrears and low mood.",
    "Missed appointment at the clinic; letter sent to {1}.",
    "Strategy discussion about {0}: information shared between agencies.",
    "{0} attended school late and without a coat; the teacher spoke with {1}.",
    "Police attended after a neighbour's call; {1} said there was an argument.\nNo injuries seen.",
]
REGISTER = {"child a": "Child A", "adult 1": "Adult 1", "adult 2": "Adult 2", "child b": "Child B"}
ERA = date(2012, 1, 1)
# Excel's smallest style sheet: one font, fill and border, and a second cell style showing a date.
STYLES = (
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
)


def made_up_rows(count: int) -> Iterator[list[object]]:
    """Entries a few a day over the years, some with a time, an end, an uncertain date or no action."""
    for number in range(count):
        day = ERA + timedelta(days=number * 3650 // count)
        child, adult = ("Child A", "Adult 1") if number % 3 else ("Child B", "Adult 2")
        typed: object = day if number % 10 else f"about {day:%B %Y}"
        yield [
            typed,
            "14:30" if number % 4 == 0 and number % 10 else "",
            (day + timedelta(days=2)) if number % 25 == 0 else "",
            f"REC-{number:06d}",
            ROLES[number % len(ROLES)],
            EVENTS[number % len(EVENTS)].format(child, adult) + f" (contact {number})",
            "" if number % 5 == 0 else "Follow-up booked",
            "Routine contact; no concerns" if number % 5 == 0 else "",
            ("Low", "Medium", "High", "")[number % 4],
            "Yes" if number % 50 == 0 else "No",
            f"{child}; {adult}",
        ]


def as_text(value: object) -> str:
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else str(value)


def write_csv(path: Path, count: int) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as text:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(HEADINGS)
        for row in made_up_rows(count):
            writer.writerow([as_text(value) for value in row])


def write_openpyxl_workbook(path: Path, count: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chronology")
    sheet.append(HEADINGS)
    for row in made_up_rows(count):
        sheet.append([value if value != "" else None for value in row])
    book.save(path)


def write_excel_like_workbook(path: Path, count: int) -> None:
    """A workbook as Excel lays one out: text in the shared strings table, dates as serial numbers in cells
    styled with a date format, and the sheet's dimension first."""
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        return strings.setdefault(text, len(strings))

    epoch = date(1899, 12, 30)
    rows = []
    for number, row in enumerate([HEADINGS, *made_up_rows(count)], start=1):
        cells = []
        for index, value in enumerate(row, start=1):
            reference = f"{get_column_letter(index)}{number}"
            if isinstance(value, date):
                cells.append(f'<c r="{reference}" s="1"><v>{(value - epoch).days}</v></c>')
            elif value != "":
                cells.append(f'<c r="{reference}" t="s"><v>{shared(str(value))}</v></c>')
        rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    relations = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    last = f"{get_column_letter(len(HEADINGS))}{count + 1}"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{content_type}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{content_type}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{content_type}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{content_type}.styles+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f"<workbook {main} {relations}><sheets>"
        '<sheet name="Chronology" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{office}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{office}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f"<styleSheet {main}>{STYLES}</styleSheet>",
        "xl/sharedStrings.xml": f'<sst {main} uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet {main}><dimension ref="A1:{last}"/><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rows", type=int, default=100_000)
    arguments.add_argument("--rounds", type=int, default=3)
    options = arguments.parse_args()
    context = CheckContext(today=date(2026, 3, 1), born_on=date(2011, 6, 1), people=REGISTER)
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "CSV UTF-8": (Path(folder) / "chronology.csv", write_csv),
            "XLSX as Excel saves it": (Path(folder) / "excel.xlsx", write_excel_like_workbook),
            "XLSX written by openpyxl": (Path(folder) / "openpyxl.xlsx", write_openpyxl_workbook),
        }
        print(f"{'file':<26} {'MB':>6} {'seconds':>8} {'rows/s':>9}  ({options.rows:,} entries; median)")
        for kind, (path, write) in files.items():
            write(path, options.rows)
            seconds = []
            for _ in range(options.rounds):
                started = time.perf_counter()
                result = check_whole(path, filename=path.name, context=context)
                seconds.append(time.perf_counter() - started)
                assert result.ok and result.entries == options.rows, [str(p) for p in result.problems[:5]]
            median = statistics.median(seconds)
            size = path.stat().st_size / 1024 / 1024
            print(f"{kind:<26} {size:>6.1f} {median:>8.2f} {options.rows / median:>9,.0f}")


if __name__ == "__main__":
    main()
