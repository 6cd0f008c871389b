"""A report written together in Chromium, on a system of its own whose processes the test kills: the business
manager begins the demo infant review's rapid review report and gives its first section to the police; the
manager, the independent reviewer and the police lead type into the same paragraph at once in three browser
contexts and converge to the same text, each seeing the others' carets. The reports service is SIGKILLed while
the police type (their words wait in the gateway and are kept once it is back); the gateway is SIGKILLed while
the manager types offline (the page sends it on reconnecting). Then every page is closed, the gateway and the
reports service are SIGKILLed and restarted, and a fresh page (and one without JavaScript) shows every word: a
page kept open would have pushed its own copy back and proved nothing.

Screenshots: tests/browser/screenshots/reports-NN-*.png; every page checked with axe-core and for CSP errors.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, expect

from caserev.supervisor import read_procfile
from tests.browser.conftest import BUSINESS_MANAGER, SCREENSHOTS, Pages, new_context, sign_in
from tests.e2e.test_agency_returns import POLICE, agency_id
from tests.support.infra import PrivateRabbit, free_port, isolated_database
from tests.support.system import Process, SystemEnv, caserev, system_env, wait_for

REVIEWER = "reviewer@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
DESKTOP = {"width": 1280, "height": 900}
# What Chromium logs while the gateway is down: the sections' websockets and the header's event stream fail.
SOCKET_FAILURE = re.compile(
    r"WebSocket connection to .* failed"
    r"|net::ERR_(CONNECTION_REFUSED|INCOMPLETE_CHUNKED_ENCODING|CONNECTION_RESET) \(.*/notifications/stream\)"
)


class RabbitWithManagement(PrivateRabbit):
    """A private node with the management API on a port of its own: the demo gives an agency's system broker
    credentials through it (services/chronology/agency_systems.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.management_port = free_port()
        (self.base_dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        with (self.base_dir / "rabbitmq.conf").open("a") as conf:
            conf.write(f"management.tcp.port = {self.management_port}\nmanagement.tcp.ip = 127.0.0.1\n")

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"


@pytest.fixture(scope="module")
def own_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SystemEnv, dict[str, Process]]]:
    """Every Procfile process started one by one (so that the test can kill any), migrated and seeded, on a
    broker of its own (a test that kills processes keeps its load off the machine's shared broker)."""
    with isolated_database() as db_name, RabbitWithManagement() as rabbit:
        system = system_env(
            db_name,
            rabbit.amqp_uri,
            Path(tmp_path_factory.mktemp("reports-system")),
            CASEREV_CHRONOLOGY_BROKER_MANAGEMENT_URL=rabbit.management_url,
        )
        caserev(system, "migrate")
        started = {p.name: Process(system, p.name).start() for p in read_procfile()}
        try:
            healthy(system, started)
            caserev(system, "seed-demo", timeout=300)
            yield system, started
        finally:
            for process in started.values():
                process.stop()


def healthy(system: SystemEnv, started: dict[str, Process], timeout: float = 120) -> None:
    def answers() -> bool:
        for name, process in started.items():
            if not process.running:
                raise AssertionError(f"{name} exited:\n{process.log_tail()}")
        try:
            return httpx.get(system.gateway_url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout=timeout, interval=0.5, message="every process to report healthy")


def editor_of(pages: Pages, section: str) -> Locator:
    return pages.page.locator(f'[data-report-section="{section}"] .report-editor')


def text_of(pages: Pages, section: str) -> str:
    """The section's text in one page, paragraph by paragraph, without the others' carets and names."""
    return editor_of(pages, section).evaluate(
        """(editor) => {
            const copy = editor.cloneNode(true)
            copy.querySelectorAll('.collaboration-carets__caret').forEach((caret) => caret.remove())
            return [...copy.children].map((block) => block.textContent).join('\\n')
        }"""
    )


def status_of(pages: Pages, section: str) -> Locator:
    return pages.page.locator(f"#section-{section}-status")


def without_socket_failures(pages: Pages) -> None:
    """Forget the console's connection failures, which are expected while the gateway is down."""
    pages.console[:] = [line for line in pages.console if not SOCKET_FAILURE.search(line)]


def signed_in_context(browser: Browser, system: SystemEnv, email: str) -> BrowserContext:
    context = new_context(browser, viewport=DESKTOP)
    sign_in(context, system, email)
    return context


@pytest.mark.timeout(1500)
def test_three_people_write_one_paragraph_at_once_and_nothing_is_lost_when_the_processes_die(
    browser: Browser, own_system: tuple[SystemEnv, dict[str, Process]]
) -> None:
    system, started = own_system
    contexts = [
        signed_in_context(browser, system, email) for email in (BUSINESS_MANAGER, REVIEWER, POLICE_LEAD)
    ]
    try:
        manager, reviewer, police = (
            Pages(context.new_page(), system.gateway_url, prefix="reports-") for context in contexts
        )
        page = manager.page
        manager.goto("/reviews")
        page.get_by_role("link", name=re.compile("NB-2026-014")).first.click()
        page.get_by_role("link", name="Reports written together").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        manager.check("01-no-reports-yet")
        page.get_by_label("Rapid review report").check()
        page.get_by_role("button", name="Begin the document").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Rapid review report")
        section = page.locator("[data-report-section]").first.get_attribute("data-report-section")
        assert section
        document_path = page.url.removeprefix(system.gateway_url)

        # The section goes to the police (the reports service knows the demo's agencies from identity events).
        police_agency = str(agency_id(POLICE))

        def knows_the_police() -> bool:
            page.reload()
            return page.locator(f'#assigned_agency_id-{section} option[value="{police_agency}"]').count() > 0

        wait_for(knows_the_police, timeout=30, interval=1, message="the reports service to know the police")
        page.locator(f"#section-{section} summary").click()
        page.locator(f"#assigned_agency_id-{section}").select_option(police_agency)
        page.locator(f"#section-{section}").get_by_role("button", name="Save who writes this section").click()
        expect(page.locator(f"#section-{section}")).to_contain_text("Written by Northbridge Police")

        for pages in (manager, reviewer, police):
            if pages is not manager:
                pages.goto(document_path)
            expect(editor_of(pages, section)).to_be_visible()
            expect(status_of(pages, section)).to_have_text("All changes saved")
        manager.check("02-document-live")

        # One paragraph begun by the manager, then all three type into it at once.
        editor_of(manager, section).click()
        page.keyboard.type("Agencies involved:")
        for pages in (reviewer, police):
            expect(editor_of(pages, section)).to_contain_text("Agencies involved:")
            editor_of(pages, section).click()
            pages.page.keyboard.press("End")
        words = [
            (manager, " manager-one manager-two manager-three"),
            (reviewer, " reviewer-one reviewer-two reviewer-three"),
            (police, " police-one police-two police-three"),
        ]
        for index in range(3):
            for pages, text in words:
                # Word by word in turn: no one waits to see the others' words before typing the next.
                pages.page.keyboard.type(re.findall(r" \S+", text)[index])
        texts = converged(
            manager,
            reviewer,
            police,
            section=section,
            containing=[word for _, text in words for word in text.split()],
        )
        assert texts.count("Agencies involved:") == 1
        for pages in (manager, reviewer, police):
            expect(status_of(pages, section)).to_have_text("All changes saved")
        expect(page.locator(".collaboration-carets__label").first).to_be_visible()
        manager.check("03-three-editors-converged")
        police.check("04-police-sees-the-others-carets")

        # The reports service dies while the police type: their words wait in the gateway, then are kept.
        started["reports"].kill()
        police.page.keyboard.type(" typed-while-the-store-was-down")
        expect(status_of(police, section)).to_have_text("Saving…")
        started["reports"].start().wait_metrics()
        expect(status_of(police, section)).to_have_text("All changes saved", timeout=30_000)

        # The gateway dies while the manager types: the page keeps it and sends it on reconnecting.
        started["gateway"].kill()
        expect(status_of(manager, section)).to_contain_text("Offline", timeout=10_000)
        editor_of(manager, section).click()
        page.keyboard.press("End")
        page.keyboard.type(" typed-offline")
        manager.page.screenshot(path=str(SCREENSHOTS / "reports-05-offline.png"))
        started["gateway"].start()
        healthy(system, started)
        everything = [
            "Agencies involved:",
            *[word for _, text in words for word in text.split()],
            "typed-while-the-store-was-down",
            "typed-offline",
        ]
        try:
            converged(manager, reviewer, police, section=section, containing=everything, timeout=60)
        except AssertionError:
            statuses = [status_of(pages, section).inner_text() for pages in (manager, reviewer, police)]
            print(f"statuses: {statuses}\ngateway:\n{started['gateway'].log_tail(80)}")
            raise
        for pages in (manager, reviewer, police):
            expect(status_of(pages, section)).to_have_text("All changes saved", timeout=30_000)
            without_socket_failures(pages)
        manager.check("06-reconnected-and-saved")
        final = text_of(manager, section)

        # Every page closed first, then both processes killed and restarted: only the store can tell now.
        for context in contexts:
            for open_page in context.pages:
                open_page.close()
        started["gateway"].kill()
        started["reports"].kill()
        started["reports"].start().wait_metrics()
        started["gateway"].start()
        healthy(system, started)
        fresh = Pages(contexts[0].new_page(), system.gateway_url, prefix="reports-")
        fresh.goto(document_path)
        expect(editor_of(fresh, section)).to_be_visible(timeout=15_000)
        assert text_of(fresh, section) == final, "the fresh page shows what the last editors saw"
        fresh.check("07-fresh-page-after-both-were-killed")

        # Without JavaScript the page draws the saved text itself.
        plain = new_context(
            browser, viewport=DESKTOP, java_script_enabled=False, storage_state=contexts[0].storage_state()
        )
        try:
            no_script = Pages(plain.new_page(), system.gateway_url, prefix="reports-")
            no_script.goto(document_path)
            drawn = no_script.page.locator(f'[data-report-section="{section}"]')
            for line in final.split("\n"):
                expect(drawn).to_contain_text(line.strip())
            # axe-core cannot run where scripts are off; the same page was checked with them on (07).
            no_script.page.screenshot(
                path=str(SCREENSHOTS / "reports-08-without-javascript.png"), full_page=True
            )
        finally:
            plain.close()
    finally:
        for context in contexts:
            context.close()


def converged(*editors: Pages, section: str, containing: list[str], timeout: float = 20) -> str:
    """Wait until every editor shows the same text holding every expected word; that text."""

    def same() -> str | None:
        texts = {text_of(pages, section) for pages in editors}
        if len(texts) == 1:
            (text,) = texts
            if all(word in text for word in containing):
                return text
        return None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = same()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(
        "the editors did not converge: "
        + repr([text_of(pages, section) for pages in editors])
        + f", expected each to hold {containing}"
    )
