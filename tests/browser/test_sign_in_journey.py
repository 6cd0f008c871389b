"""Signing up and signing in, clicked through in Chromium: a partnership administrator invites a person;
the person follows the e-mailed link, creates a password, sets up an authenticator app (its codes computed
here with pyotp from the setup key the page shows), saves their recovery codes, signs out and in again, and
signs in with a recovery code, which then works no more. Also the idle time-out warning, with the page's
clock moved forward. Each page is screenshotted and checked by `Pages.check` (see conftest.py)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyotp
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    BUSINESS_MANAGER,
    PARTNERSHIP_ADMIN,
    Pages,
    fill_sign_in_form,
    new_context,
    sign_in,
)
from tests.e2e.helpers import fresh_code, wait_for
from tests.support.system import SystemEnv

DASH = "\N{EN DASH}"  # the title separator
INVITED_NAME = "Robin Example-Lead"
INVITED_EMAIL = "robin.lead@northbridge.example"
INVITED_AGENCY = "Northbridge Police"
# The start of the one sentence every refused sign-in gets, whichever part was wrong.
REFUSED = "The email address, password or security code is not right"
INVITATION_LINK = re.compile(r"https?://\S+/invitations/[\w-]+")


def desktop(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh desktop-sized context: cookies of its own."""
    return new_context(browser, viewport={"width": 1280, "height": 900}, **options)


def sign_out(pages: Pages) -> None:
    """Sign out from the header, and see the page that says so."""
    page = pages.page
    page.locator(".app-header__account").get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signed-out$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def invitation_link(pages: Pages, step: str) -> str:
    """Read the invitation to the invited person on the caught e-mail page, and return its link."""
    page = pages.page
    pages.goto("/demo/mail")
    message = page.locator("details", has=page.locator("dd", has_text=INVITED_EMAIL))

    def listed() -> bool:
        if message.count():
            return True
        page.reload()
        return False

    wait_for(listed, timeout=20, interval=0.5, message=f"the invitation to {INVITED_EMAIL} to be caught")
    expect(message).to_have_count(1)
    message.locator("summary").click()
    body = message.locator(".app-mail-body")
    expect(body).to_contain_text(INVITED_NAME)
    found = INVITATION_LINK.search(body.inner_text())
    assert found, f"no invitation link in the e-mail:\n{body.inner_text()}"
    pages.check(step)
    return found.group(0)


def expect_refused(page: Page) -> None:
    """The sign-in form again, with the one generic message, linked to the e-mail field."""
    expect(page).to_have_title(f"Error: Sign in {DASH} Case Review")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text(REFUSED)
    expect(summary.get_by_role("link")).to_have_attribute("href", "#email")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def test_an_invited_person_sets_up_their_account_and_signs_in_with_an_app_and_a_recovery_code(
    browser: Browser, system: SystemEnv
) -> None:
    # -- the administrator invites a person ---------------------------------------------------------------
    admin_context = desktop(browser)
    sign_in(admin_context, system, PARTNERSHIP_ADMIN)
    admin = Pages(admin_context.new_page(), system.gateway_url, prefix="signup-")
    page = admin.page
    admin.goto("/admin/users")
    admin.check("00-users")
    page.get_by_role("button", name="Invite a user").click()
    expect(page).to_have_url(re.compile(r"/admin/users/invite$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a user")
    admin.check("01-invite")

    # Sent empty: the summary names each field to fill in.
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"Error: Invite a user {DASH} Case Review")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter the person's full name", "Enter an email address", "Select at least one role"]
    )
    admin.check("02-invite-errors")

    page.get_by_label("Full name").fill(INVITED_NAME)
    page.get_by_label("Email address").fill(INVITED_EMAIL)
    page.get_by_role("radio", name=INVITED_AGENCY).check()
    page.get_by_role("checkbox", name="Agency safeguarding lead").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page).to_have_url(re.compile(r"/admin/users/[0-9a-f-]{36}\?done=invited$"))
    expect(page.locator("main")).to_contain_text(f"Invitation sent to {INVITED_EMAIL}")
    expect(page.locator("main")).to_contain_text("Invited")
    admin.check("03-invited")
    sign_out(admin)
    admin.check("04-signed-out")
    admin_context.close()

    # -- the invited person follows the link in the e-mail ------------------------------------------------
    context = desktop(browser)
    person = Pages(context.new_page(), system.gateway_url, prefix="signup-")
    page = person.page
    link = invitation_link(person, "05-invitation-email")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your password")
    expect(page.locator("main")).to_contain_text(f"Welcome, {INVITED_NAME}.")
    person.check("06-create-password")

    # A weak password first: refused, and the summary says what to do.
    page.get_by_label("Password", exact=True).fill("robin2024")
    page.get_by_label("Enter the password again").fill("robin2024")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"Error: Create your password {DASH} Case Review")
    expect(summary.get_by_role("link").first).to_have_text("Password must be 12 characters or more")
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#password")
    expect(page.locator("#password-error")).to_contain_text("Password must be 12 characters or more")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    person.check("07-create-password-weak")

    password = f"harbour {secrets.token_hex(3)} violet {secrets.token_hex(3)}"
    page.get_by_label("Password", exact=True).fill(password)
    # "Show" lets a person check what they typed; it is a button, so it never submits the form.
    first_field = page.locator("#password")
    expect(first_field).to_have_attribute("type", "password")
    page.locator(".govuk-password-input", has=first_field).get_by_role("button", name="Show password").click()
    expect(first_field).to_have_attribute("type", "text")
    expect(first_field).to_have_value(password)
    person.check("07b-create-password-shown")
    page.locator(".govuk-password-input", has=first_field).get_by_role("button", name="Hide password").click()
    expect(first_field).to_have_attribute("type", "password")
    page.get_by_label("Enter the password again").fill(password)
    page.get_by_role("button", name="Continue").click()

    # The authenticator app: the QR code, and the key to type for those who cannot scan it.
    expect(page).to_have_url(re.compile(r"/set-up-authenticator$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = page.locator("img.app-qr-code")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/"), "the QR code is drawn by the gateway"
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code image did not render"
    person.check("08-set-up-authenticator")
    page.get_by_text("I cannot scan the QR code").click()
    setup_key = page.locator("#setup-key")
    expect(setup_key).to_be_visible()
    secret = "".join(setup_key.inner_text().split())
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    person.check("09-set-up-authenticator-key")

    # A wrong code first: the page says so, and keeps the same key.
    page.get_by_label("Security code").fill("12345")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code your app shows")
    page.get_by_text("I cannot scan the QR code").click()
    assert "".join(page.locator("#setup-key").inner_text().split()) == secret
    person.check("10-set-up-authenticator-wrong-code")

    page.get_by_label("Security code").fill(fresh_code(system, INVITED_EMAIL, secret))
    page.get_by_role("button", name="Continue").click()

    # The recovery codes, shown once.
    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text("Your account is set up")
    codes = [
        item.strip()
        for item in page.get_by_role("list", name="Recovery codes").locator("li").all_inner_texts()
    ]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes), codes
    person.check("11-recovery-codes")

    page.get_by_role("button", name="I have saved my codes: continue").click()
    expect(page).to_have_url(re.compile(r"/reviews$"))
    expect(page.locator(".app-header__account")).to_contain_text(INVITED_NAME)
    expect(page.locator("main")).to_contain_text("There are no reviews you can see yet.")
    person.check("12-reviews")
    sign_out(person)

    # -- signing in again, with the password and a code from the app ----------------------------------------
    person.goto("/sign-in")
    fill_sign_in_form(page, INVITED_EMAIL, password, fresh_code(system, INVITED_EMAIL, secret))
    expect(page).to_have_url(re.compile(r"/reviews$"))
    expect(page.locator(".app-header__account")).to_contain_text(INVITED_NAME)
    sign_out(person)

    # -- and with a recovery code ---------------------------------------------------------------------------
    person.goto("/sign-in")
    page.get_by_role("link", name=re.compile("use a recovery code")).click()
    expect(page).to_have_url(re.compile(r"/sign-in\?recovery=1"))
    expect(page.get_by_label("Recovery code")).to_be_visible()
    person.check("13-sign-in-recovery-code")
    fill_sign_in_form(page, INVITED_EMAIL, password, codes[0].upper())  # typed in capitals: still the code
    expect(page).to_have_url(re.compile(r"/reviews$"))

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your account").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    recovery_row = page.locator(".govuk-summary-list__row", has_text="Recovery codes left")
    expect(recovery_row.locator("dd")).to_have_text("9 of 10")
    expect(page.locator(".govuk-summary-list").first).to_contain_text(INVITED_EMAIL)
    expect(page.locator(".govuk-summary-list").first).to_contain_text(INVITED_AGENCY)
    person.check("14-account")

    # -- signed in on a second device, then signed out of it from the first ---------------------------------
    second_context = desktop(browser)
    second = Pages(second_context.new_page(), system.gateway_url, prefix="signup-")
    second.goto("/sign-in?recovery=1")
    fill_sign_in_form(second.page, INVITED_EMAIL, password, codes[1])
    expect(second.page).to_have_url(re.compile(r"/reviews$"))
    person.goto("/account")
    sessions = page.locator(".govuk-summary-card")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("This device")
    person.check("14b-account-two-devices")
    sessions.get_by_role("link", name=re.compile(r"^Sign out of Chrome on Linux")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of Chrome on Linux")
    person.check("14c-sign-out-of-a-device")
    page.get_by_label("Your current password").fill(password)
    page.get_by_role("button", name="Sign out of this device").click()
    expect(page).to_have_url(re.compile(r"/account\?ended=1$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out of that device.")
    expect(sessions).to_have_count(1)
    person.check("14d-signed-out-of-a-device")
    second.page.goto(system.gateway_url + "/reviews")
    expect(second.page).to_have_url(re.compile(r"/sign-in"))
    second_context.close()
    context.close()

    # -- a used recovery code, and a wrong security code, are refused alike ----------------------------------
    stranger_context = desktop(browser)
    stranger = Pages(stranger_context.new_page(), system.gateway_url, prefix="signup-")
    page = stranger.page
    stranger.goto("/sign-in?recovery=1")
    fill_sign_in_form(page, INVITED_EMAIL, password, codes[0])
    expect_refused(page)
    expect(page.get_by_label("Recovery code")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(INVITED_EMAIL)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    stranger.check("15-recovery-code-used-again")

    stranger.goto("/sign-in")
    an_hour_ago = pyotp.TOTP(secret).at(time.time() - 3600)
    fill_sign_in_form(page, INVITED_EMAIL, password, an_hour_ago)
    expect_refused(page)
    stranger.check("16-wrong-security-code")
    stranger_context.close()


def test_the_idle_time_out_warning_lets_a_person_stay_signed_in(
    browser: Browser, system: SystemEnv, signed_in_state: Callable[[str], dict[str, Any]]
) -> None:
    """The page's clock is moved on to 90 seconds before the 20-minute idle time-out: the warning opens
    as a modal dialog; "Stay signed in" asks the gateway to keep the session (with the CSRF header) and
    closes it."""
    context = desktop(browser, storage_state=signed_in_state(BUSINESS_MANAGER))
    try:
        pages = Pages(context.new_page(), system.gateway_url, prefix="timeout-")
        page = pages.page
        page.clock.install()
        pages.goto("/account")
        dialog = page.locator("dialog#session-timeout")
        expect(dialog).not_to_be_visible()

        # Run the page's timers through 18 minutes 30 seconds, then hold its clock there, so that the
        # countdown stands still while it is read.
        loaded_at = page.evaluate("Date.now()") / 1000
        page.clock.pause_at(datetime.fromtimestamp(loaded_at + 18 * 60 + 30, UTC))
        expect(dialog).to_be_visible()
        expect(page.get_by_role("dialog", name="You will be signed out soon")).to_be_visible()
        expect(dialog.locator("[data-session-countdown]")).to_have_text("2 minutes")
        expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
        page.clock.resume()  # axe-core waits on timers of its own
        pages.check("01-warning")

        csrf = page.locator("body").get_attribute("data-csrf-token")
        with page.expect_response(re.compile(r"/session/keep-alive$")) as answer:
            dialog.get_by_role("button", name="Stay signed in").click()
        response = answer.value
        assert response.ok, response.status
        assert response.request.method == "POST"
        assert csrf and response.request.headers.get("x-csrf-token") == csrf
        expect(dialog).not_to_be_visible()
        expect(page).to_have_url(re.compile(r"/account$"))
        pages.check("02-stayed-signed-in")
    finally:
        context.close()
