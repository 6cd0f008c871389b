"""Checking an agency's chronology file as it streams in: an Excel workbook (.xlsx) or a CSV file, told
apart by their content, not their name.

`check_file` yields each entry as soon as its row is read and found valid, and each `Problem` as soon as it
is found, so that a caller can stage entries in chunks and show progress; it never raises and never holds
the whole file. `check_whole` runs it to the end for the operator's command and the tests. A `Problem` is
one thing to fix; one with `warning=True` is worth a look but does not stop the upload (an approximate
date, a pre-birth entry, the same date and event twice).

What each bad file yields, in the order a file is looked at:

- no bytes: "the file is empty: ..."; over `max_bytes`: "the file is 21.3 MB; the limit is 20 MB: ...";
- an image, PDF, archive, Word document or other binary named .csv or .xlsx: "this is a PNG image, not a
  spreadsheet: ..."; an old .xls or a password-protected workbook; a .xlsx that is no zip, or a damaged one;
- a workbook that unpacks to more than 200 MB, or any part packed more than 200 times smaller than it
  unpacks (a "zip bomb"), refused before a single part is unpacked;
- merged cells: "row 5: cells A5:A7 are merged: unmerge them and fill each row";
- CSV text that is not UTF-8: "row 3: the file is not UTF-8 ...: save it as CSV UTF-8 ..." (UTF-8 with a
  byte order mark and Excel's UTF-16 "Unicode text" are read); NUL characters: that row;
- headings: one repeated, required ones missing (all named at once), one not in the template;
- more than `max_columns` columns, or more than `max_rows` entries: said once, and reading stops;
- each row: every missing required value, every value that cannot be read, a formula (in a workbook), an
  unknown significance, names not in the review's people register, text over its limit, a date in the
  future or more than 40 weeks before the child was born.
Rows are numbered as the spreadsheet numbers them: the headings are row 1, the first entry row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import re
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, Final

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from services.chronology.contract.columns import STANDARD_COLUMNS, Column, columns_for, heading_key
from services.chronology.contract.dates import DateProblem, EntryDate, day_of_cell, time_of_cell
from services.chronology.contract.entries import MAX_PEOPLE, ChronologyEntry, people_named

log = logging.getLogger(__name__)

MB: Final = 1024 * 1024
# What one upload may hold (the template's instructions say so too).
MAX_BYTES: Final = 20 * MB
MAX_ROWS: Final = 100_000
MAX_COLUMNS: Final = 64
# A workbook of 100,000 entries unpacks to some tens of MB; more than this is not a chronology.
MAX_UNPACKED: Final = 200 * MB
# Spreadsheet XML packs 5 to 20 times smaller; a part packed 200 times smaller is built to overwhelm.
MAX_PACKING_RATIO: Final = 200
MAX_PARTS: Final = 10_000
_END_RECORD_REACH: Final = 22 + 65_535  # a zip's end record and the longest comment it may carry
_HEAD_BYTES: Final = 8192
# Before birth but within a pregnancy: an entry about the unborn child (a booking appointment, a scan).
PREGNANCY: Final = timedelta(weeks=40)

_HEADINGS: Final[dict[str, str]] = {column.key: column.heading for column in STANDARD_COLUMNS}
_SAVE_AS: Final = "save the chronology as an Excel workbook (.xlsx) or as CSV UTF-8 and upload that"


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a file: where (`row` as the spreadsheet numbers it, None for the whole file;
    `column` by its template heading, or its letter when it has no heading in the template), and what to
    do, in plain words. A warning is worth a look but does not stop the upload."""

    row: int | None
    column: str | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        if self.row is not None and self.column is not None:
            return f"row {self.row}, column {self.column}: {self.message}"
        if self.row is not None:
            return f"row {self.row}: {self.message}"
        if self.column is not None:
            return f"column {self.column}: {self.message}"
        # A problem of the whole file mostly says so itself ("the file is empty: ...").
        return self.message if self.message.startswith("the file") else f"the file: {self.message}"


@dataclass(frozen=True)
class CheckContext:
    """What a check knows of the review: today (in England), the child's date of birth if the register
    has it, the people register (every accepted spelling, casefolded with single spaces, to its register
    label such as "Child A"; None to leave names unchecked, as offline), the partnership's own columns,
    and the limits. Checking stops after `max_problems` problems."""

    today: date
    born_on: date | None = None
    people: Mapping[str, str] | None = None
    extra_columns: Sequence[str] = ()
    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_problems: int = 1_000


@dataclass
class Checked:
    """The running result of a check, updated as the rows stream through: a caller may read it while it
    consumes `check_file` (for progress) and after. Warnings past `max_problems` are counted, not kept."""

    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    kind: str | None = None  # "xlsx" or "csv", once the content has told
    warnings_not_listed: int = 0

    @property
    def ok(self) -> bool:
        """No problem so far (warnings do not count)."""
        return not self.problems


@dataclass(frozen=True)
class CheckResult:
    """A whole file checked: how many valid entries, every problem and warning, the first ten entries."""

    entries: int
    problems: list[Problem]
    warnings: list[Problem]
    first: list[ChronologyEntry]
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        """The file can be taken: no problems (warnings may remain)."""
        return not self.problems


def check_file(
    path: Path, *, filename: str, context: CheckContext, checked: Checked | None = None
) -> Iterator[ChronologyEntry | Problem]:
    """Read and check an uploaded chronology file, yielding each valid entry and each problem as found.

    `filename` is the name it was uploaded with (the content decides the kind; the name only words the
    messages). `checked`, if given, is kept up to date as items are yielded. Never raises: a file that
    breaks a reader is a problem like any other."""
    checked = Checked() if checked is None else checked
    reading = _Reading(context, checked)
    items = reading.items(Path(path), filename)
    try:
        for item in items:
            if isinstance(item, ChronologyEntry):
                checked.entries += 1
            elif item.warning:
                if len(checked.warnings) >= context.max_problems:
                    checked.warnings_not_listed += 1
                    continue
                checked.warnings.append(item)
            else:
                checked.problems.append(item)
            yield item
            if len(checked.problems) >= context.max_problems:
                yield _noted(
                    checked, f"checking stopped after {context.max_problems:,} problems: fix these first"
                )
                break
    except Exception:
        # A damaged file can make any reader fail in its own way: the agency is told, the log keeps the why.
        log.warning("chronology file %r could not be read", filename, exc_info=True)
        yield _noted(checked, "the file could not be read: open it in Excel, save it again and upload that")
    finally:
        items.close()
    if checked.warnings_not_listed:
        more = Problem(
            None, None, f"{checked.warnings_not_listed:,} more warnings are not listed", warning=True
        )
        checked.warnings.append(more)
        yield more


def check_whole(path: Path, *, filename: str, context: CheckContext) -> CheckResult:
    """Check a whole file: the count of valid entries, every problem and warning, the first ten entries."""
    checked = Checked()
    first: list[ChronologyEntry] = []
    for item in check_file(path, filename=filename, context=context, checked=checked):
        if isinstance(item, ChronologyEntry) and len(first) < 10:
            first.append(item)
    return CheckResult(checked.entries, checked.problems, checked.warnings, first, checked.rows_read)


def check_entry(entry: ChronologyEntry, context: CheckContext) -> list[Problem]:
    """What the review's own facts say of one entry, from a file or from the bus: a date in the future,
    before the child was born (an error beyond 40 weeks, a warning within), an approximate date (a
    warning), people not in the register (when `context.people` is given)."""
    return _EntryCheck(context).problems(entry)


def _noted(checked: Checked, message: str) -> Problem:
    problem = Problem(None, None, message)
    checked.problems.append(problem)
    return problem


# -- the review's facts -------------------------------------------------------------------------------------


class _EntryCheck:
    """`check_entry`'s rules, with the register prepared once for a whole file."""

    def __init__(self, context: CheckContext) -> None:
        self.today = context.today
        self.born_on = context.born_on
        self.earliest = context.born_on - PREGNANCY if context.born_on is not None else None
        self.people: dict[str, str] | None = None
        if context.people is not None:
            # A register label ("Child A") is always one of its own spellings.
            spellings = [*((label, label) for label in context.people.values()), *context.people.items()]
            self.people = {" ".join(spelling.split()).casefold(): label for spelling, label in spellings}
        self.example = next(iter(context.people.values()), None) if context.people else None

    def problems(self, entry: ChronologyEntry) -> list[Problem]:
        found: list[Problem] = []
        occurred, row = entry.occurred, entry.row
        if occurred.starts_on > self.today:
            found.append(
                Problem(row, _HEADINGS["occurred"], f"{occurred.typed} is in the future: check the date")
            )
        elif self.earliest is not None and occurred.ends_on < self.earliest:
            found.append(
                Problem(
                    row,
                    _HEADINGS["occurred"],
                    f"{occurred.typed} is before the child was born: check the year",
                )
            )
        elif self.born_on is not None and occurred.ends_on < self.born_on:
            found.append(
                Problem(
                    row,
                    _HEADINGS["occurred"],
                    f"{occurred.typed} is before the child was born (pre-birth): check it is right",
                    warning=True,
                )
            )
        if entry.ended is not None and entry.ended.starts_on > self.today:
            found.append(
                Problem(
                    row,
                    _HEADINGS["ended"],
                    f"{entry.ended.typed} is in the future: leave the end date empty if it has not ended",
                )
            )
        if occurred.approximate:
            found.append(
                Problem(
                    row,
                    _HEADINGS["occurred"],
                    f"{occurred.typed} is approximate: the merged chronology places it {_placed(occurred)}",
                    warning=True,
                )
            )
        return found + self.unknown_people(row, entry.people)

    def unknown_people(self, row: int | None, names: Any) -> list[Problem]:
        """The names not in the register, as one problem (none if names are not checked here)."""
        if self.people is None or not isinstance(names, list):
            return []
        unknown = [
            name
            for name in names
            if isinstance(name, str) and " ".join(name.split()).casefold() not in self.people
        ]
        return [Problem(row, _HEADINGS["people"], self._not_in_register(unknown))] if unknown else []

    def _not_in_register(self, names: list[str]) -> str:
        listed = _listed(names)
        verb = "is" if len(names) == 1 else "are"
        if self.example is None:
            return (
                f"{listed} {verb} not in the review's people register, which is empty: ask the business "
                "manager to add the people first"
            )
        use = "a register name" if len(names) == 1 else "register names"
        return f"{listed} {verb} not in the review's people register: use {use}, e.g. {self.example}"


def _placed(entry_date: EntryDate) -> str:
    if entry_date.precision == "day":
        return f"on {entry_date.starts_on:%d/%m/%Y}"
    if entry_date.precision == "month":
        return f"at the start of {entry_date.starts_on:%B %Y}"
    return f"at the start of {entry_date.starts_on.year}"


def _listed(words: Sequence[str]) -> str:
    """Words as a sentence lists them: "A", "A and B", "A, B and C"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# -- telling what a file is ---------------------------------------------------------------------------------

_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
)
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP: Final = (b"PK\x03\x04", b"PK\x05\x06")
# Bytes that text holds; what is left of a block without them is control characters.
_TEXT_BYTES: Final = bytes(range(32, 256)) + b"\t\n\r\f"
_WORKBOOK_NAMES: Final = (".xlsx", ".xlsm", ".xltx", ".xltm")


def _not_a_spreadsheet(what: str) -> str:
    return f"this is {what}, not a spreadsheet: {_SAVE_AS}"


def _kind_of(head: bytes, filename: str) -> tuple[str, str] | str:
    """("xlsx", "") or ("csv", its encoding) from the first block of a file; or why it is neither."""
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return _not_a_spreadsheet(what)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _not_a_spreadsheet("a WebP image")
    if head.startswith(_OLE2):
        return (
            "this is an Excel 97-2003 workbook (.xls) or a password-protected file: remove any password and "
            "save it as an Excel workbook (.xlsx), or as CSV UTF-8"
        )
    if head.startswith(_ZIP):
        return ("xlsx", "")
    if head.startswith(codecs.BOM_UTF8):
        return ("csv", "utf-8-sig")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("csv", "utf-16")
    start = head.lstrip()[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return _not_a_spreadsheet("a web page (HTML)")
    if start.startswith(b"<?xml"):
        return _not_a_spreadsheet("an XML file")
    if b"\x00" in head:
        utf16 = _utf16_without_mark(head)
        if utf16:
            return ("csv", utf16)
        # A stray NUL in text is that row's problem; a block of binary is the whole file's.
        if not _reads_as_utf8(head) or len(head.translate(None, _TEXT_BYTES)) > len(head) // 10:
            return _not_a_spreadsheet("a binary file")
    if filename.lower().endswith(_WORKBOOK_NAMES):
        return (
            f"{filename} is named as an Excel workbook but is not one (it holds plain text): open it in "
            "Excel and save it as an Excel workbook (.xlsx)"
        )
    return ("csv", "utf-8")


def _utf16_without_mark(head: bytes) -> str | None:
    sample = head[:512]
    half = len(sample) // 2
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if half and odd > half * 0.4 and even < half * 0.05:
        return "utf-16-le"
    if half and even > half * 0.4 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _reads_as_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The block may end inside a character.
        return error.reason == "unexpected end of data" and error.start >= len(head) - 3
    return True


# -- reading a file's rows ----------------------------------------------------------------------------------

Row = tuple[int, Sequence[Any]]


@dataclass(frozen=True)
class _Fatal:
    """A problem after which nothing more of the file can be read."""

    problem: Problem


class _NotUtf8(Exception):
    def __init__(self, line: bytes, at: int) -> None:
        super().__init__(at)
        self.line, self.at = line, at


class _TextLines:
    """A CSV file's lines, decoded one at a time so that a byte that is not UTF-8 is found on its row, and
    a NUL is noted against the record being read (`record`, set by the reader's caller)."""

    def __init__(self, binary: IO[bytes], encoding: str) -> None:
        self.record = 1
        self.nul_records: set[int] = set()
        self._utf8 = encoding in ("utf-8", "utf-8-sig")
        if self._utf8:
            if encoding == "utf-8-sig":
                binary.read(len(codecs.BOM_UTF8))  # the mark Excel writes is not part of the first heading
            self._lines: Iterator[Any] = iter(binary)
        else:
            self._lines = iter(io.TextIOWrapper(binary, encoding=encoding, newline=""))

    def __iter__(self) -> _TextLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if self._utf8:
            if b"\x00" in line:
                self.nul_records.add(self.record)
            try:
                return line.decode("utf-8")  # type: ignore[no-any-return]
            except UnicodeDecodeError as error:
                raise _NotUtf8(line, error.start) from None
        if "\x00" in line:
            self.nul_records.add(self.record)
        return line  # type: ignore[no-any-return]


def _delimiter_of(heading_line: str) -> str:
    # Excel writes commas, or semicolons where the comma is the decimal mark; "Unicode text" uses tabs.
    counts = {delimiter: heading_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _text_rows(path: Path, encoding: str) -> Iterator[Row | Problem | _Fatal]:
    with path.open("rb") as binary:
        lines = _TextLines(binary, encoding)
        number = 0
        try:
            first = next(lines, "")
            if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
                # Excel's own hint line names the delimiter and is not a row of the sheet it shows.
                delimiter, first = first.strip()[4], next(lines, "")
            else:
                delimiter = _delimiter_of(first)
            reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
            for cells in reader:
                number += 1
                lines.record = number + 1
                if number in lines.nul_records:
                    nul = Problem(
                        number,
                        None,
                        "contains NUL characters, which text never holds: retype the row, or save the file "
                        "again as CSV UTF-8",
                    )
                    if number == 1:
                        yield _Fatal(nul)
                        return
                    yield nul
                    cells = []
                yield number, cells
        except _NotUtf8 as bad:
            yield _Fatal(Problem(number + 1, None, _not_utf8(bad)))
        except UnicodeDecodeError:
            unreadable = f"the text at or near this row cannot be read as {encoding}: save it as CSV UTF-8"
            yield _Fatal(Problem(number + 1, None, unreadable))
        except csv.Error as error:
            yield _Fatal(Problem(number + 1, None, _csv_error(str(error))))


def _not_utf8(bad: _NotUtf8) -> str:
    # Shown as Windows would show it, which is most likely how it was saved.
    near = bad.line[max(0, bad.at - 20) : bad.at + 20].decode("cp1252", errors="replace")
    near = " ".join(near.split())
    return (
        f'the file is not UTF-8 (the text near "{near}" is in another encoding): in Excel, save it as CSV '
        "UTF-8 (Comma delimited) and upload it again"
    )


def _csv_error(error: str) -> str:
    if "field larger than field limit" in error:
        return (
            f'a cell is longer than {csv.field_size_limit():,} characters, perhaps from a quote mark (") '
            "that is never closed: check the quote marks in this row"
        )
    if "new-line character" in error:
        return "the line endings cannot be read: open the file in Excel and save it again as CSV UTF-8"
    return f"this row cannot be read as CSV ({error}): open the file in Excel and save it again as CSV UTF-8"


def _declared_parts(path: Path) -> int | None:
    """How many parts a zip's end record says it holds, read before its directory is: a directory of
    hundreds of thousands of tiny parts would fill memory as it was read. None if there is no end record."""
    with path.open("rb") as binary:
        size = binary.seek(0, io.SEEK_END)
        binary.seek(max(0, size - _END_RECORD_REACH))
        tail = binary.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 12 > len(tail):
        return None
    return int.from_bytes(tail[end + 10 : end + 12], "little")  # 0xFFFF: more, counted in a zip64 record


def _too_many_parts(count: int) -> str:
    return f"the workbook has {count:,} parts or more, where a spreadsheet has a few dozen: it is not opened"


def _unpacking_problem(parts: list[zipfile.ZipInfo]) -> str | None:
    """Why a workbook is refused before anything in it is unpacked: the sizes its zip declares (which
    unpacking then holds it to: a part that unpacks to more fails its check)."""
    if len(parts) > MAX_PARTS:
        return _too_many_parts(len(parts))
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED:
        return (
            f"the workbook unpacks to {unpacked / MB:,.0f} MB; the limit is {MAX_UNPACKED // MB} MB: save it "
            "as CSV UTF-8, or split it"
        )
    for part in parts:
        # A part too small to matter may pack well by chance.
        if part.file_size > 4096 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1):
            ratio = part.file_size / max(part.compress_size, 1)
            return (
                f"the workbook's part {part.filename} unpacks to {ratio:,.0f} times its packed size, which "
                "no spreadsheet does (it may be a zip bomb): it is not opened"
            )
    return None


def _zip_kind_problem(names: set[str]) -> str | None:
    if "xl/workbook.xml" in names:
        return None
    if "xl/workbook.bin" in names:
        return (
            "this is an Excel binary workbook (.xlsb): save it as an Excel workbook (.xlsx), or as CSV UTF-8"
        )
    if "word/document.xml" in names:
        return _not_a_spreadsheet("a Word document")
    if any(name.startswith("ppt/") for name in names):
        return _not_a_spreadsheet("a PowerPoint presentation")
    if "mimetype" in names and "content.xml" in names:
        return (
            "this is an OpenDocument file: save it as an Excel workbook (.xlsx), or as CSV UTF-8, and upload "
            "that"
        )
    if "[Content_Types].xml" in names:
        return None  # an Office package with its workbook elsewhere: the workbook reader finds it
    return _not_a_spreadsheet("a zip archive")


_MERGE = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']"  # <mergeCell ref=", any namespace prefix
    rb"([A-Za-z]{1,3}[0-9]+(?::[A-Za-z]{1,3}[0-9]+)?)"
)
_CELL_REFERENCE = re.compile(r"([A-Za-z]+)([0-9]+)")
_OVERLAP: Final = 512  # longer than any mergeCell element


def _merged_ranges(archive: zipfile.ZipFile, part: str, *, block_size: int = MB) -> Iterator[str]:
    """The merged ranges of a sheet (A5:A7), found by scanning its XML as it unpacks, a block at a time.

    The read-only workbook reader does not report merges. A byte scan finds them without building the
    sheet's elements (a tree, or a Python call per cell, costs seconds on 100,000 rows); "<" cannot occur
    in cell text unescaped, so only elements match. Each block is scanned with the end of the one before,
    and a match is taken only if it starts before that overlap, so none is missed or taken twice."""
    tail = b""
    with archive.open(part) as sheet_xml:
        while True:
            block = sheet_xml.read(block_size)
            text = tail + block
            cut = len(text) - _OVERLAP if block else len(text)
            for found in _MERGE.finditer(text):
                if found.start() < cut:
                    yield found.group(1).decode("ascii").upper()
            if not block:
                return
            tail = text[max(cut, 0) :]


def _merge_problem(cells: str) -> Problem:
    first = _CELL_REFERENCE.match(cells)
    row = int(first.group(2)) if first else None
    return Problem(row, None, f"cells {cells} are merged: unmerge them and fill each row")


def _workbook_rows(path: Path, filename: str) -> Iterator[Row | Problem | _Fatal]:
    declared = _declared_parts(path)
    if declared is not None and declared > MAX_PARTS:
        yield _Fatal(Problem(None, None, _too_many_parts(declared)))
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        yield _Fatal(Problem(None, None, _damaged(filename)))
        return
    with archive:
        problem = _unpacking_problem(archive.infolist()) or _zip_kind_problem(set(archive.namelist()))
        if problem:
            yield _Fatal(Problem(None, None, problem))
            return
        with path.open("rb") as binary:
            try:
                with warnings.catch_warnings():
                    # Its notes on features it leaves out (data validation, conditional formats) are not ours.
                    warnings.simplefilter("ignore")
                    workbook = load_workbook(binary, read_only=True, data_only=False)
            except Exception:  # a damaged workbook fails inside the reader in many ways
                log.info("workbook %r could not be opened", filename, exc_info=True)
                yield _Fatal(Problem(None, None, _damaged(filename)))
                return
            try:
                sheets = list(workbook.worksheets)
                if not sheets:
                    no_sheet = "the workbook has no sheet of entries: use the template's Chronology sheet"
                    yield _Fatal(Problem(None, None, no_sheet))
                    return
                named = [sheet for sheet in sheets if heading_key(sheet.title) == "chronology"]
                sheet = named[0] if named else sheets[0]
                part = getattr(sheet, "_worksheet_path", None)
                if part:
                    for cells in _merged_ranges(archive, part.lstrip("/")):
                        yield _merge_problem(cells)
                # The sheet's declared size can be XFD1048576 (one stray formatted cell); the reader would
                # pad every row to it. Without it, a row is as wide as its last cell.
                sheet.reset_dimensions()
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, cells
            finally:
                workbook.close()


def _damaged(filename: str) -> str:
    return (
        f"{filename or 'the file'} is not a workbook that can be read (it is damaged, or not really an Excel "
        "file): open it in Excel, save it as an Excel workbook (.xlsx) and upload that"
    )


# -- checking rows ------------------------------------------------------------------------------------------


def _has_value(value: Any) -> bool:
    """Whether a cell holds anything: spaces alone are nothing."""
    return value is not None and (value.__class__ is not str or bool(value.strip()))


def _is_empty(cells: Sequence[Any]) -> bool:
    # _has_value, inline: this runs on every row.
    return not any(value is not None and (value.__class__ is not str or value.strip()) for value in cells)


def _width(cells: Sequence[Any]) -> int:
    """How many columns a row uses: up to its last cell with something in it."""
    for index in range(len(cells) - 1, -1, -1):
        if _has_value(cells[index]):
            return index + 1
    return 0


def _letter(index: int) -> str:
    return get_column_letter(index + 1)


def _text_of(value: Any) -> str:
    """A cell's value as the text a person sees in it."""
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}" if value.time() != time(0) else f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


def _is_formula(value: Any) -> bool:
    # Read with formulas kept, a formula cell is its formula ("=A2+1"); an array formula is an object.
    if value.__class__ is str:
        return value.startswith("=")  # type: ignore[no-any-return]
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


@dataclass(frozen=True)
class _Layout:
    """Where the template's columns are in a file, read from its headings (the first of a repeated one)."""

    width: int  # up to the last heading
    blank: tuple[int, ...]  # columns with no heading before the last heading
    text_at: tuple[tuple[int, str], ...]  # (column index, entry field) of the fields read as text
    extra_at: tuple[tuple[int, str], ...]  # (column index, heading) of the partnership's columns
    occurred_at: int | None
    ended_at: int | None
    time_at: int | None
    episode_at: int | None
    heading_at: dict[int, str]  # column index -> template heading
    heading_of: dict[str, str]  # entry field -> template heading


# Fields read by their own rules (real dates and times, true and false) rather than as text.
_CONVERTED: Final = frozenset({"occurred", "ended", "time", "key_practice_episode"})


def _read_headings(
    cells: Sequence[Any], columns: list[Column], max_columns: int
) -> tuple[_Layout | None, list[Problem]]:
    """The layout of a file from its row 1, and what is wrong with the headings; no layout when nothing
    below row 1 can be read as the template's."""
    width = _width(cells)
    if width > max_columns:
        problem = (
            f"the file has {width:,} columns; the limit is {max_columns}: delete the columns after the last "
            "heading"
        )
        return None, [Problem(1, None, problem)]
    by_key = {heading_key(column.heading): column for column in columns}
    places: dict[str, list[int]] = {}
    unknown: list[str] = []
    blank: list[int] = []
    for index in range(width):
        value = cells[index]
        text = "" if value is None else " ".join(_text_of(value).split())
        if not text:
            blank.append(index)
        elif heading_key(text) in by_key:
            places.setdefault(by_key[heading_key(text)].key, []).append(index)
        else:
            unknown.append(text)
    if not places:
        template = ", ".join(column.heading for column in columns[:6])
        problem = (
            f"none of the template's column headings ({template}, ...) is here: put them in this row, as in "
            "the template"
        )
        return None, [Problem(1, None, problem)]
    problems = []
    for column in columns:
        found = places.get(column.key, [])
        if len(found) > 1:
            times = "twice" if len(found) == 2 else f"{len(found)} times"
            letters = _listed([_letter(index) for index in found])
            problems.append(
                Problem(1, None, f"the column heading {column.heading} appears {times}, in columns {letters}")
            )
    problems += [
        Problem(
            1,
            None,
            f"column {text} is not in the template: remove it, or ask the business manager to add it as a "
            "partnership column",
        )
        for text in unknown
    ]
    missing = [column.heading for column in columns if column.required and column.key not in places]
    if missing:
        which = (
            f"the column {missing[0]}: add it"
            if len(missing) == 1
            else f"the columns {_listed(missing)}: add them"
        )
        problems.append(Problem(1, None, f"the file is missing {which}, headed as in the template"))
        return None, problems
    at = {key: found[0] for key, found in places.items()}
    present = [column for column in columns if column.key in at]
    layout = _Layout(
        width=width,
        blank=tuple(blank),
        text_at=tuple(
            (at[column.key], column.key)
            for column in present
            if not column.partnership and column.key not in _CONVERTED
        ),
        extra_at=tuple((at[column.key], column.heading) for column in present if column.partnership),
        occurred_at=at.get("occurred"),
        ended_at=at.get("ended"),
        time_at=at.get("time"),
        episode_at=at.get("key_practice_episode"),
        heading_at={at[column.key]: column.heading for column in present},
        heading_of={column.key: column.heading for column in present},
    )
    return layout, problems


class _Reading:
    """One file being checked: its layout, what has been seen so far, and the rules prepared once."""

    def __init__(self, context: CheckContext, checked: Checked) -> None:
        self.context = context
        self.checked = checked
        self.entry_check = _EntryCheck(context)
        self.validation_context = {"today": context.today}
        self.formulas = False  # only a workbook has formulas; "=" starting a CSV cell is text
        self.allowed: dict[str, tuple[str, ...]] = {}
        self.seen: dict[int, int] = {}  # hash of (date, time, event) -> the first row with them
        self.unheaded_said: set[int] = set()

    def items(self, path: Path, filename: str) -> Generator[ChronologyEntry | Problem, None, None]:
        """Everything `check_file` yields, but for a reader's failure, which it turns into a problem."""
        context = self.context
        try:
            size = path.stat().st_size
        except OSError:
            yield Problem(None, None, "the file could not be opened: upload it again")
            return
        if size == 0:
            yield Problem(
                None, None, "the file is empty: fill in the template's Chronology sheet and upload that"
            )
            return
        if size > context.max_bytes:
            yield Problem(
                None,
                None,
                f"the file is {size / MB:.1f} MB; the limit is {context.max_bytes / MB:g} MB: split it into "
                "files by date, or save it as CSV UTF-8, which is smaller",
            )
            return
        try:
            columns = columns_for(context.extra_columns)
        except ValueError as wrong:
            yield Problem(
                None, None, f"the review's partnership columns are wrong ({wrong}): tell the business manager"
            )
            return
        self.allowed = {column.key: column.allowed for column in columns if column.allowed}
        with path.open("rb") as binary:
            head = binary.read(_HEAD_BYTES)
        kind = _kind_of(head, filename)
        if isinstance(kind, str):
            yield Problem(None, None, kind)
            return
        self.checked.kind, encoding = kind
        self.formulas = self.checked.kind == "xlsx"
        rows = _workbook_rows(path, filename) if self.formulas else _text_rows(path, encoding)
        yield from self._check_rows(rows, columns)

    def _check_rows(
        self, rows: Iterable[Row | Problem | _Fatal], columns: list[Column]
    ) -> Iterator[ChronologyEntry | Problem]:
        context, checked = self.context, self.checked
        layout: _Layout | None = None
        entry_rows = 0
        for item in rows:
            if isinstance(item, Problem):
                yield item
                continue
            if isinstance(item, _Fatal):
                yield item.problem
                return
            number, cells = item
            checked.rows_read = number
            if layout is None:
                if _is_empty(cells):
                    continue  # look on: a later row with something in it says what is wrong
                if number > 1:
                    yield Problem(
                        1, None, "this row is empty: put the column headings here, as in the template"
                    )
                    return
                layout, problems = _read_headings(cells, columns, context.max_columns)
                yield from problems
                if layout is None:
                    return
                continue
            if len(cells) > context.max_columns and _width(cells) > context.max_columns:
                yield Problem(
                    number,
                    None,
                    f"this row has a value in column {_letter(_width(cells) - 1)}; a file can have up to "
                    f"{context.max_columns} columns: delete the columns after the last heading",
                )
                return
            if _is_empty(cells):
                continue  # Excel leaves empty rows behind; they mean nothing
            entry_rows += 1
            if entry_rows > context.max_rows:
                yield Problem(
                    None,
                    None,
                    f"the file has more than {context.max_rows:,} entries: split it into files of up to "
                    f"{context.max_rows:,} entries (by date) and upload each",
                )
                return
            yield from self._check_row(number, cells, layout)
        if layout is None:
            yield Problem(None, None, "the file is empty: it has no column headings and no entries")
        elif entry_rows == 0:
            yield Problem(None, None, "the file has column headings but no entries")

    def _check_row(
        self, number: int, cells: Sequence[Any], layout: _Layout
    ) -> list[ChronologyEntry | Problem]:
        found: list[ChronologyEntry | Problem] = []
        length = len(cells)
        if length > layout.width or layout.blank:
            found += self._unheaded_values(number, cells, layout)
        if self.formulas:
            formulas = [
                index for index in range(length) if cells[index] is not None and _is_formula(cells[index])
            ]
            if formulas:
                # A formula's value is not in the file as read; the rest of the row waits for the values.
                return found + [
                    Problem(
                        number,
                        layout.heading_at.get(index, _letter(index)),
                        "contains a formula; paste the values instead",
                    )
                    for index in formulas
                ]
        values: dict[str, Any] = {"row": number}
        for index, key in layout.text_at:
            if index < length and cells[index] is not None:
                text = _text_of(cells[index])
                if text.strip():
                    values[key] = text
        unreadable = self._dates_and_times(number, cells, layout, values, found)
        if (
            layout.episode_at is not None
            and layout.episode_at < length
            and cells[layout.episode_at] is not None
        ):
            value = cells[layout.episode_at]
            if isinstance(value, bool) or _text_of(value).strip():
                values["key_practice_episode"] = value if isinstance(value, bool) else _text_of(value)
        if layout.extra_at:
            extra = {
                heading: _text_of(cells[index])
                for index, heading in layout.extra_at
                if index < length and cells[index] is not None and _text_of(cells[index]).strip()
            }
            if extra:
                values["extra"] = extra
        try:
            entry = ChronologyEntry.model_validate(values, context=self.validation_context)
        except ValidationError as refused:
            found += self._refusals(number, refused, layout, values, unreadable)
            # The names are checked against the register too, so that one upload lists all of the row's
            # problems: a row refused for its date would otherwise come back a second time for its names.
            if not any(error["loc"][:1] == ("people",) for error in refused.errors()):
                found += self.entry_check.unknown_people(number, people_named(values.get("people")))
            return found
        if unreadable:
            return found + self.entry_check.unknown_people(number, entry.people)
        said = self.entry_check.problems(entry)
        found += said
        if all(problem.warning for problem in said):
            found.append(entry)
        twice = self._seen_before(entry)
        if twice is not None:
            found.append(
                Problem(
                    number,
                    None,
                    f"the same date and event as row {twice}: check it is not entered twice",
                    warning=True,
                )
            )
        return found

    def _dates_and_times(
        self, number: int, cells: Sequence[Any], layout: _Layout, values: dict[str, Any], found: list[Any]
    ) -> set[str]:
        """The date, end date and time into `values`, from text or from cells Excel holds as real dates and
        times; the fields whose cells cannot be read (each said in `found`)."""
        unreadable: set[str] = set()
        length = len(cells)
        for key, index in (
            ("occurred", layout.occurred_at),
            ("ended", layout.ended_at),
            ("time", layout.time_at),
        ):
            if index is None or index >= length or cells[index] is None:
                continue
            value = cells[index]
            try:
                if value.__class__ is str:
                    if value.strip():
                        values[key] = value
                elif key == "time":
                    values[key] = _time_cell(value)
                elif isinstance(value, date):
                    entry_date, at = day_of_cell(value)
                    values[key] = entry_date
                    if key == "occurred" and at is not None and not _filled(cells, layout.time_at):
                        values["time"] = at
                elif isinstance(value, time):
                    raise DateProblem(f"{value:%H:%M} is a time, not a date: put it in the Time column")
                else:
                    values[key] = _text_of(value)  # a year typed in a General cell is the number 2016
            except DateProblem as problem:
                found.append(Problem(number, layout.heading_of[key], str(problem)))
                unreadable.add(key)
        return unreadable

    def _unheaded_values(self, number: int, cells: Sequence[Any], layout: _Layout) -> list[Problem]:
        problems = []
        for index in itertools.chain(layout.blank, range(layout.width, len(cells))):
            if index in self.unheaded_said or not _filled(cells, index):
                continue
            self.unheaded_said.add(index)  # said once for the column, at the first row with a value in it
            problems.append(
                Problem(
                    number,
                    _letter(index),
                    "has a value, but the column has no heading: give it a heading from the template, or "
                    "delete the column",
                )
            )
        return problems

    def _refusals(
        self,
        number: int,
        refused: ValidationError,
        layout: _Layout,
        values: dict[str, Any],
        unreadable: set[str],
    ) -> list[Problem]:
        problems = []
        for error in refused.errors(include_url=False):
            location = error["loc"]
            key = str(location[0]) if location else ""
            if key in unreadable:
                continue  # why the cell cannot be read is said already
            if error["type"] in ("action_or_reason", "action_and_reason"):
                problems.append(Problem(number, None, error["msg"]))
                continue
            column = (
                str(location[1]) if key == "extra" and len(location) > 1 else layout.heading_of.get(key, key)
            )
            problems.append(Problem(number, column, self._plain_words(error, key, column, values.get(key))))
        return problems

    def _plain_words(self, error: Any, key: str, column: str, typed: Any) -> str:
        kind, limits = error["type"], error.get("ctx") or {}
        if kind in ("missing", "string_too_short"):
            return f"give the {column.lower()}"
        if kind == "string_too_long":
            given = error.get("input")
            what = "a name" if key == "people" else "the text"
            length = len(given) if isinstance(given, str) else 0
            limit = limits.get("max_length", 0)
            return f"{what} is {length:,} characters long; the limit for {column} is {limit:,}: shorten it"
        if kind == "too_long" and key == "people":
            return f"names more than {MAX_PEOPLE} people; the limit is {MAX_PEOPLE}: name the people involved"
        if (kind == "literal_error" or kind.startswith("bool_")) and self.allowed.get(key):
            allowed = " or ".join([", ".join(self.allowed[key][:-1]), self.allowed[key][-1]])
            return f"{typed} cannot be used here: use {allowed}, or leave it empty"
        return str(error["msg"])

    def _seen_before(self, entry: ChronologyEntry) -> int | None:
        """The row that had the same date, time and event first, if not this one. Only a hash of each is kept:
        a collision of 64-bit hashes among 100,000 entries would cost a needless warning, no more."""
        occurred = entry.occurred
        event = " ".join(entry.event.split()).casefold()
        key = hash((occurred.starts_on, occurred.ends_on, occurred.precision, entry.time, event))
        first = self.seen.setdefault(key, entry.row or 0)
        return first if first != entry.row else None


def _filled(cells: Sequence[Any], index: int | None) -> bool:
    return index is not None and index < len(cells) and _has_value(cells[index])


def _time_cell(value: Any) -> Any:
    if isinstance(value, time | datetime | timedelta):
        return time_of_cell(value)
    if isinstance(value, float) and 0 <= value < 1:
        # A time typed into a General cell is Excel's fraction of a day.
        seconds = round(value * 86400)
        return time(seconds // 3600 % 24, seconds % 3600 // 60, seconds % 60)
    return _text_of(value)
