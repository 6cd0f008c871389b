"""The synthetic demo: partnerships, their agencies and people in every role, and a few open reviews.

Every name here is invented. Seeding twice changes nothing: ids are derived from names, every command
carries an idempotency key, and the generated password and second-factor secrets are kept in the demo
credentials file (local only, never committed) so that `caserev demo-code EMAIL` can print a code.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp

from caserev.demo_actions import seed_actions
from caserev.demo_chronology import _wait, seed_chronology
from caserev.demo_lifecycle import LIFECYCLES
from caserev.demo_meetings import seed_meetings
from caserev.demo_reports import seed_reports
from gateway.credentials import new_recovery_codes
from services.forms.contract import OpenReview
from services.kernel.config import OperatorSettings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once

DEMO_NAMESPACE = uuid.UUID("6f1c2a34-8d1e-4a7b-9c55-0b9a1f3e2d10")


@dataclass(frozen=True)
class DemoPartnership:
    """A synthetic partnership and its business manager."""

    code: str
    name: str
    manager_name: str
    manager_email: str

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, self.code)


PARTNERSHIPS = (
    DemoPartnership(
        "NBSCP",
        "Northbridge Safeguarding Children Partnership",
        "Alex Demo-Manager",
        "business.manager@northbridge.example",
    ),
    DemoPartnership(
        "ESP", "Eastmoor Safeguarding Partnership", "Sam Demo-Manager", "business.manager@eastmoor.example"
    ),
)
# A region of England (caserev/synthetic.py REGIONS_OF_ENGLAND), which the demo's synthetic national data
# fills with more partnerships: the regional analyst sees these two and the synthetic ones there.
REGIONS = {"NBSCP": "North East", "ESP": "North East"}

# (partnership, agency name, agency type)
AGENCIES = (
    ("NBSCP", "Northbridge Police", "police"),
    ("NBSCP", "Northbridge Health ICB", "health"),
    ("NBSCP", "Northbridge Children's Services", "childrens_social_care"),
    ("NBSCP", "Northbridge Schools", "education"),
    ("ESP", "Eastmoor Police", "police"),
    ("ESP", "Eastmoor Health ICB", "health"),
)

# (partnership or "", e-mail, name, roles, agency name or "", region or "")
USERS = (
    ("NBSCP", "business.manager@northbridge.example", "Alex Demo-Manager", ("business_manager",), "", ""),
    ("NBSCP", "partner@northbridge.example", "Jo Demo-Partner", ("safeguarding_partner",), "", ""),
    ("NBSCP", "executive@northbridge.example", "Kit Demo-Executive", ("executive",), "", ""),
    ("NBSCP", "subgroup@northbridge.example", "Lee Demo-Subgroup", ("subgroup_member",), "", ""),
    (
        "NBSCP",
        "police.lead@northbridge.example",
        "Pat Demo-Police",
        ("agency_lead",),
        "Northbridge Police",
        "",
    ),
    (
        "NBSCP",
        "police.author@northbridge.example",
        "Ray Demo-Author",
        ("agency_author",),
        "Northbridge Police",
        "",
    ),
    (
        "NBSCP",
        "health.lead@northbridge.example",
        "Sky Demo-Health",
        ("agency_lead",),
        "Northbridge Health ICB",
        "",
    ),
    ("NBSCP", "reviewer@northbridge.example", "Dana Demo-Reviewer", ("independent_reviewer",), "", ""),
    (
        "NBSCP",
        "action.owner@northbridge.example",
        "Max Demo-Owner",
        ("action_owner",),
        "Northbridge Children's Services",
        "",
    ),
    ("NBSCP", "admin@northbridge.example", "Ash Demo-Admin", ("partnership_admin",), "", ""),
    ("NBSCP", "dpo@northbridge.example", "Val Demo-Privacy", ("data_protection_officer",), "", ""),
    (
        "",
        "regional.analyst@analysts.example",
        "Rae Demo-Regional",
        ("regional_analyst",),
        "",
        "North East",
    ),
    ("", "national.analyst@analysts.example", "Nat Demo-National", ("national_analyst",), "", ""),
    ("ESP", "business.manager@eastmoor.example", "Sam Demo-Manager", ("business_manager",), "", ""),
    ("ESP", "police.lead@eastmoor.example", "Cal Demo-Police", ("agency_lead",), "Eastmoor Police", ""),
    ("ESP", "admin@eastmoor.example", "Eli Demo-Admin", ("partnership_admin",), "", ""),
    ("ESP", "dpo@eastmoor.example", "Fay Demo-Privacy", ("data_protection_officer",), "", ""),
)

REVIEWS = (
    ("NBSCP", "child_safeguarding", "NB-2026-014 infant, serious harm"),
    ("NBSCP", "safeguarding_adults", "NB-SAR-2026-03"),
    ("NBSCP", "domestic_homicide", "NB-DHR-2026-01"),
    ("ESP", "child_safeguarding", "EM-2026-007 adolescent, extra-familial harm"),
    ("NBSCP", "child_safeguarding", "NB-2026-009 child, serious injury"),
    ("NBSCP", "child_safeguarding", "NB-2025-031 toddler, neglect"),
)

# (review title, member e-mail, part)
MEMBERSHIPS = (
    ("NB-2026-014 infant, serious harm", "police.lead@northbridge.example", "agency_lead"),
    ("NB-2026-014 infant, serious harm", "police.author@northbridge.example", "agency_author"),
    ("NB-2026-014 infant, serious harm", "health.lead@northbridge.example", "agency_lead"),
    ("NB-2026-014 infant, serious harm", "reviewer@northbridge.example", "independent_reviewer"),
    ("NB-2026-014 infant, serious harm", "subgroup@northbridge.example", "subgroup_member"),
    ("NB-2026-014 infant, serious harm", "action.owner@northbridge.example", "action_owner"),
    ("NB-SAR-2026-03", "health.lead@northbridge.example", "agency_lead"),
    ("EM-2026-007 adolescent, extra-familial harm", "police.lead@eastmoor.example", "agency_lead"),
)

# Who made the demo's accounts and memberships, as their records and events say.
SEEDER = "system:seed-demo"


def user_id_of(email: str) -> uuid.UUID:
    """A demo user's id, derived from the e-mail address."""
    return uuid.uuid5(DEMO_NAMESPACE, "user:" + email)


def agency_id_of(partnership: str, name: str) -> uuid.UUID:
    """A demo agency's id."""
    return uuid.uuid5(DEMO_NAMESPACE, f"agency:{partnership}:{name}")


def demo_credentials(settings: OperatorSettings) -> dict[str, object]:
    """The demo's password and each user's TOTP secret, generated on first use and kept (mode 0600)."""
    if settings.environment != "local":
        raise SystemExit("The demo runs only where CASEREV_ENVIRONMENT=local")
    path = Path(settings.demo_credentials_file)
    if path.exists():
        stored: dict[str, object] = json.loads(path.read_text())
    else:
        stored = {"password": "demo " + " ".join(secrets.token_hex(3) for _ in range(3)), "totp": {}}
    secrets_by_email = stored["totp"]
    codes_by_email = stored.setdefault("recovery_codes", {})
    assert isinstance(secrets_by_email, dict) and isinstance(codes_by_email, dict)
    for _, email, *_rest in USERS:
        secrets_by_email.setdefault(email, pyotp.random_base32())
        codes_by_email.setdefault(email, new_recovery_codes(10))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stored, indent=2))
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return stored


def demo_code(settings: OperatorSettings, email: str) -> str:
    """The current security code of a demo user."""
    totp_secrets = demo_credentials(settings)["totp"]
    assert isinstance(totp_secrets, dict)
    secret = totp_secrets.get(email)
    if secret is None:
        raise SystemExit(f"{email} is not a demo user: see `caserev demo-users`")
    return pyotp.TOTP(secret).now()


def _seed_accounts(settings: OperatorSettings, credentials: dict[str, object]) -> None:
    from gateway import identity
    from gateway.credentials import hash_password
    from gateway.signin import password_pepper, recovery_code_hash, totp_box

    for partnership in PARTNERSHIPS:
        # Published as identity.partnership_changed: analytics names and groups partnerships by region.
        identity.save_partnership(
            partnership.id, partnership.code, partnership.name, REGIONS.get(partnership.code), actor_id=SEEDER
        )
    by_code = {p.code: p for p in PARTNERSHIPS}
    for code, name, agency_type in AGENCIES:
        identity.create_agency(by_code[code].id, name, agency_type, agency_id_of(code, name), actor_id=SEEDER)
    password_hash = hash_password(str(credentials["password"]), password_pepper())
    totp_secrets, recovery_codes = credentials["totp"], credentials["recovery_codes"]
    assert isinstance(totp_secrets, dict) and isinstance(recovery_codes, dict)
    for code, email, name, roles, agency, region in USERS:
        if identity.user_by_email(email) is not None:
            continue
        user_id = identity.create_user(
            email=email,
            display_name=name,
            partnership_id=by_code[code].id if code else None,
            agency_id=agency_id_of(code, agency) if agency else None,
            roles=roles,
            created_by=SEEDER,
            region=region or None,
            user_id=user_id_of(email),
        )
        identity.set_password(user_id, password_hash, identity.utcnow())
        identity.enrol_second_factor(
            user_id,
            totp_box().encrypt(totp_secrets[email], context=str(user_id)),
            0,
            [recovery_code_hash(code) for code in recovery_codes[email]],
            identity.utcnow(),
        )


# The review whose agencies' chronologies the demo loads.
CHRONOLOGY_REVIEW = "NB-2026-014 infant, serious harm"


def seed_demo(settings: OperatorSettings) -> None:
    """Load the demo through the same paths users take (the services must be running)."""
    from caserev.bus import forms_service
    from gateway import identity, identity_events

    credentials = demo_credentials(settings)
    _seed_accounts(settings, credentials)
    # The services learn people from the gateway's identity events: put them on the bus before any review
    # is opened, so that the first messages find their recipients.
    identity_events.publish_pending(settings)
    by_code = {p.code: p for p in PARTNERSHIPS}
    review_ids: dict[str, uuid.UUID] = {}
    with forms_service(settings) as forms:
        for code, review_type, title in REVIEWS:
            partnership = by_code[code]
            manager = Actor(
                user_id=str(user_id_of(partnership.manager_email)),
                partnership_id=partnership.id,
                roles=frozenset({Role.BUSINESS_MANAGER}),
            )
            command = OpenReview(review_type=review_type, partnership_id=partnership.id, title=title)
            review = run_at_once(forms.open_review(manager, command, f"seed-demo:{code}:{title}"))
            review_ids[title] = review.id
        for code, _review_type, title in REVIEWS:
            if title in LIFECYCLES:
                # Where the review stands: its steps, returns and pause (caserev/demo_lifecycle.py).
                LIFECYCLES[title].play(
                    forms, review_ids[title], code, by_code[code].id, agency_id_of, _people_of(code)
                )
    partnership_of = {title: by_code[code].id for code, _, title in REVIEWS}
    for title, email, part in MEMBERSHIPS:
        identity.add_member(review_ids[title], user_id_of(email), partnership_of[title], part, SEEDER)
    # The infant's review's chronologies from three agencies (caserev/demo_chronology.py).
    seed_chronology(
        settings,
        review_ids[CHRONOLOGY_REVIEW],
        by_code["NBSCP"].id,
        lambda name: agency_id_of("NBSCP", name),
        _people_of("NBSCP"),
    )
    # Meetings in several states, and a contact with the family (caserev/demo_meetings.py).
    names = {email: name for _code, email, name, _roles, _agency, _region in USERS}
    seed_meetings(settings, by_code["NBSCP"].id, review_ids, user_id_of, names.__getitem__)
    # Lessons, recommendations and actions of the toddler's and the infant's reviews (demo_actions.py).
    seed_actions(
        settings,
        review_ids,
        by_code["NBSCP"].id,
        user_id_of,
        lambda name: agency_id_of("NBSCP", name),
        _wait,
    )
    # The infant's rapid review report in progress: two versions, one agency's confirmation (demo_reports.py).
    seed_reports(
        settings,
        review_ids,
        by_code["NBSCP"].id,
        user_id_of,
        lambda name: agency_id_of("NBSCP", name),
        _wait,
    )
    seed_national_view(settings)
    print(
        f"Demo loaded: {len(PARTNERSHIPS)} partnerships, {len(USERS)} people, {len(REVIEWS)} reviews,"
        f" and a synthetic England of {settings.demo_national_partnerships} partnerships over"
        f" {settings.demo_national_years} years for the analysts.",
        flush=True,
    )


# The analysts' national view: a smaller synthetic England than the real one's ~150 partnerships (its size is
# the settings' demo_national_years and demo_national_partnerships), published to the analytics service only
# (caserev/seed_synthetic.py). The same seed every time: seeding again gives the same events, which
# analytics' inbox skips, and adds only the days since.
NATIONAL_VIEW_SEED = 1


def seed_national_view(settings: OperatorSettings) -> None:
    """Synthetic national data for the regional and national analysts' dashboards."""
    from caserev.seed_synthetic import seed_synthetic
    from services.kernel.calendar import today_in_england

    seed_synthetic(
        settings,
        years=settings.demo_national_years,
        partnerships=settings.demo_national_partnerships,
        seed=NATIONAL_VIEW_SEED,
        until=today_in_england(),
    )


def _people_of(code: str) -> Callable[[str, str], str | None]:
    """Who in a demo partnership holds a role (for an agency's lead, of that agency): their user id."""
    people = {
        (role, agency): str(user_id_of(email))
        for partnership, email, _name, roles, agency, _region in USERS
        if partnership == code
        for role in roles
    }
    return lambda role, agency: people.get((role, agency))


def sign_in_help(settings: OperatorSettings, gateway: str) -> list[str]:
    """How to sign in to the demo, for the banner of `make run`."""
    credentials = demo_credentials(settings)
    lines = [
        "  Sign in to the demo:",
        f"    {gateway}/sign-in  with any demo e-mail below and the password: {credentials['password']}",
        "    Security code: `.venv/bin/caserev demo-code EMAIL` prints the current one (or add the secret",
        f"    from {settings.demo_credentials_file} to an authenticator app; the file also holds each",
        "    person's ten recovery codes).",
        "    People:",
    ]
    for code, email, _name, roles, agency, region in USERS:
        where = agency or region or code or "national"
        lines.append(f"      {email:<40} {', '.join(roles)} ({where})")
    return lines
