"""Synthetic chronology files for `make bench-chronology`: one CSV per agency, filled as an agency fills the
template (the template's headings, CSV UTF-8 with Excel's byte order mark), and the people register the rows
name. Every name and event is invented; the same seed gives the same files.

Each file covers about five years (2019 to 2023) in date order: mostly full dates (some with a time, a few
with an end date), some only a month ("May 2019"), some uncertain ("about 2018", "about March 2020"). Events
are 100 to 400 characters, sometimes with a first name the register knows (the merged chronology shows its
pseudonym instead), and name the people involved by their register pseudonyms.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from services.chronology.contract.columns import STANDARD_COLUMNS


@dataclass(frozen=True)
class RegisterPerson:
    """Someone in the review's people register, as the business manager adds them."""

    label: str
    name: str
    role_in_family: str
    born_on: date | None = None
    subject: bool = False


REGISTER = (
    RegisterPerson("Child A", "Amy Northcote", "Subject child", date(2016, 8, 19), subject=True),
    RegisterPerson("Mother", "Beth Northcote", "Mother"),
    RegisterPerson("Father", "Carl Weston", "Father"),
    RegisterPerson("Sibling 1", "Dani Northcote", "Sibling"),
)

# A word of some events, for the free-text filter of the benchmark's filtered page.
SEARCHED_WORD = "bruising"
FIRST_DAY, LAST_DAY = date(2019, 1, 1), date(2023, 12, 31)

ROLES = {
    "police": ("Police constable", "Detective constable", "Public protection officer", "Call handler"),
    "health": ("Health visitor", "School nurse", "GP", "Midwife", "Paediatrician", "Practice nurse"),
    "childrens_social_care": ("Social worker", "Team manager", "Family support worker", "Duty worker"),
    "education": ("Class teacher", "Designated safeguarding lead", "Head teacher", "Attendance officer"),
    "probation": ("Probation officer", "Senior probation officer"),
    "youth_justice": ("Youth justice worker", "Case manager"),
    "housing": ("Housing officer", "Tenancy support worker"),
    "voluntary_sector": ("Family support worker", "Domestic abuse advocate", "Volunteer"),
    "other": ("Paramedic", "Emergency call handler", "Early help practitioner"),
}

SENTENCES = (
    "Home visit by appointment; {child} seen and spoken to alone in the living room.",
    "{mother} reported that {child} had been unsettled at night for the past week.",
    "{father} did not attend the planned meeting and could not be reached by telephone.",
    "Concerns raised about the condition of the home: little food in the kitchen, laundry piled up.",
    "{child} presented as quiet and withdrawn; appropriate clothing for the weather.",
    "Information shared with the allocated social worker by secure e-mail the same day.",
    "{sibling} was present and appeared well cared for; no concerns noted about {sibling}.",
    "Small area of bruising noted on {child}'s upper arm; {mother} said it happened at the park.",
    "Bruising to the left cheek seen by staff; explanation given was a fall from a bicycle.",
    "Attendance has dropped to 84% this term with several unexplained absences on Mondays.",
    "{mother} disclosed arguments at home and said {father} had been drinking heavily.",
    "Police attended following a call from a neighbour reporting shouting from the address.",
    "Missed health appointment; letter sent offering another date within two weeks.",
    "Strategy discussion held; agreed threshold for a section 47 enquiry was not met at this time.",
    "{child} weighed and measured; weight has fallen from the 50th to the 25th centile.",
    "Referral received from the school nurse following a disclosure by {child} in class.",
    "Parents were offered early help support and agreed to a family assessment.",
    "Telephone call to {mother}, who declined a further visit this month.",
    "{Amy} said she was hungry and asked staff whether she could take food home.",
    "{Beth} attended with {Amy}; both appeared tired, and the appointment was kept short.",
    "Case discussed at the multi-agency meeting; actions agreed for each agency.",
    "Domestic abuse risk assessment completed; scored as medium risk.",
    "No answer at the door on an unannounced visit; a card was left asking the family to call.",
    "Housing disrepair reported: damp in the children's bedroom, repair requested.",
    "{father} was arrested on suspicion of assault and later released under investigation.",
    "Child protection conference held; {child} made subject of a plan under the category of neglect.",
    "Core group meeting held; progress on the plan reviewed and recorded.",
    "{mother} was signposted to the local drug and alcohol service and given its number.",
)
ACTIONS = (
    "Referral to children's social care",
    "Information shared with the health visitor",
    "Follow-up visit booked for next week",
    "Discussed with the designated safeguarding lead",
    "Case escalated to the team manager",
    "Letter sent to parents offering support",
    "Recorded on the child's file and flagged",
)
NO_ACTION_REASONS = (
    "Routine contact; no concerns noted",
    "Information only; already known to children's social care",
    "Family declined support; no safeguarding threshold met",
)
SIGNIFICANCE = ("", "", "Low", "Low", "Medium", "High")
PEOPLE = ("Child A", "Child A; Mother", "Child A; Father", "Mother; Father", "Child A; Mother; Sibling 1", "")
FILLER = (
    " The record notes the conversation in full and the practitioner's view at the time.",
    " The family's circumstances were discussed and the plan was explained to them.",
    " It was agreed to review this at the next contact.",
    " The practitioner recorded the account given and their own observations.",
)


@dataclass(frozen=True)
class AgencyFile:
    """One agency's file: where it is, how many entry rows it holds, and its size."""

    agency_name: str
    agency_type: str
    path: Path
    rows: int
    size_bytes: int


def _typed_date(rng: random.Random, day: date) -> tuple[str, str, str]:
    """(Date, Time, End date) as an agency types them for an event on `day`."""
    roll = rng.random()
    if roll < 0.05:
        return day.strftime("%B %Y"), "", ""  # the record gives only the month: "May 2019"
    if roll < 0.065:
        return f"about {rng.randint(2017, 2018)}", "", ""  # history the agency only knows roughly
    if roll < 0.08:
        return f"about {day:%B %Y}", "", ""
    typed = day.strftime("%d/%m/%Y")
    if roll < 0.10:
        return typed, "", (day + timedelta(days=rng.randint(1, 14))).strftime("%d/%m/%Y")  # a period
    if roll < 0.35:
        return typed, f"{rng.randint(8, 19):02d}:{rng.choice(('00', '15', '30', '45'))}", ""
    return typed, "", ""


def _event(rng: random.Random) -> str:
    """100 to 400 characters of sentences about the family."""
    target = rng.randint(100, 400)
    words = {
        "child": "Child A",
        "mother": "Mother",
        "father": "Father",
        "sibling": "Sibling 1",
        "Amy": "Amy",
        "Beth": "Beth",
    }
    text = ""
    while len(text) < target:
        sentence = rng.choice(SENTENCES).format(**words)
        if len(text) + 1 + len(sentence) > 400:
            break  # whole sentences only
        text += (" " if text else "") + sentence
    while len(text) < 100:
        text += rng.choice(FILLER)
    return text


def agency_rows(rng: random.Random, agency_type: str, rows: int, prefix: str) -> list[list[str]]:
    """The entry rows of one agency's file, in date order."""
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + timedelta(days=rng.randint(0, span)) for _ in range(rows))
    roles = ROLES.get(agency_type, ROLES["other"])
    found = []
    for number, day in enumerate(days, start=1):
        occurred, at, ended = _typed_date(rng, day)
        acted = rng.random() < 0.7
        found.append(
            [
                occurred,
                at,
                ended,
                f"{prefix}-{number:06d}",
                rng.choice(roles),
                _event(rng),
                rng.choice(ACTIONS) if acted else "",
                "" if acted else rng.choice(NO_ACTION_REASONS),
                rng.choice(SIGNIFICANCE),
                "Yes" if rng.random() < 0.02 else "",
                rng.choice(PEOPLE),
            ]
        )
    return found


def csv_bytes(rows: list[list[str]]) -> bytes:
    """The rows under the template's headings, as Excel saves CSV UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.heading for column in STANDARD_COLUMNS])
    writer.writerows(rows)
    return codecs.BOM_UTF8 + out.getvalue().encode()


def write_files(
    folder: Path, agencies: list[tuple[str, str]], total_rows: int, seed: int = 2026
) -> list[AgencyFile]:
    """One CSV file per (agency name, agency type), `total_rows` entry rows spread evenly over them."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, (name, agency_type) in enumerate(agencies):
        rows = total_rows // len(agencies) + (1 if index < total_rows % len(agencies) else 0)
        rng = random.Random(f"{seed}:{name}")
        prefix = "".join(word[0] for word in name.split()).upper()
        path = folder / f"chronology-{index + 1:02d}.csv"
        path.write_bytes(csv_bytes(agency_rows(rng, agency_type, rows, prefix)))
        files.append(AgencyFile(name, agency_type, path, rows, path.stat().st_size))
    return files
