"""Render every gateway template with synthetic sample data, screenshot it and check it with axe-core.

Usage (after `npm install && npm run build`, with Playwright in the virtualenv):

    python gateway/assets/preview.py [--out var/preview] [--only dashboard]

The pages are served from a temporary directory on 127.0.0.1 under the Content-Security-Policy the
gateway sends, so an inline script or style shows up here as a violation. Playwright drives Debian's
Chromium (/usr/bin/chromium; `playwright install` is not needed). The script prints, per page,
axe-core's violations, CSP violations, failed requests and JavaScript errors, writes full-page
screenshots to the output folder, and exits 1 if any page has a serious or critical accessibility
violation, a CSP violation, a failed request or a JavaScript error.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "gateway" / "templates"
STATIC = ROOT / "gateway" / "static"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the gateway will send: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
BLOCKING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@dataclass
class Page:
    """One rendering of one template: the file it becomes and how to photograph it."""

    name: str
    template: str
    context: dict[str, Any]
    viewports: tuple[str, ...] = ("desktop",)
    click: str | None = None  # a selector to click before the screenshot


@dataclass
class Findings:
    """What the browser reported about one page in one viewport."""

    axe: list[dict[str, Any]] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        serious = [v for v in self.axe if v.get("impact") in BLOCKING_IMPACTS]
        return bool(serious or self.csp or self.failed_requests or self.script_errors)


def sample_pages() -> list[Page]:
    """Synthetic contexts, shaped as the gateway's routes pass them to the templates."""
    review_types = [
        SimpleNamespace(
            code="rapid_review",
            label="Rapid review",
            hint=(
                "After a serious child safeguarding incident is notified:"
                " the report goes to the National Panel within 15 working days."
            ),
        ),
        SimpleNamespace(
            code="cspr",
            label="Child safeguarding practice review (CSPR)",
            hint="A local review the partnership decided on after a rapid review, completed within 6 months.",
        ),
        SimpleNamespace(
            code="sar",
            label="Safeguarding adults review (SAR)",
            hint="Commissioned by the Safeguarding Adults Board under section 44 of the Care Act 2014.",
        ),
        SimpleNamespace(
            code="dhr",
            label="Domestic homicide review (DHR)",
            hint="Commissioned by the community safety partnership; the Home Office approves the report.",
        ),
    ]
    partnerships = [
        SimpleNamespace(
            id="3f2c9d1e-6b1a-4c55-9a0e-1d2b3c4d5e6f", name="Northmoor Safeguarding Children Partnership"
        ),
        SimpleNamespace(id="8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d", name="Eastvale Safeguarding Adults Board"),
    ]
    form = {
        "review_types": review_types,
        "partnerships": partnerships,
        "csrf_token": "preview-csrf-token",
        "form_token": "5b0e6c1a-2f4d-4e8b-9a7c-3d1f0e2b4a6c",
    }
    dashboard_counts = [
        ("Rapid review", "Gathering agency returns", 4),
        ("Rapid review", "Awaiting decision", 2),
        ("Child safeguarding practice review (CSPR)", "Terms of reference agreed", 3),
        ("Child safeguarding practice review (CSPR)", "Drafting the overview report", 2),
        ("Child safeguarding practice review (CSPR)", "Action plan monitored", 5),
        ("Safeguarding adults review (SAR)", "Gathering agency returns", 1),
        ("Domestic homicide review (DHR)", "Awaiting Home Office approval", 1),
    ]
    counts = [SimpleNamespace(review_type_label=t, stage_label=s, count=n) for t, s, n in dashboard_counts]
    chart = json.dumps(
        {
            "labels": [f"{t}: {s}" for t, s, _ in dashboard_counts],
            "values": [n for _, _, n in dashboard_counts],
        }
    )
    messages = [
        SimpleNamespace(
            received_at="14 May 2025 at 10:42am",
            sender="Case Review <no-reply@caserev.localhost>",
            recipients="safeguarding.lead@northmoor-police.example, designated.nurse@northmoor-icb.example",
            subject="Rapid review 2025-014: agency summary due by 28 May 2025",
            body=(
                "Rapid review 2025-014 has been opened by Northmoor Safeguarding Children Partnership.\n\n"
                "Your agency is asked for an agency summary and to secure its records.\n"
                "Due: end of Wednesday 28 May 2025 (working day 10).\n\n"
                "Sign in to Case Review to complete the return:\n"
                "http://127.0.0.1:8000/reviews/2025-014/returns\n\n"
                "This message holds no details of the child or family."
            ),
        ),
        SimpleNamespace(
            received_at="14 May 2025 at 10:41am",
            sender="Case Review <no-reply@caserev.localhost>",
            recipients="business.manager@northmoor-scp.example",
            subject="Review opened: Rapid review 2025-014",
            body=(
                "You opened Rapid review 2025-014 at 10:41am on 14 May 2025.\n\n"
                "Serious Incident Notification due: end of Wednesday 21 May 2025.\n"
                "Rapid review report due: end of Wednesday 4 June 2025."
            ),
        ),
    ]
    return [
        Page("home", "home.html", {}),
        Page("reviews-new", "reviews/new.html", {**form, "values": {}, "errors": []}, ("desktop", "mobile")),
        Page(
            "reviews-new-errors",
            "reviews/new.html",
            {
                **form,
                "values": {
                    "review_type": "",
                    "partnership_id": "",
                    "title": "Rapid review 2025-014 " + "x" * 190,
                },
                "errors": [
                    {"field": "review_type", "message": "Select the type of review"},
                    {
                        "field": "partnership_id",
                        "message": "Select the partnership responsible for the review",
                    },
                    {"field": "title", "message": "Enter a title of 200 characters or fewer"},
                ],
            },
            ("desktop", "mobile"),
        ),
        Page(
            "reviews-opened",
            "reviews/opened.html",
            {
                "review": SimpleNamespace(
                    id="0f8e2b7a-5c3d-4e1f-9a6b-2c4d6e8f0a1b",
                    title="Rapid review 2025-014",
                    review_type_label="Rapid review",
                    stage_label="Notified",
                    opened_at="14 May 2025 at 10:41am",
                )
            },
        ),
        Page(
            "dashboard",
            "dashboard.html",
            {
                "counts": counts,
                "total": sum(n for *_, n in dashboard_counts),
                "chart": chart,
                "updated_at": "14 May 2025 at 10:45am",
                "partnership": partnerships[0],
                "partnerships": partnerships,
            },
            ("desktop", "mobile"),
        ),
        Page(
            "dashboard-empty",
            "dashboard.html",
            {
                "counts": [],
                "total": 0,
                "chart": json.dumps({"labels": [], "values": []}),
                "updated_at": "14 May 2025 at 10:45am",
            },
        ),
        Page(
            "demo-mail",
            "demo/mail.html",
            {"messages": messages},
            ("desktop", "mobile"),
            click='a[href="#message-1"]',
        ),
        Page("demo-mail-empty", "demo/mail.html", {"messages": []}),
        Page(
            "error-404",
            "error.html",
            {
                "status_code": 404,
                "title": "Page not found",
                "detail": "If you typed the web address, check it is correct."
                " If you pasted it, check you copied all of it.",
            },
        ),
        Page(
            "error-503",
            "error.html",
            {
                "status_code": 503,
                "title": "Sorry, the service is unavailable",
                "detail": "A part of Case Review is not answering."
                " Try again in a few minutes: nothing you saved has been lost.",
            },
        ),
    ]


def render(pages: list[Page], site: Path) -> None:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    for page in pages:
        html = env.get_template(page.template).render(page.context)
        (site / f"{page.name}.html").write_text(html, encoding="utf-8")
    (site / "static").symlink_to(STATIC, target_is_directory=True)


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves the rendered site with the gateway's Content-Security-Policy, quietly."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(site: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(PreviewHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def photograph(pages: list[Page], base_url: str, out: Path) -> dict[str, Findings]:
    from playwright.sync_api import sync_playwright

    axe_source = AXE.read_text(encoding="utf-8")
    results: dict[str, Findings] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for page_spec in pages:
                for viewport_name in page_spec.viewports:
                    desktop = viewport_name == "desktop"
                    key = page_spec.name if desktop else f"{page_spec.name}-{viewport_name}"
                    shot = out / f"{key}.png"
                    results[key] = visit(
                        browser, base_url, page_spec, DESKTOP if desktop else MOBILE, shot, axe_source
                    )
        finally:
            browser.close()
    return results


def visit(
    browser: Any, base_url: str, spec: Page, viewport: dict[str, int], shot: Path, axe_source: str
) -> Findings:
    findings = Findings()
    context = browser.new_context(viewport=viewport, locale="en-GB", reduced_motion="reduce")
    page = context.new_page()
    # Init scripts are injected by the browser itself, so the CSP does not stop them.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => (window.__csp = window.__csp || [])"
        ".push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}"
        " at ${e.sourceFile}:${e.lineNumber}`))"
    )
    page.on("pageerror", lambda error: findings.script_errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            findings.failed_requests.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on("requestfailed", lambda request: findings.failed_requests.append(f"failed {request.url}"))
    page.goto(f"{base_url}/{spec.name}.html", wait_until="networkidle")
    if spec.click:
        page.locator(spec.click).first.click()
    page.wait_for_timeout(300)  # let Chart.js finish its first layout
    page.screenshot(path=str(shot), full_page=True)
    findings.csp = page.evaluate("window.__csp || []")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(axe_source)
    report = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'wcag22aa', 'best-practice']}})"
    )
    findings.axe = report["violations"]
    context.close()
    return findings


def report(results: dict[str, Findings], out: Path) -> bool:
    clean = True
    for key, findings in results.items():
        status = "FAIL" if findings.blocking else "ok"
        clean = clean and not findings.blocking
        print(f"{status:4} {out / (key + '.png')}")
        for violation in findings.axe:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            print(f"     axe {violation.get('impact')}: {violation['id']}: {violation['help']} [{targets}]")
        for line in findings.csp:
            print(f"     csp: {line}")
        for line in findings.failed_requests:
            print(f"     request: {line}")
        for line in findings.script_errors:
            print(f"     script error: {line}")
    return clean


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "preview", help="where the screenshots go")
    parser.add_argument("--only", action="append", default=[], help="preview only these pages (by name)")
    args = parser.parse_args()

    for needed, how in (
        (STATIC / "dist" / "app.css", "run `npm install && npm run build` first"),
        (AXE, "run `npm install` first"),
        (Path(CHROMIUM), "install Debian's chromium: `apt-get install -y chromium`"),
    ):
        if not needed.exists():
            print(f"preview: {needed} is missing: {how}", file=sys.stderr)
            return 2

    pages = [p for p in sample_pages() if not args.only or p.name in args.only]
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix="caserev-preview-"))
    try:
        render(pages, site)
        server = serve(site)
        try:
            results = photograph(pages, f"http://127.0.0.1:{server.server_address[1]}", out)
        finally:
            server.shutdown()
            server.server_close()
    finally:
        shutil.rmtree(site, ignore_errors=True)
    clean = report(results, out)
    blocking = ", ".join(sorted(BLOCKING_IMPACTS))
    print(
        "no blocking findings"
        if clean
        else f"blocking findings above ({blocking} axe violations, page errors)"
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
