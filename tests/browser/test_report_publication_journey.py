"""A report's publication copy in Chromium: the business manager adds a (synthetic) person with their date of
birth and school to the infant review's people register, begins a learning brief and types a paragraph naming
them, downloads the document as Word, builds the publication copy (the name replaced by the pseudonym), is
refused when marking it ready with the places left listed in the error summary, follows a finding's link to
its block, changes it, and marks the copy ready. Then the copy downloads as PDF without the person's name.

Screenshots: tests/browser/screenshots/publication-NN-*.png; every page checked with axe-core and for CSP
errors.
"""

from __future__ import annotations

import re
import uuid

import docx
import pypdf
from playwright.sync_api import expect

from tests.browser.conftest import Pages
from tests.support.system import SystemEnv

RUN = uuid.uuid4().hex[:4].upper()
PSEUDONYM = f"Child Q{RUN}"


def test_the_manager_builds_checks_corrects_and_readies_a_publication_copy(
    manager: Pages, system: SystemEnv
) -> None:
    manager.prefix = "publication-"
    page = manager.page
    manager.goto("/reviews")
    page.get_by_role("link", name=re.compile(r"NB-2026-014")).first.click()
    review_path = re.sub(r"^https?://[^/]+", "", page.url).split("#")[0].rstrip("/")

    # The people register holds what identifies the person.
    manager.goto(review_path + "/chronology/people")
    page.get_by_label("Pseudonym").fill(PSEUDONYM)
    page.get_by_label("Full name").fill("Orla Penhaligon")
    page.get_by_label("Role in the family").fill("Sibling")
    page.get_by_label("Date of birth (optional)").fill("2018-07-14")
    page.get_by_label("School, nursery or college (optional)").fill("Fernhill Infant School")
    page.get_by_role("button", name="Add to the register").click()
    expect(page.locator("#people-register")).to_contain_text("School: Fernhill Infant School")
    manager.check("01-register")

    # A learning brief naming them.
    manager.goto(review_path + "/reports")
    page.get_by_label("Learning brief").check()
    page.get_by_label("Title (optional)").fill(f"Learning brief {RUN}")
    page.get_by_role("button", name="Begin the document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Learning brief {RUN}")
    section = page.locator("[data-report-section]").first.get_attribute("data-report-section")
    editor = page.locator(f'[data-report-section="{section}"] .report-editor')
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type(
        "Orla was seen at Fernhill Infant School on 14 July 2018's anniversary. Penhaligon family."
    )
    expect(page.locator(f"#section-{section}-status")).to_have_text("All changes saved", timeout=15_000)
    manager.check("02-document-with-downloads")
    with page.expect_download() as word:
        page.locator("#report-downloads").get_by_role("link", name="Word").click()
    paragraphs = [p.text for p in docx.Document(str(word.value.path())).paragraphs]
    assert f"Learning brief {RUN}" == paragraphs[0] and any("Orla was seen" in p for p in paragraphs)

    # The copy: the name replaced, the rest listed in the error summary.
    page.get_by_role("link", name="publication copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publication copy")
    manager.check("03-no-copy-yet")
    page.get_by_role("button", name="Build the publication copy").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The copy still identifies people in 2 places")
    expect(summary).to_contain_text("School “Fernhill Infant School”")
    expect(summary).to_contain_text("Date of birth “14 July 2018”")
    expect(page.locator("main")).to_contain_text(f"{PSEUDONYM} was seen at")
    expect(page.locator("main")).not_to_contain_text("Orla")
    manager.check("04-copy-with-findings")

    page.get_by_role("button", name="Mark the copy ready").click()
    expect(summary).to_contain_text("The copy cannot be marked ready: it still identifies people in 2 places")
    manager.check("05-ready-refused")

    # A finding's link leads to its block; the block is changed on a page of its own (no script needed).
    summary.get_by_role("link", name=re.compile("School")).click()
    assert page.url.endswith(f"#block-{section}-1")
    page.locator(f"#block-{section}-1").get_by_role("link", name=re.compile("Change")).click()
    expect(page.get_by_label("Change block 1")).to_have_value(re.compile("Fernhill Infant School"))
    page.get_by_label("Change block 1").fill("")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the text of this part of the copy")
    manager.check("06-block-empty-refused")
    page.get_by_label("Change block 1").fill(f"{PSEUDONYM} was seen at school. The family was known.")
    page.get_by_role("button", name="Save the change").click()

    page.get_by_role("button", name="Mark the copy ready").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The publication copy is ready")
    expect(page.locator("#publication-status")).to_contain_text("Ready")
    manager.check("07-copy-ready")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf.value.path()).pages)
    assert f"{PSEUDONYM} was seen at school." in text and "Orla" not in text and "Penhaligon" not in text
