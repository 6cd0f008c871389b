"""`caserev deadline` prints the statutory date and nothing else."""

from __future__ import annotations

import pytest

from caserev.cli import main


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["2025-12-19", "5"], "2025-12-30"),
        (["2025-12-30", "15"], "2026-01-21"),
        (["2026-04-02", "5"], "2026-04-13"),
        (["2026-08-28", "5"], "2026-09-07"),
        (["2026-10-17", "5"], "2026-10-23"),
        (["2026-03-31", "--months", "6"], "2026-09-30"),
    ],
)
def test_deadline_prints_only_the_iso_date(capsys, args, printed):
    assert main(["deadline", *args]) == 0
    assert capsys.readouterr().out == printed + "\n"


@pytest.mark.parametrize("args", [["19/12/2025", "5"], ["2025-12-19", "-1"], ["2025-12-19", "five"]])
def test_deadline_refuses_bad_input_with_a_message(capsys, args):
    with pytest.raises(SystemExit) as exited:
        main(["deadline", *args])
    assert exited.value.code == 2
    assert "caserev deadline" in capsys.readouterr().err


def test_deadline_without_a_count_says_what_is_missing(capsys):
    assert main(["deadline", "2025-12-19"]) == 2
    assert "N working days" in capsys.readouterr().err
