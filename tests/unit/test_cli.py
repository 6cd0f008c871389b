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


# -- caserev chronology check -------------------------------------------------------------------------------

CHRONOLOGY_HEADINGS = "Date,Time,Source record,Practitioner role,Event,Action or decision,Reason if no action"


def test_chronology_check_prints_each_problem_then_how_many_and_exits_1(capsys, tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_text(
        f"{CHRONOLOGY_HEADINGS}\n"
        "22/05/2016,,CN-1,Health visitor,Home visit,Referral,\n"
        "31/02/2024,,CN-2,Health visitor,Clinic,,\n",
        encoding="utf-8",
    )
    assert main(["chronology", "check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "row 3, column Date: 31/02/2024 is not a date: February 2024 has 29 days",
        "row 3: give the action or decision, or the reason no action was taken",
        "2 problems to fix",
    ]


def test_chronology_check_prints_warnings_then_the_valid_entries_and_exits_0(capsys, tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_text(
        f"{CHRONOLOGY_HEADINGS},Team\n"
        "about May 2016,,CN-1,Health visitor,Home visit,Referral,,Outreach\n"
        "01/12/2015,,CN-2,Midwife,Booking appointment,,Routine,Outreach\n",
        encoding="utf-8",
    )
    assert main(["chronology", "check", str(path), "--columns", "Team", "--born", "01/03/2016"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "warning: row 2, column Date: about May 2016 is approximate: the merged chronology places it at the "
        "start of May 2016",
        "warning: row 3, column Date: 01/12/2015 is before the child was born (pre-birth): check it is right",
        "2 valid entries",
    ]


def test_chronology_check_without_the_partnerships_column_names_it(capsys, tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_text(
        f"{CHRONOLOGY_HEADINGS},Team\n22/05/2016,,CN-1,GP,Visit,Referral,,Outreach\n", encoding="utf-8"
    )
    assert main(["chronology", "check", str(path)]) == 1
    assert "row 1: column Team is not in the template" in capsys.readouterr().out


@pytest.mark.parametrize("born", ["31/02/2016", "May 2016"])
def test_chronology_check_refuses_a_date_of_birth_that_is_not_one_day(capsys, tmp_path, born):
    path = tmp_path / "chronology.csv"
    path.write_text(f"{CHRONOLOGY_HEADINGS}\n", encoding="utf-8")
    assert main(["chronology", "check", str(path), "--born", born]) == 2
    assert capsys.readouterr().err.startswith("caserev chronology: ")


def test_analytics_rebuild_refuses_a_projection_that_is_none_naming_them_all(capsys):
    assert main(["analytics", "rebuild", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no projection 'nope'" in err and "children" in err and "review_stages" in err


def test_the_progress_bar_says_how_far_and_how_fast():
    import io

    from caserev.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar("rebuilding", stream)
    for done in range(0, 101, 5):
        bar.update(done, 100)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("rebuilding [") and lines[-1].endswith("/s")
    assert "100/100 100%" in lines[-1] and len(lines) == 11, (
        "a line per tenth on a stream that is not a terminal"
    )
