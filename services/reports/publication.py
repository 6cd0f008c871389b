"""A document's publication copy: the anonymising of its text and the check that nothing identifying is left.
Pure Python, no I/O: the register of the review's people comes in as `RegisterPerson`s.

- `anonymised` replaces every real name (the full name, other names the agencies use, the first name and the
  surname alone; any case; a possessive keeps its "'s") by the person's pseudonym, or their role in the family
  where they have none. A part of a name that several people share ("Smith" of a mother and her child) is
  left for the check to find: only a person can tell whom it means.
- `findings` lists each place the copy still holds a real name, a date of birth in any usual written form
  ("3 March 2019", "3rd March 2019", "March 3, 2019", "03/03/2019", "3.3.19", "2019-03-03"), an address (its
  first line, or its street) or postcode, a school, an NHS number (any valid one, the register's or not) or an
  agency's record number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.reports.contract import (
    IDENTIFIER_LABELS,
    Finding,
    IdentifierKind,
    RegisterPerson,
    SectionText,
    TextBlock,
)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_FORMS = (
    # 3 March 2019, 3rd March 2019, 3rd of March, 2019, 03 Mar 19
    re.compile(
        rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_MONTH},?\s+(?P<year>\d{{4}}|\d{{2}})\b", re.IGNORECASE
    ),
    # March 3, 2019; March 3rd 2019
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}}|\d{{2}})\b", re.IGNORECASE),
    # 03/03/2019, 3/3/19, 3.3.2019, 03-03-2019: day first, as in England
    re.compile(r"\b(?P<day>\d{1,2})(?P<sep>[/.\-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})\b"),
    # 2019-03-03, 2019/03/03
    re.compile(r"\b(?P<year>\d{4})(?P<sep>[/.\-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})\b"),
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
_NHS_NUMBER = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
# Words that say what a school is, not which: "Oakfield Primary School" is also written "Oakfield Primary".
_SCHOOL_WORDS = re.compile(r"\s+(?:school|academy|nursery|college)$", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^(?:flat\s+\w+,?\s+)?\d+[a-z]?\s+", re.IGNORECASE)
# A name part this short is an initial, not a name: "J" alone identifies no one.
_SHORTEST_PART = 2


@dataclass(frozen=True)
class _Spelling:
    """One way a person is identified in text, with the pattern that finds it."""

    text: str
    kind: IdentifierKind
    pseudonym: str
    pattern: re.Pattern[str]


def _words(text: str) -> str:
    """A pattern for the text in any case, any run of spaces between its words, not inside a longer word."""
    parts = [re.escape(part) for part in text.split()]
    return r"(?<![\w])" + r"\s+".join(parts) + r"(?![\w])"


def _compact(text: str) -> str:
    return re.sub(r"[\s\-/.]", "", text).casefold()


def pseudonym_of(person: RegisterPerson) -> str:
    """What a copy calls the person: their pseudonym, or their role where they have none."""
    return person.pseudonym.strip() or person.role_in_family.strip() or "A person"


def _names(person: RegisterPerson) -> list[str]:
    """Every whole name the person goes by: the register's and the other spellings agencies use."""
    return [
        n for n in dict.fromkeys(" ".join(name.split()) for name in (person.name, *person.also_known_as)) if n
    ]


def _name_parts(person: RegisterPerson) -> set[str]:
    """The parts of each name written alone: each word (a first name, a surname; hyphenated surnames whole),
    each run of two or more of its words ("Amelia Rose"), and the first name with the surname."""
    parts: set[str] = set()
    for name in _names(person):
        words = [word for word in name.split() if len(word.strip(".")) >= _SHORTEST_PART]
        parts.update(word.casefold() for word in words)
        for start in range(len(words)):
            for stop in range(start + 2, len(words) + 1):
                parts.add(" ".join(words[start:stop]).casefold())
        if len(words) > 2:
            parts.add(f"{words[0]} {words[-1]}".casefold())
    return parts


def _name_spellings(people: Sequence[RegisterPerson]) -> tuple[list[_Spelling], set[str]]:
    """Each name and name part to its person; the parts several people share, apart (whom they mean is
    not the machine's to say)."""
    owners: dict[str, set[int]] = {}
    for index, person in enumerate(people):
        for part in _name_parts(person):
            owners.setdefault(part, set()).add(index)
    shared = {part for part, who in owners.items() if len(who) > 1}
    spellings: list[_Spelling] = []
    for index, person in enumerate(people):
        alias = pseudonym_of(person)
        whole = _names(person)
        wholes = {name.casefold() for name in whole}
        parts = sorted(p for p in _name_parts(person) if owners[p] == {index} and p not in wholes)
        for text in [*whole, *parts]:
            spellings.append(_Spelling(text, "real_name", alias, re.compile(_words(text), re.IGNORECASE)))
    return spellings, shared


def _name_pattern(spellings: Iterable[_Spelling]) -> re.Pattern[str] | None:
    ordered = sorted(spellings, key=lambda s: len(s.text), reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(f"(?:{_words(s.text)})" for s in ordered), re.IGNORECASE)


def anonymised(text: str, people: Sequence[RegisterPerson]) -> str:
    """The text with every real name the register knows replaced by its person's pseudonym, in one pass (a
    pseudonym put in is never replaced again); the longest name first, so "Jane Smith" goes whole."""
    spellings, _ = _name_spellings(people)
    pattern = _name_pattern(spellings)
    if pattern is None:
        return text
    by_text = {" ".join(s.text.split()).casefold(): s.pseudonym for s in spellings}
    return pattern.sub(
        lambda found: by_text.get(" ".join(found.group(0).split()).casefold(), found.group(0)), text
    )


def anonymised_sections(
    sections: Sequence[SectionText], people: Sequence[RegisterPerson]
) -> list[SectionText]:
    """Every block of every section anonymised (headings, paragraphs, list items alike; the titles are the
    template's)."""
    return [
        SectionText(
            section_id=section.section_id,
            key=section.key,
            title=section.title,
            blocks=[
                TextBlock(kind=block.kind, text=anonymised(block.text, people), level=block.level)
                for block in section.blocks
            ],
        )
        for section in sections
    ]


# -- the check -----------------------------------------------------------------------------------------------


def _year(typed: str) -> int:
    year = int(typed)
    # A two-digit year of a date of birth: this century's unless that is in the future.
    return year if len(typed) == 4 else 2000 + year if 2000 + year <= date.today().year else 1900 + year


def dates_in(text: str) -> list[tuple[str, date]]:
    """Every date written in the text in a usual form, as typed and as a date (impossible dates skipped)."""
    found: list[tuple[str, date]] = []
    taken: list[tuple[int, int]] = []
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            month_typed = match.group("month")
            month = int(month_typed) if month_typed.isdigit() else MONTHS[month_typed.casefold()]
            try:
                day = date(_year(match.group("year")), month, int(match.group("day")))
            except ValueError:
                continue
            taken.append((match.start(), match.end()))
            found.append((match.group(0), day))
    return found


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number's check digit (modulus 11) is right: a run of ten digits that passes is one."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _street(address: str) -> list[str]:
    """An address's first line and its street without the house number ("12 Acacia Avenue", "Acacia
    Avenue"): a town alone identifies no one."""
    first = " ".join(re.split(r"[,\n]", address, maxsplit=1)[0].split())
    street = _HOUSE_NUMBER.sub("", first).strip()
    return [first, street] if street != first and len(street.split()) >= 2 else [first]


def _identifier_spellings(people: Sequence[RegisterPerson]) -> list[_Spelling]:
    found: list[_Spelling] = []
    for person in people:
        alias = pseudonym_of(person)

        def add(text: str, kind: IdentifierKind, pattern: str | None = None, alias: str = alias) -> None:
            if text.strip():
                found.append(_Spelling(text, kind, alias, re.compile(pattern or _words(text), re.IGNORECASE)))

        if person.address:
            for line in _street(person.address):
                add(line, "address")
        if person.school:
            school = " ".join(person.school.split())
            add(school, "school")
            short = _SCHOOL_WORDS.sub("", school)
            if short != school and len(short.split()) >= 2:
                add(short, "school")
        for number in person.record_numbers:
            # Separators are the writer's choice: "SC-1234 567" is "SC1234567".
            chars = [re.escape(c) for c in _compact(number)]
            add(number, "record_number", r"(?<![\w])" + r"[\s\-/.]?".join(chars) + r"(?![\w])")
    return found


def _finding(section: SectionText, number: int, found: str, kind: IdentifierKind, who: str | None) -> Finding:
    return Finding(
        section_id=section.section_id,
        section_title=section.title,
        block=number,
        found=found,
        kind=kind,
        kind_label=IDENTIFIER_LABELS[kind],
        pseudonym=who,
    )


def _in_block(
    text: str,
    people: Sequence[RegisterPerson],
    spellings: Sequence[_Spelling],
    shared: set[str],
) -> list[tuple[int, str, IdentifierKind, str | None]]:
    """What identifies someone in one block's text: (where, found text, kind, whose pseudonym)."""
    hits: list[tuple[int, str, IdentifierKind, str | None]] = []
    for spelling in spellings:
        hits += [
            (m.start(), m.group(0), spelling.kind, spelling.pseudonym)
            for m in spelling.pattern.finditer(text)
        ]
    for part in shared:
        hits += [
            (m.start(), m.group(0), "real_name", None) for m in re.finditer(_words(part), text, re.IGNORECASE)
        ]
    births = {person.born_on: pseudonym_of(person) for person in people if person.born_on}
    hits += [
        (text.find(typed), typed, "date_of_birth", births[day])
        for typed, day in dates_in(text)
        if day in births
    ]
    postcodes = {_compact(person.postcode): pseudonym_of(person) for person in people if person.postcode}
    for match in _POSTCODE.finditer(text):
        if _compact(match.group(0)) in postcodes:
            hits.append((match.start(), match.group(0), "postcode", postcodes[_compact(match.group(0))]))
    registered = {_compact(p.nhs_number): pseudonym_of(p) for p in people if p.nhs_number}
    for match in _NHS_NUMBER.finditer(text):
        digits = "".join(match.groups())
        if digits in registered or nhs_number_is_valid(digits):
            hits.append((match.start(), match.group(0), "nhs_number", registered.get(digits)))
    return hits


def findings(sections: Sequence[SectionText], people: Sequence[RegisterPerson]) -> list[Finding]:
    """Each place the copy still identifies someone, in the order of the text: section by section, block by
    block (counted from 1), and within a block from left to right. A shorter find inside a longer one ("Jane"
    in "Jane Smith") is not listed again. Sections' titles are the template's, never a person's."""
    names, shared = _name_spellings(people)
    spellings = [*names, *_identifier_spellings(people)]
    listed: list[Finding] = []
    for section in sections:
        for number, text in enumerate((block.text for block in section.blocks), start=1):
            hits = sorted(_in_block(text, people, spellings, shared), key=lambda h: (h[0], -len(h[1])))
            end = -1
            for start, found, kind, who in hits:
                if start < end:
                    continue
                end = start + len(found)
                listed.append(_finding(section, number, found, kind, who))
    return listed


def title_findings(document_id: UUID, title: str, people: Sequence[RegisterPerson]) -> list[Finding]:
    """What identifies someone in the copy's title: listed as block 0 of the "section" whose id is the
    document's (section title "Title")."""
    as_section = SectionText(
        section_id=document_id,
        key="title",
        title="Title",
        blocks=[TextBlock(kind="heading", text=title, level=1)],
    )
    return [finding.model_copy(update={"block": 0}) for finding in findings([as_section], people)]


def same_review(people: Sequence[RegisterPerson], review_id: UUID) -> bool:
    """Whether every person of a register handed in belongs to the review (a register of another review
    would check nothing)."""
    return all(person.review_id == review_id for person in people)
