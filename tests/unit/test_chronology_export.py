"""The merged chronology as a file (gateway/chronology_export.py): the columns and the title block, pseudonyms
only, every spreadsheet cell that would run as a formula neutralised (CSV and workbook), a PDF whatever the
text, and a chronology of any length written as it streams, never held whole."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import uuid
import weakref
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Any

import pytest
from openpyxl import load_workbook

from gateway.chronology_export import (
    PSEUDONYMISED,
    ChronologyExport,
    download_headers,
    every_entry,
    filters_in_words,
    neutralised,
    pdf_text,
    write_csv,
    write_pdf,
    write_xlsx,
)
from gateway.routes.chronology import chronology_query
from services.chronology.contract import MAX_PAGE, ChronologyPage, ChronologyQuery, EntryView

POLICE = uuid.uuid4()
EXPORTED_AT = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
HEADINGS = [
    "Date",
    "Agency",
    "Source",
    "Practitioner role",
    "Event",
    "Action or decision",
    "Significance",
    "Key practice episode",
    "People",
]
DANGEROUS_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def entry(**changes: Any) -> EntryView:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "agency_id": POLICE,
        "agency_name": "Northbridge Police",
        "source": "Northbridge Police: PNC/1",
        "row": 2,
        "date_typed": "12/03/2024",
        "starts_on": date(2024, 3, 12),
        "ends_on": date(2024, 3, 12),
        "precision": "day",
        "approximate": False,
        "time": None,
        "ended_typed": None,
        "practitioner_role": "Response officer",
        "event": "Attended a call to the home; Child A present",
        "action": "Crime report",
        "no_action_reason": None,
        "significance": "medium",
        "agency_suggests_episode": False,
        "episode": False,
        "people": ["Child A"],
        "extra": {},
        "names_shown": False,
    }
    return EntryView(**{**values, **changes})


def export(**changes: Any) -> ChronologyExport:
    values: dict[str, Any] = {
        "review_title": "NB-2026-014 infant, serious harm",
        "filters": (),
        "exported_at": EXPORTED_AT,
        "extra_columns": (),
    }
    return ChronologyExport(**{**values, **changes})


def csv_of(entries: list[EntryView], **changes: Any) -> bytes:
    out = io.BytesIO()
    write_csv(export(**changes), iter(entries), out)
    return out.getvalue()


def csv_rows(entries: list[EntryView], **changes: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_of(entries, **changes).decode("utf-8-sig"), newline="")))


def xlsx_of(entries: list[EntryView], **changes: Any) -> bytes:
    out = io.BytesIO()
    write_xlsx(export(**changes), iter(entries), out)
    return out.getvalue()


def xlsx_rows(body: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(body))
    return [list(row) for row in workbook["Chronology"].iter_rows(values_only=True)]


def pdf_of(entries: list[EntryView], **changes: Any) -> bytes:
    out = io.BytesIO()
    write_pdf(export(**changes), iter(entries), out)
    return out.getvalue()


# -- the title block and the columns -----------------------------------------------------------------------


def test_the_csv_is_utf8_with_a_byte_order_mark_and_opens_with_the_title_block():
    body = csv_of([entry()], filters=("Significance: High",))
    assert body.startswith(b"\xef\xbb\xbf"), "Excel reads a CSV as UTF-8 only with the byte order mark"
    rows = csv_rows([entry()], filters=("Significance: High",))
    assert rows[:5] == [
        ["Chronology of NB-2026-014 infant, serious harm"],
        ["Entries: Significance: High"],
        ["Exported 20 November 2026 at 10:05"],
        [PSEUDONYMISED],
        [],
    ]
    assert rows[5] == HEADINGS


def test_a_whole_chronology_says_it_has_no_filters():
    assert csv_rows([])[1] == ["Entries: all (no filters)"]


def test_the_columns_are_the_standard_ones_then_the_partnerships_own():
    entries = [
        entry(
            date_typed="12/03/2024",
            time=clock(14, 30),
            ended_typed="15/03/2024",
            significance="high",
            agency_suggests_episode=True,
            people=["Child A", "Mother"],
            extra={"Ethnicity": "White British", "Outcome": "Closed"},
        ),
        entry(
            source="Northbridge Police: PNC/2",
            date_typed="about 2024",
            action=None,
            no_action_reason="Mother not at home",
            significance=None,
            people=[],
            extra={},
        ),
    ]
    rows = csv_rows(entries, extra_columns=("Ethnicity", "Outcome"))
    assert rows[5] == [*HEADINGS, "Ethnicity", "Outcome"]
    assert rows[6] == [
        "12/03/2024 14:30 to 15/03/2024",
        "Northbridge Police",
        "Northbridge Police: PNC/1",
        "Response officer",
        "Attended a call to the home; Child A present",
        "Crime report",
        "High",
        "Yes",
        "Child A; Mother",
        "White British",
        "Closed",
    ]
    assert rows[7] == [
        "about 2024",
        "Northbridge Police",
        "Northbridge Police: PNC/2",
        "Response officer",
        "Attended a call to the home; Child A present",
        "No action: Mother not at home",
        "",
        "",
        "",
        "",
        "",
    ]


def test_the_workbook_has_the_same_title_block_columns_and_cells_as_the_csv():
    entries = [entry(time=clock(9, 0), extra={"Outcome": "Closed"})]
    rows = xlsx_rows(xlsx_of(entries, extra_columns=("Outcome",)))
    as_csv = csv_rows(entries, extra_columns=("Outcome",))
    assert [[cell or "" for cell in row if cell is not None] for row in rows] == [
        [cell for cell in row if cell] for row in as_csv
    ]
    assert rows[5] == [*HEADINGS, "Outcome"]


def test_filters_are_said_in_words_with_the_agencys_name_and_the_persons_pseudonym():
    child = uuid.uuid4()
    query = ChronologyQuery(
        agency_id=POLICE,
        from_on=date(2024, 5, 1),
        to_on=date(2024, 5, 31),
        episodes_only=True,
        person_id=child,
        significance="high",
        text="intelligence",
    )
    assert filters_in_words(query, {POLICE: "Northbridge Police"}, {child: "Child A"}) == (
        'Words: "intelligence"',
        "Agency: Northbridge Police",
        "Person: Child A",
        "From 1 May 2024",
        "To 31 May 2024",
        "Significance: High",
        "Key practice episodes only",
    )
    assert filters_in_words(ChronologyQuery(), {}, {}) == ()


def test_the_export_reads_the_pages_filters_but_starts_at_the_beginning():
    params = {
        "agency": str(POLICE),
        "from": "2024-05-01",
        "to": "not a date",
        "episodes": "1",
        "significance": "critical",
        "q": "intelligence",
        "after": "cursor-of-page-3",
        "view": "timeline",
    }
    page = chronology_query(params, show_names=True)
    exported = chronology_query(params, limit=MAX_PAGE, paged=False)
    assert page.after == "cursor-of-page-3" and page.limit == 50 and page.show_names
    assert exported.after is None and exported.limit == MAX_PAGE and not exported.show_names
    assert exported.model_dump(exclude={"after", "limit", "show_names"}) == page.model_dump(
        exclude={"after", "limit", "show_names"}
    )
    assert (exported.agency_id, exported.from_on, exported.to_on) == (POLICE, date(2024, 5, 1), None)
    assert exported.significance is None, "a significance that is not one is no filter"


def _page(entries: list[EntryView], next_after: str | None) -> ChronologyPage:
    return ChronologyPage(
        entries=entries,
        next_after=next_after,
        matching=5,
        total=9,
        names_shown=False,
        may_show_names=False,
        agencies=[(POLICE, "Northbridge Police")],
    )


def test_every_entry_follows_the_cursor_to_the_last_page_asking_for_each_page_only_when_needed():
    first, second, third = ([entry(source=f"PNC/{n}") for n in numbers] for numbers in ([1, 2], [3, 4], [5]))
    pages = {"after-2": _page(second, "after-4"), "after-4": _page(third, None)}
    asked: list[str] = []

    def page_after(cursor: str) -> ChronologyPage:
        asked.append(cursor)
        return pages[cursor]

    entries = every_entry(_page(first, "after-2"), page_after)
    assert [next(entries).source, next(entries).source] == ["PNC/1", "PNC/2"]
    assert asked == [], "the next page is asked for only once the first is written"
    assert [item.source for item in entries] == ["PNC/3", "PNC/4", "PNC/5"]
    assert asked == ["after-2", "after-4"]


# -- pseudonyms only ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [write_csv, write_xlsx, write_pdf])
def test_an_entry_showing_real_names_is_refused_by_every_writer(writer):
    named = entry(event="Amy Northcote present", people=["Amy Northcote"], names_shown=True)
    with pytest.raises(ValueError, match="pseudonyms only"):
        writer(export(), iter([entry(), named]), io.BytesIO())


def test_every_format_says_it_is_pseudonymised():
    assert csv_rows([entry()])[3] == [PSEUDONYMISED]
    assert xlsx_rows(xlsx_of([entry()]))[3][0] == PSEUDONYMISED
    assert b"/Subject (" + PSEUDONYMISED.encode() + b")" in pdf_of([entry()])


def test_a_workbook_left_unfinished_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    named = entry(names_shown=True)
    with pytest.raises(ValueError, match="pseudonyms only"):
        write_xlsx(export(), iter([entry(), named]), io.BytesIO())
    assert list(tmp_path.iterdir()) == [], "openpyxl's temporary file of the sheet's rows is deleted"


# -- formulas ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", DANGEROUS_STARTS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_csv_cell_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(start):
    text = f'{start}HYPERLINK("http://evil.example","click")'
    rows = csv_rows(
        [entry(event=text, practitioner_role=start + "1+1", extra={"Outcome": text})],
        extra_columns=("Outcome",),
    )
    assert rows[6][4] == "'" + text
    assert rows[6][3] == "'" + start + "1+1"
    assert rows[6][-1] == "'" + text


@pytest.mark.parametrize("start", DANGEROUS_STARTS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_workbook_cell_that_a_spreadsheet_would_run_gets_a_leading_apostrophe_and_no_formula(start):
    text = f"{start}SUM(A1:A9)"
    body = xlsx_of(
        [entry(event=text, action=text, extra={start + "Heading": text})],
        extra_columns=(start + "Heading",),
        review_title=text,
    )
    rows = xlsx_rows(body)
    assert rows[0][0] == "Chronology of " + text  # the title starts with words: nothing to neutralise
    assert rows[5][-1] == "'" + start + "Heading"
    assert rows[6][4] == "'" + text and rows[6][5] == "'" + text and rows[6][-1] == "'" + text
    every_value = [value for row in rows for value in row if value is not None]
    assert all(isinstance(value, str) for value in every_value), "every cell is text"
    assert not any(value.startswith("=") for value in every_value), "no cell reads as a formula"
    sheet = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert not re.search(r"<f[ >]", sheet), "the sheet's XML holds no formula element"


def test_a_partnerships_heading_that_would_run_is_neutralised_in_the_csv_too():
    assert csv_rows([entry()], extra_columns=("=cmd",))[5][-1] == "'=cmd"


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Crime report = advice", "Crime report = advice"),
        ("", ""),
    ],
)
def test_only_a_cell_starting_as_a_formula_is_neutralised(cell, shown):
    assert neutralised(cell) == shown


def test_a_control_character_a_workbook_cannot_hold_neither_fails_it_nor_hides_a_formula():
    rows = xlsx_rows(xlsx_of([entry(event="\x01=cmd|' /C calc'!A0", action="Bell\x07 rung")]))
    assert rows[6][4] == "'=cmd|' /C calc'!A0"
    assert rows[6][5] == "Bell rung"


# -- the PDF -----------------------------------------------------------------------------------------------


def test_the_pdf_goes_on_to_as_many_pages_as_the_entries_need():
    body = pdf_of([entry(source=f"Northbridge Police: PNC/{n}") for n in range(200)])
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    pages = int(re.findall(rb"/Count (\d+)", body)[0])
    assert 5 < pages < 20, f"200 one-line entries on {pages} pages"


@pytest.mark.parametrize(
    "text",
    [
        "Zoë told the teacher 😀👍🏽",
        "Łukasz Wiśniewski attended; Żaneta rang",
        "\u201cQuoted\u201d \u2013 dashed \u2014 and so on\u2026",
        "中文 العربية עברית Ελληνικά Русский",
        "e\u0301 combining, zero\u200bwidth, ﬁ ligature",
        "x" * 3000,  # one word wider than any column
        ("A very long entry. " * 600).strip(),  # taller than a page
    ],
    ids=["zoe-emoji", "polish", "typography", "scripts", "combining", "long-word", "long-entry"],
)
def test_the_pdf_survives_text_its_font_cannot_draw(text):
    body = pdf_of(
        [entry(event=text, action=text, people=[text[:40]], extra={"Outcome": text})],
        review_title=f"NB-2026-014 {text[:60]}",
        filters=(f'Words: "{text[:40]}"',),
        extra_columns=("Outcome",),
    )
    assert body.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("Zoë", "Zoë"),
        ("Łukasz Wiśniewski", "Lukasz Wisniewski"),
        ("\u201cChild A\u2019s\u201d \u2013 home\u2026", '"Child A\'s" - home...'),
        ("Smile 😀", "Smile ?"),
        ("e\u0301", "e"),
        ("plain", "plain"),
    ],
)
def test_text_for_the_pdf_keeps_latin1_and_spells_the_rest_plainly(text, drawn):
    assert pdf_text(text) == drawn
    pdf_text(text).encode("latin-1")


def test_an_empty_chronology_is_a_file_with_its_title_block_and_headings():
    assert csv_rows([])[5] == HEADINGS
    assert xlsx_rows(xlsx_of([]))[5] == HEADINGS
    assert pdf_of([]).startswith(b"%PDF")


# -- length --------------------------------------------------------------------------------------------------


class Stream:
    """Fake entries made one at a time as a writer asks, counting how many are alive at once."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.alive = 0
        self.most_alive = 0
        self.made = 0

    def __iter__(self) -> Iterator[EntryView]:
        for number in range(self.count):
            item = entry(
                source=f"Northbridge Police: PNC/{number}",
                event=f"Visit {number}: Child A seen at home with Mother; concerns about supervision noted",
                people=["Child A", "Mother"],
            )
            self.made += 1
            self.alive += 1
            self.most_alive = max(self.most_alive, self.alive)
            weakref.finalize(item, self._gone)
            yield item
            del item

    def _gone(self) -> None:
        self.alive -= 1


@pytest.mark.slow
@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_twenty_thousand_entries_are_written_as_they_stream_never_held_together(writer):
    stream = Stream(20_000)
    written = writer(export(), iter(stream), io.BytesIO())
    assert written == stream.made == 20_000
    assert stream.most_alive <= 3, f"the writer held {stream.most_alive} entries at once"


def test_the_last_of_twenty_thousand_csv_rows_is_there():
    rows = list(csv.reader(io.StringIO(_written(write_csv, 20_000).decode("utf-8-sig"), newline="")))
    assert len(rows) == 6 + 20_000 and rows[-1][2] == "Northbridge Police: PNC/19999"


@pytest.mark.slow
def test_a_long_pdf_is_written_as_the_entries_stream():
    stream = Stream(2_000)
    out = io.BytesIO()
    assert write_pdf(export(), iter(stream), out) == 2_000
    assert stream.most_alive <= 3, f"the PDF writer held {stream.most_alive} entries at once"
    assert out.getvalue().startswith(b"%PDF")


def _written(writer: Any, count: int) -> bytes:
    out = io.BytesIO()
    writer(export(), iter(Stream(count)), out)
    return out.getvalue()


# -- the download ------------------------------------------------------------------------------------------


def test_a_download_has_a_plain_file_name_and_is_never_cached():
    headers = download_headers('problems-Łódź "v2"; rm -rf.csv')
    assert headers == {
        "Content-Disposition": 'attachment; filename="problems---d---v2---rm--rf.csv"',
        "Cache-Control": "no-store",
    }
    headers["Content-Disposition"].encode("latin-1")
