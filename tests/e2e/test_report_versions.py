"""Named versions of a report on the real system, through the gateway: the business manager begins the demo
infant review's rapid review report, gives its first section to the police (shared with health to read), and
names versions of it. What changed between two texts is drawn for a page without JavaScript, with words
inserted and deleted marked; restoring a version reaches a police editor's open websocket at once and the page
then reads as the version; an agency, another partnership and a member of the review with no section are
refused what is not theirs; a version the partners signed off is locked, neither renamed nor deleted; a
version downloads as Word and PDF with its own text, for whoever may read it and nobody else."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Iterator

import docx
import pypdf
import pytest
from pycrdt import (
    Doc,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    read_message,
)
from websockets.sync.client import ClientConnection

from services.reports import yjs_text
from tests.e2e.helpers import Database, SignedIn, sign_in
from tests.e2e.signing_off import PARTNER, call, partner
from tests.e2e.test_agency_returns import HEALTH, HEALTH_LEAD, MANAGER, POLICE, POLICE_LEAD, agency_id
from tests.e2e.test_reports import EASTMOOR_MANAGER, SUBGROUP, Report, open_socket
from tests.support.system import SystemEnv, wait_for
from tests.unit.test_reports_domain import typed

REVIEWER = "reviewer@northbridge.example"


@pytest.fixture(scope="module")
def report(system: SystemEnv) -> Iterator[Report]:
    """A rapid review report of its own (the reports tests' fixture is theirs), first section the police's."""
    manager = sign_in(system, MANAGER)
    reviews = manager.client.get("/reviews").text
    found = re.search(r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', reviews)
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    begun = manager.post_form(
        f"/reviews/{review}/reports", {"kind": "rapid_review_report", "title": "Versions test report"}
    )
    assert begun.status_code == 303, begun.text[:2000]
    document = begun.headers["location"].rsplit("/", 1)[1]
    page = manager.client.get(f"/reviews/{review}/reports/{document}").text
    sections = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)
    police, health = agency_id(POLICE), agency_id(HEALTH)
    wait_for(
        lambda: str(police) in manager.client.get(f"/reviews/{review}/reports/{document}").text,
        timeout=30,
        message="the reports service to know the demo's agencies",
    )
    assigned = manager.post_form(
        f"/reviews/{review}/reports/{document}/sections/{sections[0]}/assignment",
        {"assigned_agency_id": str(police), "shared_with_agency_ids": [str(health)]},
    )
    assert assigned.status_code == 303, assigned.text[:2000]
    yield Report(review, document, sections)


def versions_of(report: Report) -> str:
    return report.page + "/versions"


class Editor:
    """A websocket on a section kept in step with the server in a local document, as a page's editor is."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.doc: Doc = Doc()
        socket.send(create_sync_message(self.doc))  # ask for everything the server holds

    def read(self, seconds: float = 1) -> None:
        """Apply what arrives within `seconds` (the server's state, relayed and restored updates)."""
        try:
            while True:
                message = self.socket.recv(timeout=seconds)
                if (
                    isinstance(message, bytes)
                    and message[0] == YMessageType.SYNC
                    and message[1] in (YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE)
                ):
                    self.doc.apply_update(read_message(message[2:]))
        except TimeoutError:
            return

    def write(self, text: str) -> None:
        self.socket.send(create_update_message(typed(self.doc, "paragraph", text)))

    def texts(self) -> list[str]:
        return [block.text for block in yjs_text.blocks(self.doc.get_update())]


def name(person: SignedIn, report: Report, version: str) -> str:
    """Name a version; its id."""
    named = person.post_form(versions_of(report), {"name": version, "form_token": str(uuid.uuid4())})
    assert named.status_code == 303, named.text[:2000]
    listed = person.client.get(named.headers["location"]).text
    found = re.search(
        rf'href="{versions_of(report)}/([0-9a-f-]{{36}})">{re.escape(html.escape(version))}<', listed
    )
    assert found, f"the version {version!r} is listed"
    return found.group(1)


def shows(person: SignedIn, report: Report, words: str) -> bool:
    return words in html.unescape(person.client.get(report.page).text)


def test_name_compare_and_restore_reaching_an_open_editor(
    system: SystemEnv, report: Report, db: Database
) -> None:
    manager, police = sign_in(system, MANAGER), sign_in(system, POLICE_LEAD)
    first = f"Officers attended twice in March ({uuid.uuid4().hex[:6]})."
    later = f"A later paragraph the version does not hold ({uuid.uuid4().hex[:6]})."
    with open_socket(system, police, report.sync(0)) as socket:
        editor = Editor(socket)
        editor.read()
        editor.write(first)
        wait_for(lambda: shows(manager, report, first), timeout=20, message="the police's words kept")
        version = name(manager, report, "For factual accuracy")
        listing = html.unescape(manager.client.get(versions_of(report)).text)
        assert "For factual accuracy" in listing and "Alex Demo-Manager" in listing, "who named it, listed"
        editor.write(later)
        wait_for(lambda: shows(manager, report, later), timeout=20, message="the later words kept")

        # What changed, for a page without JavaScript: the later paragraph added, marked as inserted.
        compared = manager.client.get(
            versions_of(report) + "/compare", params={"earlier": version, "later": "current"}
        )
        assert compared.status_code == 200, compared.text[:2000]
        page = html.unescape(compared.text)
        assert "1 section changed" in page
        assert "Added paragraph" in page
        assert f'<span class="govuk-visually-hidden">[inserted: </span>{later}' in page
        reverse = html.unescape(
            manager.client.get(
                versions_of(report) + "/compare", params={"earlier": "current", "later": version}
            ).text
        )
        assert f'<span class="govuk-visually-hidden">[deleted: </span>{later}' in reverse

        # Restore, asked first, as a new edit: the police's open editor receives it at once.
        assert manager.client.get(f"{versions_of(report)}/{version}/restore").status_code == 200
        updates_before = db.scalar(
            "SELECT count(*) FROM reports.section_update WHERE section_id = %s", (report.sections[0],)
        )
        restored = manager.post_form(
            f"{versions_of(report)}/{version}/restore", {"form_token": str(uuid.uuid4())}
        )
        assert restored.status_code == 303, restored.text[:2000]
        assert "restored=" in restored.headers["location"]

        def restored_live() -> bool:
            editor.read(seconds=0.5)
            return editor.texts() == [first]

        wait_for(restored_live, timeout=10, message="the restored text reaching the police's open editor")
        # The restore is one update of its own, by the manager, appended: nothing stored was rewritten.
        appended = db.rows(
            "SELECT saved_by FROM reports.section_update WHERE section_id = %s ORDER BY id",
            (report.sections[0],),
        )
        assert len(appended) == updates_before + 1
        assert appended[-1][0] == db.scalar("SELECT named_by FROM reports.version WHERE id = %s", (version,))

    # Reloaded, the page reads as the version; the restore was appended by the manager, nothing rewritten.
    police_page = html.unescape(police.client.get(report.page).text)
    assert first in police_page and later not in police_page
    after = html.unescape(
        manager.client.get(
            versions_of(report) + "/compare", params={"earlier": version, "later": "current"}
        ).text
    )
    assert "Nothing changed in the sections you can read." in after
    events = db.rows(
        "SELECT event_type, envelope::text FROM reports.outbox WHERE event_type LIKE 'reports.version_%%' "
        "AND envelope->'data'->>'version_id' = %s ORDER BY id",
        (version,),
    )
    assert [e[0] for e in events] == ["reports.version_named", "reports.version_restored"]
    assert all(first not in e[1] for e in events), "events carry no text of the report"


def test_agencies_read_versions_of_their_sections_only_and_change_none(
    system: SystemEnv, report: Report
) -> None:
    manager = sign_in(system, MANAGER)
    version = name(manager, report, f"Readers {uuid.uuid4().hex[:6]}")
    police, health = sign_in(system, POLICE_LEAD), sign_in(system, HEALTH_LEAD)
    for agency in (police, health):
        listed = agency.client.get(versions_of(report))
        assert listed.status_code == 200 and "Name this version" not in listed.text
        text = html.unescape(agency.client.get(f"{versions_of(report)}/{version}").text)
        assert "Partnership and authorities" in text and "The incident" not in text
        assert "Restore this version" not in text
        compared = html.unescape(agency.client.get(versions_of(report) + "/compare").text)
        assert "Partnership and authorities" in compared and "The incident" not in compared
        refused = [
            agency.post_form(versions_of(report), {"name": "Agency's own"}).status_code,
            agency.client.get(f"{versions_of(report)}/{version}/restore").status_code,
            agency.post_form(f"{versions_of(report)}/{version}/restore").status_code,
            agency.post_form(f"{versions_of(report)}/{version}/delete").status_code,
            agency.post_form(f"{versions_of(report)}/{version}/name", {"name": "Renamed"}).status_code,
        ]
        assert refused == [403] * 5, f"{agency.email}: {refused}"


@pytest.mark.parametrize("who", [SUBGROUP, EASTMOOR_MANAGER])
def test_whoever_has_no_part_in_the_document_finds_no_version(
    system: SystemEnv, report: Report, who: str
) -> None:
    version = name(sign_in(system, MANAGER), report, f"Outsiders {uuid.uuid4().hex[:6]}")
    outsider = sign_in(system, who)
    statuses = [
        outsider.client.get(versions_of(report)).status_code,
        outsider.client.get(f"{versions_of(report)}/{version}").status_code,
        outsider.client.get(versions_of(report) + "/compare").status_code,
    ]
    assert set(statuses) <= {403, 404} and 200 not in statuses, statuses


def test_a_name_is_needed_once_and_a_locked_version_stays(system: SystemEnv, report: Report) -> None:
    reviewer = sign_in(system, REVIEWER)
    empty = reviewer.post_form(versions_of(report), {"name": "  "})
    assert empty.status_code == 422 and "Name the version" in empty.text
    version = name(reviewer, report, "Final to the Panel")
    again = reviewer.post_form(versions_of(report), {"name": "final to the panel"})
    assert again.status_code == 422 and "Another version of this document has this name" in html.unescape(
        again.text
    )
    # No manual lock: the three partners' sign-off locks the version.
    assert reviewer.post_form(f"{versions_of(report)}/{version}/lock").status_code in (404, 405)
    assert "Not yet" in reviewer.client.get(f"{versions_of(report)}/{version}").text
    assert sign_in(system, PARTNER).post_form(f"{versions_of(report)}/{version}/sign-off").status_code == 303
    call(system, "sign_off_version", partner(POLICE), version)
    call(system, "sign_off_version", partner(HEALTH), version)
    page = html.unescape(reviewer.client.get(f"{versions_of(report)}/{version}").text)
    assert "Locked" in page and "cannot be renamed or deleted" in page
    assert reviewer.post_form(f"{versions_of(report)}/{version}/delete").status_code == 409
    assert reviewer.post_form(f"{versions_of(report)}/{version}/name", {"name": "Other"}).status_code == 409
    spare = name(reviewer, report, f"Spare {uuid.uuid4().hex[:6]}")
    deleted = reviewer.post_form(f"{versions_of(report)}/{spare}/delete")
    assert deleted.status_code == 303
    assert reviewer.client.get(f"{versions_of(report)}/{spare}").status_code == 404


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_an_older_version_downloads_with_its_own_text_for_its_readers_only(
    system: SystemEnv, report: Report, db: Database
) -> None:
    manager, police = sign_in(system, MANAGER), sign_in(system, POLICE_LEAD)
    # Beyond Latin-1 (curly quotes, a dash, Polish and Welsh letters): kept in the PDF as written.
    then = f"Officers visited “Mrs Wałęsa’s” flat on Stryd Llŷr — twice ({uuid.uuid4().hex[:6]})."  # noqa: RUF001
    since = f"Written after the version was named ({uuid.uuid4().hex[:6]})."
    with open_socket(system, police, report.sync(0)) as socket:
        editor = Editor(socket)
        editor.read()
        editor.write(then)
        wait_for(lambda: shows(manager, report, then), timeout=20, message="the police's words kept")
        version = name(manager, report, f"Sent to the Panel {uuid.uuid4().hex[:6]}")
        editor.write(since)
        wait_for(lambda: shows(manager, report, since), timeout=20, message="the later words kept")

    file = f"{versions_of(report)}/{version}/export"
    listing = manager.client.get(versions_of(report)).text
    assert f'href="{file}.docx"' in listing and f'href="{file}.pdf"' in listing, "each version's downloads"
    assert f'href="{file}.pdf"' in manager.client.get(f"{versions_of(report)}/{version}").text

    word = manager.client.get(file + ".docx")
    assert word.status_code == 200, word.text[:2000]
    assert word.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "sent-to-the-panel" in word.headers["content-disposition"], "named after the version"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert then in paragraphs, "the version's text"
    assert since not in paragraphs, "not what was written after it was named"
    assert "Northbridge" in paragraphs[1], "headed by the review's partnership"

    pdf = manager.client.get(file + ".pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert then in text and since not in text

    # The police read their own section of the version (and only it); health, with it shared, reads it too.
    police_pdf = _pdf_text(police.client.get(file + ".pdf").content)
    assert then in police_pdf and "The incident" not in police_pdf
    # Whoever may not read the version may not download it.
    for who in (SUBGROUP, EASTMOOR_MANAGER):
        outsider = sign_in(system, who)
        statuses = [
            outsider.client.get(file + ".docx").status_code,
            outsider.client.get(file + ".pdf").status_code,
        ]
        assert set(statuses) <= {403, 404}, f"{who}: {statuses}"
    # A version of another document is not found under this one.
    other = manager.post_form(
        f"/reviews/{report.review}/reports", {"kind": "rapid_review_report", "title": "x"}
    )
    elsewhere = other.headers["location"]
    assert manager.client.get(f"{elsewhere}/versions/{version}/export.docx").status_code == 404

    rows = db.rows(
        "SELECT action, outcome FROM audit.audit_entry WHERE record_type = 'report_version' "
        "AND record_id = %s AND action = 'export'",
        (report.document,),
    )
    assert ("export", "allowed") in rows and ("export", "denied") in rows, rows
