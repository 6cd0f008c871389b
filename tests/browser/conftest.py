"""Playwright driving Debian's Chromium against the whole system (the end-to-end suite's `system`).

Every page a journey reaches is checked with `Pages.check(step)`: a full-page screenshot into
tests/browser/screenshots/<step>.png (to look at), axe-core with the WCAG 2.2 AA rules (no serious or
critical violation; all are printed), and no console error or Content-Security-Policy violation.

The pages run with their CSP enforced (no `bypass_csp`), so that a violation shows. axe-core is put into
each page with `page.evaluate`, which runs through the DevTools protocol and is not subject to the CSP.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

from tests.e2e.conftest import api, db, system  # noqa: F401 - the same session fixtures, re-declared here
from tests.e2e.helpers import demo_credentials, fresh_code
from tests.support.system import ROOT, SystemEnv

SCREENSHOTS = Path(__file__).parent / "screenshots"
BUSINESS_MANAGER = "business.manager@northbridge.example"
PARTNERSHIP_ADMIN = "admin@northbridge.example"
AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Recorded in every document before its own scripts run: CSP violations the page meets.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
});
"""

RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }));
}"""


@dataclass
class Pages:
    """A browser tab with its console watched, and the checks every page of a journey gets."""

    page: Page
    base_url: str
    prefix: str = ""
    console: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    # Documents answered with an error status on purpose (a form with errors is a 422): Chromium logs
    # "Failed to load resource" for them, which is not a fault of the page.
    error_documents: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console.append(f"uncaught: {error}"))
        self.page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            self.error_documents.add(response.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and where in self.error_documents:
            print(f"document answered with an error status, as expected: {message.text} ({where})")
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console.append(f"{message.type}: {message.text} ({where})")
        elif message.type == "warning":
            print(f"console warning: {message.text} ({where})")

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"

    def check(self, step: str) -> None:
        """Screenshot the page, run axe-core, and fail on serious accessibility problems, console
        errors or CSP violations. `step` names the screenshot: tests/browser/screenshots/<step>.png."""
        page = self.page
        began = time.monotonic()
        page.wait_for_load_state("load")
        name = f"{self.prefix}{step}"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if page.evaluate("typeof window.axe") == "undefined":
            page.evaluate(AXE_SOURCE)
        violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_22_AA)
        for violation in violations:
            print(f"[{name}] axe {violation['impact']}: {violation['id']}: {violation['help']}")
            for node in violation["nodes"]:
                print(f"    {node['target']}: {node['summary']}")
        csp = page.evaluate("window.__cspViolations || []")
        problems = self.console + [f"CSP: {v}" for v in csp]
        self.console.clear()
        page.evaluate("window.__cspViolations = []")
        serious = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        self.checked.append(name)
        print(f"[{name}] checked in {time.monotonic() - began:.2f}s: {len(violations)} axe violations")
        assert not serious, f"{name} ({page.url}): serious accessibility violations:\n" + json.dumps(
            serious, indent=2
        )
        assert not problems, f"{name} ({page.url}): console errors or CSP violations:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def built_assets() -> None:
    """The pages load gateway/static/dist: a bundle older than its sources would test yesterday's pages
    (the same rule as the Makefile's `assets` target)."""
    bundle = ROOT / "gateway" / "static" / "dist" / "app.js"
    newest_source = max(path.stat().st_mtime for path in (ROOT / "gateway" / "assets").iterdir())
    if not bundle.exists() or bundle.stat().st_mtime < newest_source:
        pytest.fail("gateway/static/dist is older than gateway/assets: run `make assets` first")


@pytest.fixture(scope="session")
def browser(playwright: Playwright, built_assets: None) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    # Reduced motion: the dashboard's chart is drawn at once (app.js honours it), so that screenshots
    # show the final bars rather than a frame of the animation.
    options.setdefault("reduced_motion", "reduce")
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh desktop-sized browser context (no cookies carried between tests)."""
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def pages(context: BrowserContext, system: Any) -> Pages:  # noqa: F811
    return Pages(context.new_page(), system.gateway_url)


# -- signing in ----------------------------------------------------------------------------------------------


def fill_sign_in_form(page: Page, email: str, password: str, code: str) -> None:
    """Type into the sign-in form on the page and send it (the page may show either kind of code)."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.locator("#code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def sign_in_on_page(page: Page, running: SystemEnv, email: str) -> None:
    """Sign a demo user in through the sign-in form the page shows, with a code for a step not used yet."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Case Review")
    password = demo_credentials(running)["password"]
    fill_sign_in_form(page, email, password, fresh_code(running, email))
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def sign_in(context: BrowserContext, running: SystemEnv, email: str) -> None:
    """Sign a browser context in as a demo user through the real form (its cookie then serves every page)."""
    page = context.new_page()
    try:
        page.goto(running.gateway_url + "/sign-in")
        sign_in_on_page(page, running, email)
    finally:
        page.close()


@pytest.fixture(scope="session")
def signed_in_state(browser: Browser, system: SystemEnv) -> Callable[[str], dict[str, Any]]:  # noqa: F811
    """The cookies of a demo user signed in once per test session: a TOTP step is accepted once per user,
    so a new sign-in for every test would wait up to 30 seconds for the next code."""
    states: dict[str, dict[str, Any]] = {}

    def state(email: str) -> dict[str, Any]:
        if email not in states:
            context = new_context(browser)
            try:
                sign_in(context, system, email)
                states[email] = context.storage_state()  # type: ignore[assignment]
            finally:
                context.close()
        return states[email]

    return state


@pytest.fixture
def manager(
    browser: Browser,
    system: SystemEnv,  # noqa: F811
    signed_in_state: Callable[[str], dict[str, Any]],
) -> Iterator[Pages]:
    """A desktop-sized tab signed in as Northbridge's business manager (who opens reviews)."""
    context = new_context(
        browser, viewport={"width": 1280, "height": 900}, storage_state=signed_in_state(BUSINESS_MANAGER)
    )
    yield Pages(context.new_page(), system.gateway_url)
    context.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
