"""The storm's clients: people signed in to the gateway driving reviews through its JSON API, each command
with an idempotency key, retried on an error or a time-out as a real client would retry it.

A journey is what a partnership does with a new review: its business manager opens it, then saves and
completes the referral, the criteria check, the Serious Incident Notification and the rapid review (which
asks two agencies for their returns: events every service consumes, and e-mails to the agencies' leads);
schedules the rapid review meeting (invitations e-mailed); records a lesson, a recommendation drawing on it
and, in Northbridge (whose action owner is in the demo), an action answering it; and the police's lead saves
and submits the police return. Now and then an agency's lead marks all their messages read. Every command is
counted against the storm's budget.

Left out (docs/reliability.md): the chronology upload, a conversation of several requests (start, send
rows, finish, import) rather than one command.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pyotp

from tests.e2e.helpers import DEMO, csrf_in, demo_credentials
from tests.support.system import SystemEnv

RETRYABLE = {500, 502, 503, 504}
TODAY = date.today()


@dataclass
class Command:
    """One command as the client saw it."""

    kind: str
    key: str
    review_title: str
    review_id: str | None = None
    step: str | None = None
    subject: str | None = None  # what else the command is about: the agency return's id
    outcome: str = "pending"  # ok | gave_up | refused
    attempts: int = 0
    detail: str = ""


@dataclass
class Budget:
    """How many commands the storm may still send, shared by every client."""

    total: int
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.sent >= self.total:
                return False
            self.sent += 1
            return True


def agency_id(partnership_code: str, name: str) -> str:
    return str(uuid.uuid5(DEMO.namespace, f"agency:{partnership_code}:{name}"))


def steps_of_a_journey(partnership_code: str, agencies: tuple[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The steps up to asking agencies for their returns, with synthetic answers (no names)."""
    aware, notified = TODAY - timedelta(days=2), TODAY - timedelta(days=1)
    incident = aware - timedelta(days=1)
    child = {
        "sex": "female",
        "age_years": 0,
        "ethnicity": "not_known",
        "disability": "no",
        "legal_status": [],
        "placement": "with_parents",
    }
    return [
        (
            "referral",
            {
                "referring_organisation": "Synthetic Hospital Trust",
                "referrer_role": "Named nurse for safeguarding",
                "incident_date": incident.isoformat(),
                "date_aware": aware.isoformat(),
                "nature": "serious_harm",
                "summary": "Synthetic chaos-suite referral.",
                "senior_lead_agreed": True,
            },
        ),
        (
            "criteria_check",
            {
                "abuse_or_neglect": "suspected",
                "abuse_or_neglect_rationale": "Synthetic.",
                "harm": "seriously_harmed",
                "harm_rationale": "Synthetic.",
                "looked_after_child_death": False,
                "care_leaver_death": False,
            },
        ),
        (
            "notification",
            {
                "notifying_local_authority": "Synthetic Council",
                "notifier_role": "Head of safeguarding",
                "incident_date": incident.isoformat(),
                "date_aware": aware.isoformat(),
                "notified_on": notified.isoformat(),
                "nature": "serious_harm",
                "children": [child],
                "known_to_agencies": True,
                "agencies_known": "Police and health",
                "case_outline": "Synthetic chaos-suite outline.",
                "police_investigation": "yes",
                "other_local_authorities": "",
                "threshold_met": "yes",
            },
        ),
        (
            "rapid_review",
            {
                "agencies": [{"agency_id": agency_id(partnership_code, name)} for name in agencies],
                "letters_sent_on": notified.isoformat(),
            },
        ),
    ]


# The partnerships whose business managers drive journeys, the two agencies each asks, and the leads who read
# their messages.
PARTNERSHIPS = {
    "NBSCP": ("business.manager@northbridge.example", ("Northbridge Police", "Northbridge Health ICB")),
    "ESP": ("business.manager@eastmoor.example", ("Eastmoor Police", "Eastmoor Health ICB")),
}
READERS = ("police.lead@northbridge.example", "health.lead@northbridge.example")
# Who answers the police return of each partnership's reviews, and who owns the actions (Eastmoor's demo has
# no action owner, so its journeys assign none).
POLICE_LEADS = {"NBSCP": "police.lead@northbridge.example", "ESP": "police.lead@eastmoor.example"}
ACTION_OWNERS = {"NBSCP": "action.owner@northbridge.example"}
THEME = "neglect"


def user_id(email: str) -> str:
    """A demo person's account id, as caserev/demo.py makes it."""
    return str(uuid.uuid5(DEMO.namespace, "user:" + email))


def police_return_answers(title: str) -> dict[str, Any]:
    """A complete police return, synthetic: roles, never names."""
    return {
        "author_role": "Detective inspector, public protection",
        "involvement_from": (TODAY - timedelta(days=400)).isoformat(),
        "summary": f"Synthetic summary of the police involvement ({title}).",
        "episodes": [
            {
                "what_happened": "Call-out to a domestic incident; the infant present.",
                "went_well": "Referral made the same day.",
                "could_improve": "No risk assessment recorded.",
            }
        ],
        "immediate_actions": "Records secured.",
        "learning": "None yet.",
        "records_secured": True,
    }


def signed_in(system: SystemEnv, email: str) -> httpx.Client:
    """A client signed in as a demo person, sending the session's CSRF token on every request."""
    credentials = demo_credentials(system)
    client = httpx.Client(base_url=system.gateway_url, timeout=15, follow_redirects=False)
    page = client.get("/sign-in")
    code = pyotp.TOTP(credentials["totp"][email]).now()
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": credentials["password"],
            "code": code,
            "recovery": "",
            "next": "/reviews",
            "csrf_token": csrf_in(page.text),
        },
    )
    if response.status_code != 303:
        raise AssertionError(f"{email} could not sign in: {response.status_code} {response.text[:300]}")
    account = client.get("/account")
    client.headers["X-CSRF-Token"] = csrf_in(account.text)
    return client


class Client(threading.Thread):
    """One client of the gateway: journeys until the budget is spent."""

    def __init__(
        self,
        name: str,
        session: httpx.Client,
        reader: httpx.Client,
        police_lead: httpx.Client,
        partnership_code: str,
        budget: Budget,
        log: list[Command],
        *,
        seed: int,
        give_up_s: float,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.session, self.reader, self.police_lead = session, reader, police_lead
        self.partnership_code = partnership_code
        self.partnership_id = str(DEMO.partnership(partnership_code).id)
        self.budget, self.log = budget, log
        self.random = random.Random(seed)
        self.give_up_s = give_up_s
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while self.journey():
                pass
        except BaseException as exc:  # reported by the storm
            self.error = exc

    # -- one journey ---------------------------------------------------------------------------------------

    def journey(self) -> bool:
        """Open a review and take it to the rapid review; False once the budget is spent."""
        title = f"CHAOS-{uuid.uuid4().hex[:12].upper()}"
        if self.random.random() < 0.12 and self.budget.take():
            self.mark_read(title)
        if not self.budget.take():
            return False
        opened = self.send(
            Command("open_review", str(uuid.uuid4()), title),
            "POST",
            "/api/reviews",
            json={"review_type": "child_safeguarding", "partnership_id": self.partnership_id, "title": title},
        )
        if opened is None:
            return True
        review_id = opened.json()["id"]
        _, agencies = PARTNERSHIPS[self.partnership_code]
        for step, answers in steps_of_a_journey(self.partnership_code, agencies):
            if not self.budget.take():
                return False
            saved = self.save_step(Command("save_step", str(uuid.uuid4()), title, review_id, step), answers)
            if saved is None or not self.budget.take():
                return saved is not None
            version = next(s["version"] for s in saved.json()["steps"] if s["code"] == step)
            done = self.send(
                Command("complete_step", str(uuid.uuid4()), title, review_id, step),
                "POST",
                f"/api/reviews/{review_id}/steps/{step}/complete",
                json={"version": version},
            )
            if done is None:
                return True
        return self.meet(title, review_id) and self.learn(title, review_id) and self.answer(title, review_id)

    def meet(self, title: str, review_id: str) -> bool:
        """Schedule the rapid review meeting, inviting the police's lead; False once the budget is spent."""
        if not self.budget.take():
            return False
        manager = user_id(PARTNERSHIPS[self.partnership_code][0])
        lead = user_id(POLICE_LEADS[self.partnership_code])
        starts = datetime.combine(TODAY + timedelta(days=7), datetime.min.time()).replace(hour=10)
        self.send(
            Command("schedule_meeting", str(uuid.uuid4()), title, review_id),
            "POST",
            f"/api/reviews/{review_id}/meetings",
            json={
                "kind": "rapid_review_meeting",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "place": "Synthetic meeting room",
                "chair_id": manager,
                "invitees": [{"user_id": manager, "name": "-"}, {"user_id": lead, "name": "-"}],
            },
        )
        return True

    def learn(self, title: str, review_id: str) -> bool:
        """A lesson, a recommendation drawing on it and an action answering that (where the partnership has
        an action owner); False once the budget is spent. The actions service learns of a new review from
        forms' events: until it has, it knows no such review (404), which a client waits out as a 503."""
        if not self.budget.take():
            return False
        lesson = self.send(
            Command("record_lesson", str(uuid.uuid4()), title, review_id),
            "POST",
            f"/api/reviews/{review_id}/lessons",
            json={"finding": f"Lesson of {title}", "themes": [THEME]},
            not_yet=True,
        )
        if lesson is None:
            return True
        if not self.budget.take():
            return False
        recommendation = self.send(
            Command("make_recommendation", str(uuid.uuid4()), title, review_id),
            "POST",
            f"/api/reviews/{review_id}/recommendations",
            json={"text": f"Recommendation of {title}", "lesson_ids": [lesson.json()["id"]]},
        )
        owner = ACTION_OWNERS.get(self.partnership_code)
        if recommendation is None or owner is None:
            return True
        if not self.budget.take():
            return False
        self.send(
            Command("assign_action", str(uuid.uuid4()), title, review_id),
            "POST",
            f"/api/reviews/{review_id}/actions",
            json={
                "recommendation_id": recommendation.json()["id"],
                "description": f"Action of {title}",
                "owner_id": user_id(owner),
                "due_on": (TODAY + timedelta(days=90)).isoformat(),
                "success_measure": "An audit shows the change.",
            },
        )
        return True

    def answer(self, title: str, review_id: str) -> bool:
        """The police's lead saves the police return whole, then submits it; False once the budget is
        spent."""
        listed = self.send_read("/api/returns", client=self.police_lead)
        asked = [r for r in (listed.json() if listed else []) if r["review_id"] == review_id]
        if not asked:
            return True
        return_id = asked[0]["id"]
        if not self.budget.take():
            return False
        save = Command("save_return", str(uuid.uuid4()), title, review_id, subject=return_id)
        saved = self.save_return(save, police_return_answers(title), asked[0]["version"])
        if saved is None:
            return True
        if not self.budget.take():
            return False
        self.send(
            Command("submit_return", str(uuid.uuid4()), title, review_id, subject=return_id),
            "POST",
            f"/api/returns/{return_id}/submit",
            json={"version": saved.json()["version"]},
            client=self.police_lead,
        )
        return True

    def save_return(self, command: Command, answers: dict[str, Any], version: int) -> httpx.Response | None:
        """As save_step: a version that moved on is read again and the same answers saved over it."""
        path = f"/api/returns/{command.subject}"
        while True:
            command.key = f"{command.key.split('@')[0]}@{version}"
            response = self.send(
                command,
                "PUT",
                path,
                json={"answers": answers, "version": version},
                client=self.police_lead,
                conflict=True,
            )
            if response is None or response.status_code != 409:
                return response
            current = self.send_read(path, client=self.police_lead)
            if current is None:
                return None
            version = current.json()["version"]

    def save_step(self, command: Command, answers: dict[str, Any]) -> httpx.Response | None:
        """Save a draft with the version last read; when a retry finds the version moved on (its first try
        did land), read the version again and save the same answers over it."""
        path = f"/api/reviews/{command.review_id}/steps/{command.step}"
        version = None
        while True:
            # A key per request body: the same body is the same command, a new version a new one.
            command.key = f"{command.key.split('@')[0]}@{version}"
            response = self.send(
                command, "POST", path, json={"answers": answers, "version": version}, conflict=True
            )
            if response is None or response.status_code != 409:
                return response
            file = self.send_read(f"/api/reviews/{command.review_id}/file")
            if file is None:
                return None
            version = next(s["version"] for s in file.json()["steps"] if s["code"] == command.step)

    def mark_read(self, title: str) -> None:
        command = Command("mark_all_read", str(uuid.uuid4()), title)
        self.send(
            command, "POST", "/notifications/read", data={"mark": "all"}, client=self.reader, accept=(303,)
        )

    # -- the retrying sender -------------------------------------------------------------------------------

    def send(
        self,
        command: Command,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        client: httpx.Client | None = None,
        accept: tuple[int, ...] = (200, 201),
        conflict: bool = False,
        not_yet: bool = False,
    ) -> httpx.Response | None:
        """Send until accepted (the response), refused (None) or `give_up_s` has passed (None); the same
        idempotency key every time. With `conflict`, a 409 is handed back to the caller to resolve; with
        `not_yet`, a 404 is a service that has not heard of the review yet, tried again."""
        client = client or self.session
        if command.attempts == 0:
            self.log.append(command)
        deadline = time.monotonic() + self.give_up_s
        headers = {"Idempotency-Key": command.key}
        if data is not None:
            data = {**data, "csrf_token": client.headers["X-CSRF-Token"]}
        while True:
            command.attempts += 1
            try:
                response = client.request(method, path, json=json, data=data, headers=headers)
            except httpx.TransportError as exc:
                command.detail = type(exc).__name__
            else:
                if response.status_code in accept:
                    command.outcome, command.detail = "ok", ""
                    return response
                if conflict and response.status_code == 409:
                    return response
                if response.status_code not in RETRYABLE and not (not_yet and response.status_code == 404):
                    command.outcome = "refused"
                    command.detail = f"{response.status_code} {response.text[:300]}"
                    return None
                command.detail = str(response.status_code)
            if time.monotonic() > deadline:
                command.outcome = "gave_up"
                return None
            time.sleep(min(0.2 * 2 ** min(command.attempts, 5), 4.0) * (0.5 + self.random.random()))

    def send_read(self, path: str, client: httpx.Client | None = None) -> httpx.Response | None:
        """A read, retried like a command (not counted as one)."""
        client = client or self.session
        deadline = time.monotonic() + self.give_up_s
        attempt = 0
        while True:
            attempt += 1
            try:
                response = client.get(path)
                if response.status_code == 200:
                    return response
                if response.status_code not in RETRYABLE:
                    return None
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(min(0.2 * 2 ** min(attempt, 5), 4.0))
