"""Synthetic chronology files for `make bench-chronology`: one CSV per agency, filled as an agency fills the
template (the template's headings, CSV UTF-8 with Excel's byte order mark), and the people register the rows
name. Every name and event is invented; the same seed gives the same files.

Each file covers about five years (2019 to 2023) in date order: mostly full dates (some with a time, a few
with an end date), some only a month ("May 2019"), some uncertain ("about 2018", "about March 2020"). Events
are 100 to 400 characters of sentences mostly of the agency's kind (police, health, schools), sometimes
with a first name the register knows (the merged chronology shows its pseudonym instead), and name the
people involved by their register pseudonyms. About one incident a week is recorded by several agencies, each
in its own words after the same first sentence: the likely duplicates the service flags at import.

`message_entries` gives a file's rows as an agency's system sends them on the bus (docs/agency-systems.md).
"""

from __future__ import annotations

import codecs
import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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

# Sentences of events by the kind of agency that writes them (and some any agency writes): each slot is filled
# from WORDS (or a number), so that two unrelated entries share little more than the family's pseudonyms and
# common words, as two agencies' records do.
SENTENCES = {
    "police": (
        "Police attended {place} after a call from {caller} reporting {noise} at about {time}.",
        "{other_adult} was arrested on suspicion of {offence} and later released under investigation.",
        "Officers spoke to {adult} on the doorstep; {other_adult} had left before they arrived.",
        "Domestic incident logged, reference {reference}; DASH risk assessment scored {score}.",
        "PNC checks on {other_adult} showed a previous caution for {offence}.",
    ),
    "health": (
        "{child} weighed and measured at {place}; weight now on the {centile}th centile.",
        "Missed {appointment}; a letter sent offering another date on {weekday} {day_of_month}.",
        "Small area of bruising noted on {child}'s {body}; the explanation given was {explanation}.",
        "{child}'s hearing checked at {place}; {adult} was told of a referral to audiology.",
        "Immunisations up to date apart from the pre-school booster, offered again for {weekday}.",
    ),
    "childrens_social_care": (
        "Strategy discussion held by {service}; agreed the threshold for a section 47 enquiry was not met.",
        "Child protection conference held; {child} made subject of a plan under the category of {category}.",
        "Core group meeting held at {place}; progress on {count} of the plan's actions recorded.",
        "Unannounced visit to {place}; {adult} answered the door and said {child} was {mood}.",
        "Referral received from {service} about {concern}, following what {child} said to staff.",
    ),
    "education": (
        "Attendance is {percent}% for the half term; absences on {weekday}s are not explained.",
        "{first_name} said she was {mood} and asked staff about {topic}.",
        "{child} arrived late at {time} without breakfast; given toast at breakfast club.",
        "Teacher noticed {child} was {mood} in the {room} and spoke with the safeguarding lead.",
    ),
    "housing": (
        "Housing reported {home_state}; repair number {reference} raised with the landlord.",
        "Rent arrears of {count} weeks; {adult} agreed a repayment plan at the housing office.",
        "Neighbour complaint about {noise} from the flat, logged as reference {reference}.",
    ),
    "any": (
        "Home visit by appointment at {time}; {child} seen and spoken to alone in the {room}.",
        "{adult} reported that {child} had been {mood} at night for the past {count} days.",
        "{adult} did not attend the {meeting} and could not be reached by telephone or text.",
        "Concerns raised about the condition of the home: {home_state}.",
        "{child} presented as {mood} and {second_mood}; clothing {clothing}.",
        "Information shared with {service} by secure e-mail (reference {reference}).",
        "{sibling} was present at {place} and appeared {mood}; no concerns noted about {sibling}.",
        "{adult} disclosed arguments at home and said {other_adult} had been {behaviour}.",
        "{adult} was offered {support} and {answer}.",
        "Telephone call to {adult} at {time}, who {answer} and asked for a call back on {weekday}.",
        "{first_name} attended {place} with {adult}; the appointment lasted {count} minutes.",
        "Case discussed at the {meeting}; {count} actions agreed, the next review in {weeks} weeks.",
        "No answer at {place} on an unannounced visit at {time}; a card left asking the family to call.",
        "{adult} was given the number of {support} and said they would {intent}.",
    ),
}
WORDS = {
    "child": ("Child A",),
    "sibling": ("Sibling 1",),
    "first_name": ("Amy", "Dani"),
    "adult": ("Mother", "Father", "Beth", "the maternal grandmother", "a family friend", "the lodger"),
    "other_adult": ("Father", "Mother's partner", "Carl", "an uncle", "the older cousin"),
    "room": ("living room", "kitchen", "front bedroom", "hallway", "garden", "reception area", "classroom"),
    "place": (
        "the family home",
        "the GP surgery",
        "Eastfield health centre",
        "Northbridge Primary School",
        "the nursery",
        "the emergency department",
        "the children's centre",
        "the contact centre",
        "the grandmother's flat on Mill Lane",
        "a friend's address in Westgate",
        "the park on Station Road",
        "the walk-in centre",
    ),
    "mood": ("quiet", "withdrawn", "chatty", "tearful", "anxious", "settled", "angry", "tired", "hungry"),
    "second_mood": ("well fed", "unkempt", "cheerful", "clingy", "distracted", "polite", "sleepy"),
    "clothing": ("too small", "clean and warm", "soiled", "thin for the cold weather", "new", "damp"),
    "home_state": (
        "damp in the children's bedroom",
        "little food in the cupboards",
        "dog mess on the kitchen floor",
        "a broken front window",
        "no working heating",
        "laundry piled up and a strong smell",
        "empty cans in the hallway",
    ),
    "service": (
        "the allocated social worker",
        "the health visiting team",
        "the school's safeguarding lead",
        "the duty team",
        "the GP practice",
        "the early help hub",
        "the police public protection unit",
    ),
    "meeting": ("team around the family meeting", "core group", "strategy meeting", "review meeting"),
    "body": ("left forearm", "right cheek", "upper back", "shin", "ear", "wrist", "forehead", "thigh"),
    "explanation": ("a fall in the park", "a fall from a bicycle", "play with a sibling", "a door at home"),
    "behaviour": ("drinking heavily", "shouting at the children", "staying out overnight", "using cannabis"),
    "caller": ("a neighbour", "a passer-by", "Mother", "an anonymous caller", "the school"),
    "noise": ("shouting", "a child crying for a long time", "banging", "a fight in the street"),
    "appointment": ("health review", "dental appointment", "hearing test", "paediatric appointment"),
    "concern": (
        "neglect",
        "home conditions",
        "missed health appointments",
        "alcohol use at home",
        "domestic abuse",
        "low attendance",
        "an injury",
        "weight loss",
        "emotional harm",
    ),
    "support": ("early help", "a parenting course", "the food bank", "the drug and alcohol service"),
    "answer": ("agreed", "declined", "said they would think about it", "did not reply"),
    "topic": ("breakfast club", "taking food home", "staying late", "a new coat", "her brother"),
    "offence": ("assault", "criminal damage", "theft", "possession of a knife"),
    "category": ("neglect", "emotional abuse", "physical abuse"),
    "intent": ("call them this week", "think about it", "go with a friend", "not go"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
}
# Events of the family that several agencies record on the same day, each in its own words: the merged
# chronology's likely duplicates. About one a week over the five years; each agency records a quarter of them.
INCIDENTS = (
    "Police called to the family home late at night; {adult} had a cut to the face and {child} was awake.",
    "{child} taken to the emergency department with a head injury after a fall at home.",
    "{adult} arrested after an incident in the street outside Northbridge Primary School.",
    "{child} found alone in the park on Station Road in the evening by a member of the public.",
    "{child} missing from home overnight and found the next morning at a friend's address.",
    "Fire service called to the flat after a pan fire; the children were in the bedroom.",
)
INCIDENT_SHARE = 0.25
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


def _fill(rng: random.Random, sentence: str) -> str:
    numbers = {
        "time": f"{rng.randint(8, 21)}:{rng.choice(('00', '15', '30', '45'))}",
        "count": str(rng.randint(2, 40)),
        "reference": f"{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}",
        "size": str(rng.randint(1, 6)),
        "percent": str(rng.randint(61, 97)),
        "day_of_month": str(rng.randint(1, 28)),
        "centile": str(rng.choice((2, 9, 25, 50, 75))),
        "weeks": str(rng.randint(2, 12)),
        "score": str(rng.randint(3, 22)),
    }
    return sentence.format_map({**numbers, **{slot: rng.choice(words) for slot, words in WORDS.items()}})


def _event(rng: random.Random, kind: str, first: str = "") -> str:
    """100 to 400 characters of sentences about the family, mostly of the agency's kind (beginning with
    `first`, if given)."""
    target = rng.randint(100, 400)
    text = first
    own = SENTENCES.get(kind, ())
    while len(text) < target:
        sentence = _fill(rng, rng.choice(own if own and rng.random() < 0.7 else SENTENCES["any"]))
        if len(text) + 1 + len(sentence) > 400:
            break  # whole sentences only
        text += (" " if text else "") + sentence
    while len(text) < 100:
        text += rng.choice(FILLER)
    return text


def incidents(seed: int) -> list[tuple[date, str]]:
    """The family's incidents that several agencies record: (day, what happened)."""
    rng = random.Random(f"{seed}:incidents")
    span = (LAST_DAY - FIRST_DAY).days
    return [
        (FIRST_DAY + timedelta(days=rng.randint(0, span)), _fill(rng, rng.choice(INCIDENTS)))
        for _ in range(span // 7)
    ]


def agency_rows(
    rng: random.Random, agency_type: str, rows: int, prefix: str, shared: Sequence[tuple[date, str]] = ()
) -> list[list[str]]:
    """The entry rows of one agency's file, in date order: some of the family's incidents (`shared`), in the
    agency's own words after the same first sentence, and its own contacts."""
    span = (LAST_DAY - FIRST_DAY).days
    reported = [incident for incident in shared if rng.random() < INCIDENT_SHARE][:rows]
    days = [(day, first) for day, first in reported]
    days += [(FIRST_DAY + timedelta(days=rng.randint(0, span)), "") for _ in range(rows - len(reported))]
    days.sort(key=lambda pair: pair[0])
    roles = ROLES.get(agency_type, ROLES["other"])
    found = []
    for number, (day, first) in enumerate(days, start=1):
        occurred, at, ended = _typed_date(rng, day) if not first else (day.strftime("%d/%m/%Y"), "", "")
        acted = rng.random() < 0.7
        found.append(
            [
                occurred,
                at,
                ended,
                f"{prefix}-{number:06d}",
                rng.choice(roles),
                _event(rng, agency_type, first),
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


def message_entries(file: AgencyFile) -> list[dict[str, Any]]:
    """The file's rows as entries of an agency's message on the bus: the template's fields, empty ones left
    out, people as a list, the key practice episode as true or false."""
    keys = [column.key for column in STANDARD_COLUMNS]
    with file.path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    entries = []
    for row in rows:
        entry: dict[str, Any] = {key: value for key, value in zip(keys, row, strict=True) if value}
        if "people" in entry:
            entry["people"] = [name.strip() for name in entry["people"].split(";")]
        if "key_practice_episode" in entry:
            entry["key_practice_episode"] = entry["key_practice_episode"] == "Yes"
        if "significance" in entry:
            entry["significance"] = entry["significance"].lower()
        entries.append(entry)
    return entries


def write_files(
    folder: Path, agencies: list[tuple[str, str]], total_rows: int, seed: int = 2026
) -> list[AgencyFile]:
    """One CSV file per (agency name, agency type), `total_rows` entry rows spread evenly over them."""
    folder.mkdir(parents=True, exist_ok=True)
    shared = incidents(seed)
    files = []
    for index, (name, agency_type) in enumerate(agencies):
        rows = total_rows // len(agencies) + (1 if index < total_rows % len(agencies) else 0)
        rng = random.Random(f"{seed}:{name}")
        # The agency's initials and the seed's last digits: other seeds give other records.
        prefix = "".join(word[0] for word in name.split()).upper() + f"{seed % 100:02d}"
        path = folder / f"chronology-{index + 1:02d}.csv"
        path.write_bytes(csv_bytes(agency_rows(rng, agency_type, rows, prefix, shared)))
        files.append(AgencyFile(name, agency_type, path, rows, path.stat().st_size))
    return files
