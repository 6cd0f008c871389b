"""How many rows the progress bar expects of an uploaded file: cheap, and never reading a workbook whole."""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import Workbook

from gateway.routes.chronology import rows_in


def test_a_workbook_is_counted_from_its_dimension_and_a_text_file_by_its_lines(tmp_path: Path) -> None:
    book = Workbook()
    for _ in range(250):
        book.active.append(["22/05/2016", "event"])
    book.save(tmp_path / "rows.xlsx")
    assert rows_in(tmp_path / "rows.xlsx") == 249
    (tmp_path / "rows.csv").write_bytes(b"Date,Event\n" + b"22/05/2016,x\n" * 40)
    assert rows_in(tmp_path / "rows.csv") == 40


def test_a_workbook_that_is_not_one_or_a_bomb_is_not_read_whole_for_its_count(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert rows_in(tmp_path / "broken.xlsx") == 0
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b"0" * 50_000_000)
    assert rows_in(tmp_path / "bomb.xlsx") == 0  # no dimension in its first bytes, and only those were read
