"""The demo's chronology: the infant's rapid review (NB-2026-014) with the chronologies of three agencies,
played through the same paths people and systems take.

- The business manager keeps the people register (Child A, Mother, Mother's partner).
- The police author uploads a file with a problem (a date that does not exist, a name not in the register):
  it is rejected whole; then the corrected file, which is imported.
- Children's Services uploads its file.
- The health system publishes its entries on the bus with a connection the administrator issued; one of them
  is the same call-out the police recorded, so a likely duplicate is flagged.
- The business manager tags two key practice episodes.

Every file goes through the contract's checker (services/chronology/contract/sheet.py) as the gateway's does.
Made-up people and events only. Seeding again changes nothing once the review has its chronologies.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from caserev.bus import service_client
from services.chronology.contract import (
    AddPerson,
    CheckContext,
    Chronology,
    ChronologyEntry,
    ChronologyQuery,
    IssueConnection,
    Problem,
    ProblemView,
    StartUpload,
    TagEpisode,
    check_file,
    columns_for,
)
from services.kernel.calendar import today_in_england
from services.kernel.config import OperatorSettings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once

HEADINGS = tuple(column.heading for column in columns_for())


def _day(days_ago: int) -> str:
    return (today_in_england() - timedelta(days=days_ago)).strftime("%d/%m/%Y")


def _month(days_ago: int) -> str:
    return (today_in_england() - timedelta(days=days_ago)).strftime("%B %Y")


def _police_rows(corrected: bool) -> list[tuple[str, ...]]:
    return [
        (
            _day(150),
            "23:40",
            "",
            "PNC/DA/1041",
            "Response officer",
            "Call from a neighbour reporting shouting at the flat; officers attended. "
            "Mother and her partner said it was an argument.",
            "Domestic abuse risk assessment (standard); no referral made",
            "",
            "medium",
            "Yes",
            "Mother; Mother's partner",
        ),
        (
            "31/02/2026" if not corrected else _day(95),
            "",
            "",
            "PNC/DA/1107",
            "Response officer",
            "Second call from the same neighbour; Child A heard crying for a long time.",
            "Referral to children's social care",
            "",
            "high",
            "",
            "Child A; Jo Bloggs" if not corrected else "Child A",
        ),
        (
            _month(60),
            "",
            "",
            "INT/2231",
            "Detective constable",
            "Intelligence that Mother's partner had been violent to a previous partner.",
            "",
            "Not shared: held on the intelligence system only",
            "medium",
            "",
            "Mother's partner",
        ),
    ]


def _childrens_rows() -> list[tuple[str, ...]]:
    return [
        (
            _day(94),
            "",
            "",
            "CSC/REF/5520",
            "Duty social worker",
            "Police referral received about Child A crying and the earlier call-out.",
            "Decided no further action after a phone call with Mother",
            "",
            "high",
            "Yes",
            "Child A; Mother",
        ),
        (
            _day(20),
            "",
            _day(10),
            "CSC/AS/5521",
            "Social worker",
            "Child and family assessment after the hospital admission.",
            "Strategy discussion held; child protection enquiry",
            "",
            "high",
            "",
            "Child A; Mother; Mother's partner",
        ),
    ]


HEALTH_ENTRIES = [
    (
        "about " + _month(180).split()[1],
        "",
        "MAT/0007",
        "Community midwife",
        "Booking appointment: Mother said she felt supported by her partner.",
        "Routine antenatal care",
        "",
        "low",
        [],
    ),
    (
        _day(151),
        "",
        "HV/2210",
        "Health visitor",
        "Police told the health visitor of a call to the flat after a neighbour reported shouting.",
        "",
        "Information noted; no home visit arranged",
        "medium",
        ["Mother"],
    ),
    (
        _day(30),
        "10:15",
        "ED/88120",
        "Emergency department doctor",
        "Child A brought in with unexplained bruising.",
        "Admitted; safeguarding referral made",
        "",
        "high",
        ["Child A"],
    ),
]


def _csv(rows: list[tuple[str, ...]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")  # noqa: SIM115
    with handle:
        handle.write(out.getvalue())
    return Path(handle.name)


def _upload(chronology: Chronology, author: Actor, review_id: uuid.UUID, name: str, path: Path) -> str:
    """Check a file as the gateway does and stage, finish and (when clean) import it: its final state."""
    rules = run_at_once(chronology.check_rules(author, review_id))
    context = CheckContext(today=today_in_england(), born_on=rules.born_on, people=rules.spellings)
    upload = run_at_once(
        chronology.start_upload(
            author, StartUpload(review_id=review_id, filename=name, size_bytes=path.stat().st_size)
        )
    )
    entries: list[ChronologyEntry] = []
    problems: list[ProblemView] = []
    warnings: list[ProblemView] = []
    for item in check_file(path, filename=name, context=context):
        if isinstance(item, Problem):
            view = ProblemView(row=item.row, column=item.column, message=item.message, warning=item.warning)
            (warnings if item.warning else problems).append(view)
        elif not problems:
            entries.append(item)
    if entries and not problems:
        run_at_once(chronology.stage_entries(author, upload.id, entries, len(entries)))
    finished = run_at_once(chronology.finish_check(author, upload.id, problems, warnings, len(entries)))
    if finished.state == "ready":
        finished = run_at_once(chronology.import_upload(author, upload.id))
    path.unlink(missing_ok=True)
    return finished.state


def _publish_as_health_system(
    chronology: Chronology, admin: Actor, health: uuid.UUID, review_id: uuid.UUID
) -> bool:
    """Issue the health system a connection and publish its entries with it, as its own system would."""
    from kombu import Connection

    try:
        issued = run_at_once(
            chronology.issue_connection(
                admin, IssueConnection(agency_id=health, name="Health records system")
            )
        )
    except Exception as error:  # the broker's management API is not there (a broker without the plugin)
        print(f"  (the health system's entries were not published: {type(error).__name__})", flush=True)
        return False
    entries = [
        {
            "occurred": occurred,
            **({"time": at} if at else {}),
            "source_record": record,
            "practitioner_role": role,
            "event": event,
            **({"action": action} if action else {"no_action_reason": reason}),
            "significance": significance,
            "people": people,
        }
        for occurred, at, record, role, event, action, reason, significance, people in HEALTH_ENTRIES
    ]
    with Connection(
        hostname=issued.host,
        port=issued.port,
        virtual_host=issued.virtual_host,
        userid=issued.username,
        password=issued.password,
        transport_options={"confirm_publish": True},
        connect_timeout=10,
    ) as connection:
        connection.Producer().publish(
            json.dumps({"review_id": str(review_id), "entries": entries}),
            exchange=issued.exchange,
            routing_key="",
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=f"demo-health-{review_id}",
            user_id=issued.username,
            declare=[],
            retry=False,
        )
    return True


def _wait(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"seed-demo: {what} did not happen within {timeout:.0f} s")
        time.sleep(0.3)


def seed_chronology(
    settings: OperatorSettings,
    review_id: uuid.UUID,
    partnership_id: uuid.UUID,
    agency_id_of: Callable[[str], uuid.UUID],
    person_of: Callable[[str, str], str | None],
) -> None:
    """The infant's review's chronologies, as the story above tells them (skipped if already there)."""
    police, health, childrens = (
        agency_id_of("Northbridge Police"),
        agency_id_of("Northbridge Health ICB"),
        agency_id_of("Northbridge Children's Services"),
    )

    def actor(role: str, agency: uuid.UUID | None = None, agency_name: str = "") -> Actor:
        return Actor(
            user_id=person_of(role, agency_name) or f"system:seed-demo:{role}",
            partnership_id=partnership_id,
            agency_id=agency,
            roles=frozenset({role}),
            reviews=frozenset({review_id}),
        )

    manager = actor(Role.BUSINESS_MANAGER)
    police_author = actor(Role.AGENCY_AUTHOR, police, "Northbridge Police")
    childrens_lead = actor(Role.AGENCY_LEAD, childrens, "Northbridge Children's Services")
    admin = actor(Role.PARTNERSHIP_ADMIN)
    with service_client(settings, Chronology) as chronology:

        def knows_agencies() -> bool:
            try:
                return run_at_once(chronology.check_rules(police_author, review_id)).agency_id is not None
            except Exception:
                return False

        # The chronology service learns of the review and the agencies asked from forms' events.
        _wait(knows_agencies, "the chronology service learning of the infant's review")
        if run_at_once(chronology.uploads_of_review(manager, review_id)):
            return
        born = today_in_england() - timedelta(days=160)
        # What else identifies them (all made up): a report's publication copy is checked for each.
        home = {"address": "4 Demo Terrace, Northbridge", "postcode": "NB1 2DM"}
        for label, name, role, born_on, subject, identifiers in (
            (
                "Child A",
                "Amelia Demo-Infant",
                "Subject child",
                born,
                True,
                {**home, "nhs_number": "999 000 1022", "record_numbers": ["NB-CS-000417"]},
            ),
            ("Mother", "Bea Demo-Parent", "Mother", None, False, home),
            ("Mother's partner", "Cal Demo-Partner", "Mother's partner", None, False, {}),
        ):
            run_at_once(
                chronology.add_person(
                    manager,
                    AddPerson.model_validate(
                        {
                            "review_id": review_id,
                            "label": label,
                            "name": name,
                            "role_in_family": role,
                            "born_on": born_on,
                            "subject": subject,
                            **identifiers,
                        }
                    ),
                )
            )
        _upload(
            chronology, police_author, review_id, "police-chronology.csv", _csv(_police_rows(corrected=False))
        )
        _upload(
            chronology,
            police_author,
            review_id,
            "police-chronology-corrected.csv",
            _csv(_police_rows(corrected=True)),
        )
        _upload(
            chronology,
            childrens_lead,
            review_id,
            "childrens-services-chronology.csv",
            _csv(_childrens_rows()),
        )
        if _publish_as_health_system(chronology, admin, health, review_id):
            _wait(
                lambda: any(
                    u.source == "system"
                    for u in run_at_once(chronology.uploads_of_review(manager, review_id))
                ),
                "the health system's entries being applied",
            )
        page = run_at_once(chronology.chronology_of_review(manager, review_id, ChronologyQuery(limit=100)))
        learning = {
            "PNC/DA/1041": "The first call-out was assessed on its own: nobody asked about the baby.",
            "CSC/REF/5520": "The referral was closed after a phone call, without seeing Child A.",
        }
        for entry in page.entries:
            record = entry.source.split(": ", 1)[-1]
            if record in learning:
                run_at_once(
                    chronology.tag_episode(
                        manager, review_id, TagEpisode(entry_id=entry.id, learning=learning[record])
                    )
                )
