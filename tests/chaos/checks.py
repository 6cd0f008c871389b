"""What the chaos suite checks once the storm has passed and the system has settled, as rows of a table.

Each check compares what must be with what is, read from the database as the superuser, the broker, the
SMTP catcher's maildir and the operator's command. Nothing in a row is taken from the clients' own
bookkeeping alone: a command the client saw succeed must show in the service's rows, and every event in an
outbox must show in every consumer's inbox.
"""

from __future__ import annotations

import mailbox
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from caserev.dead_letters import list_dead_letters
from tests.chaos.system import ChaosSystem
from tests.chaos.workload import Command

HANDLER_QUEUE = re.compile(
    r"^evt-(?P<source>[a-z_]+)-(?P<event>[a-z_]+)--(?P<handler>(?P<consumer>[a-z_]+)\.\w+)$"
)
SCHEMAS = ("forms", "meetings", "actions", "notifications", "analytics", "chronology", "reports", "identity")


@dataclass
class Row:
    """One line of the table: what was checked, what it must be, what it is."""

    check: str
    expected: str
    actual: str
    ok: bool


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table (for the terminal and docs/reliability.md alike)."""
    lines = ["| check | expected | actual | result |", "|---|---|---|---|"]
    lines += [f"| {r.check} | {r.expected} | {r.actual} | {'ok' if r.ok else 'FAIL'} |" for r in rows]
    return "\n".join(lines)


def _count(system: ChaosSystem, query: str, params: tuple = ()) -> int:
    return int(system.sql(query, params)[0][0])


def commands(system: ChaosSystem, log: list[Command]) -> list[Row]:
    """Each succeeded command's effect exactly once in its own service; a given-up one at most once."""
    rows = []
    by_kind = Counter((c.kind, c.outcome) for c in log)
    summary = ", ".join(f"{kind} {outcome} {n}" for (kind, outcome), n in sorted(by_kind.items()))
    refused = [c for c in log if c.outcome == "refused"]
    rows.append(Row("commands refused (4xx a retry cannot mend)", "0", f"{len(refused)}", not refused))
    for command in refused[:5]:
        rows.append(Row(f"  refused {command.kind} {command.step or ''}", "-", command.detail[:120], False))
    rows.append(Row("commands sent (by kind and outcome)", "-", summary, True))

    titles = Counter(t for (t,) in system.sql("SELECT title FROM forms.review WHERE title LIKE 'CHAOS-%'"))
    opened = [c for c in log if c.kind == "open_review"]
    ok_titles = {c.review_title for c in opened if c.outcome == "ok"}
    other_titles = {c.review_title for c in opened if c.outcome != "ok"}
    not_once = sorted(t for t in ok_titles if titles[t] != 1)
    rows.append(
        Row(
            "reviews opened, succeeded: each exactly once in forms",
            f"{len(ok_titles)}",
            f"{len(ok_titles) - len(not_once)}",
            not not_once,
        )
    )
    twice = sorted(t for t in other_titles if titles[t] > 1)
    rows.append(
        Row("reviews opened, given up: each at most once", "0 twice", f"{len(twice)} twice", not twice)
    )
    phantom = sorted(set(titles) - ok_titles - other_titles)
    rows.append(Row("reviews no command asked for", "0", f"{len(phantom)}", not phantom))

    completed = {(c.review_id, c.step) for c in log if c.kind == "complete_step" and c.outcome == "ok"}
    done = {
        (str(r), s)
        for r, s in system.sql(
            "SELECT s.review_id, s.code FROM forms.review_step s JOIN forms.review r ON r.id = s.review_id"
            " WHERE r.title LIKE 'CHAOS-%' AND s.completed_on IS NOT NULL"
        )
    }
    missing = completed - done
    rows.append(
        Row(
            "steps completed, succeeded: completed in forms",
            f"{len(completed)}",
            f"{len(completed - missing)}",
            not missing,
        )
    )

    asked = {
        c.review_id
        for c in log
        if c.kind == "complete_step" and c.step == "rapid_review" and c.outcome == "ok"
    }
    returns = Counter(
        str(r)
        for (r,) in system.sql(
            "SELECT a.review_id FROM forms.agency_return a JOIN forms.review r ON r.id = a.review_id"
            " WHERE r.title LIKE 'CHAOS-%'"
        )
    )
    wrong = [r for r in asked if returns[r] != 2]
    rows.append(
        Row(
            "rapid reviews completed: two agency returns each",
            f"{len(asked)}",
            f"{len(asked) - len(wrong)}",
            not wrong,
        )
    )
    extra = [r for r, n in returns.items() if n > 2]
    rows.append(Row("reviews with more than two returns", "0", f"{len(extra)}", not extra))
    return rows


# The effect of each command of the journey after the rapid review, as (what it made, the query counting it
# per review): one row a command, made by the review's own words (workload.py) or on the review itself.
EFFECTS = {
    "schedule_meeting": ("meetings", "SELECT review_id::text, count(*) FROM meetings.meeting GROUP BY 1"),
    "record_lesson": (
        "lessons",
        "SELECT review_id::text, count(*) FROM actions.lesson WHERE finding LIKE 'Lesson of CHAOS-%'"
        " GROUP BY 1",
    ),
    "make_recommendation": (
        "recommendations",
        "SELECT review_id::text, count(*) FROM actions.recommendation"
        " WHERE text LIKE 'Recommendation of CHAOS-%' GROUP BY 1",
    ),
    "assign_action": (
        "actions",
        "SELECT review_id::text, count(*) FROM actions.action WHERE description LIKE 'Action of CHAOS-%'"
        " GROUP BY 1",
    ),
}


def later_commands(system: ChaosSystem, log: list[Command]) -> list[Row]:
    """Meetings, lessons, recommendations and actions: exactly one for each command that succeeded, at most
    one for a command given up, none that no command asked for; a return submitted for each submission."""
    rows = []
    chaos_reviews = {str(r) for (r,) in system.sql("SELECT id FROM forms.review WHERE title LIKE 'CHAOS-%'")}
    for kind, (made, query) in EFFECTS.items():
        found = {review: n for review, n in system.sql(query) if review in chaos_reviews}
        ok = {c.review_id for c in log if c.kind == kind and c.outcome == "ok"}
        other = {c.review_id for c in log if c.kind == kind and c.outcome != "ok"}
        not_once = sorted(r for r in ok if found.get(r, 0) != 1)
        twice = sorted(r for r in other if found.get(r, 0) > 1)
        phantom = sorted(set(found) - ok - other)
        rows.append(
            Row(
                f"{kind}, succeeded: one of its {made} each; given up: at most one; none unasked",
                f"{len(ok)}; 0; 0",
                f"{len(ok) - len(not_once)}; {len(twice)}; {len(phantom)}",
                not (not_once or twice or phantom),
            )
        )
    submitted = {c.subject for c in log if c.kind == "submit_return" and c.outcome == "ok"}
    status = dict(system.sql("SELECT id::text, status FROM forms.agency_return"))
    not_in = sorted(r for r in submitted if status.get(str(r)) != "submitted")
    rows.append(
        Row(
            "returns submitted, succeeded: submitted in forms",
            f"{len(submitted)}",
            f"{len(submitted) - len(not_in)}",
            not not_in,
        )
    )
    return rows


def outbox_and_inboxes(system: ChaosSystem) -> list[Row]:
    """Nothing unpublished; every event of every outbox in the inbox of every handler that consumes it."""
    rows = []
    for schema in SCHEMAS:
        waiting = _count(system, f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
        rows.append(Row(f"{schema} outbox: unpublished", "0", f"{waiting}", waiting == 0))
    for queue in sorted(system.queue_depths()):
        found = HANDLER_QUEUE.match(queue)
        if not found:
            continue
        source, event, handler, consumer = (
            found["source"],
            found["event"],
            found["handler"],
            found["consumer"],
        )
        published = _count(
            system, f"SELECT count(*) FROM {source}.outbox WHERE event_type = %s", (f"{source}.{event}",)
        )
        if published == 0:
            continue
        received = _count(
            system,
            f"SELECT count(*) FROM {consumer}.inbox i JOIN {source}.outbox o ON o.event_id = i.event_id"
            " WHERE i.handler = %s AND o.event_type = %s",
            (handler, f"{source}.{event}"),
        )
        rows.append(
            Row(
                f"{source}.{event} -> {handler}: inbox = outbox",
                f"{published}",
                f"{received}",
                received == published,
            )
        )
    return rows


def read_models(system: ChaosSystem) -> list[Row]:
    """Every consumer's copy of the reviews and returns counts what forms holds, no more, no less."""
    rows = []
    reviews = _count(system, "SELECT count(*) FROM forms.review")
    grouped = "SELECT partnership_id, review_type, stage, count(*) FROM {} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    by_stage = system.sql(grouped.format("forms.review"))
    # analytics also counts the demo's synthetic England (caserev/demo.py), which forms never held.
    real = (
        "(SELECT * FROM analytics.review_stage WHERE partnership_id NOT IN"
        " (SELECT id FROM identity.partnership WHERE left(code, 4) = 'SYN-')) AS real_reviews"
    )
    counted = system.sql(grouped.format(real))
    rows.append(
        Row(
            "analytics reviews by partnership, type and stage = forms rows",
            f"{reviews} in {len(by_stage)} groups",
            f"{sum(r[3] for r in counted)} in {len(counted)} groups",
            [tuple(map(str, r)) for r in by_stage] == [tuple(map(str, r)) for r in counted],
        )
    )
    for copy in ("meetings.review", "actions.review", "chronology.review"):
        n = _count(system, f"SELECT count(*) FROM {copy}")
        rows.append(Row(f"{copy} rows = forms reviews", f"{reviews}", f"{n}", n == reviews))
    returns = _count(system, "SELECT count(*) FROM forms.agency_return")
    agencies = _count(system, "SELECT count(*) FROM chronology.review_agency")
    rows.append(
        Row(
            "chronology.review_agency rows = forms agency returns",
            f"{returns}",
            f"{agencies}",
            agencies == returns,
        )
    )
    return rows


def emails(system: ChaosSystem) -> list[Row]:
    """No e-mail in the catcher twice; every e-mail marked sent is there once."""
    maildir = Path(system.env.env["CASEREV_MAILDIR"])
    ids = (
        Counter(str(message["Message-ID"]) for message in mailbox.Maildir(str(maildir), create=False))
        if maildir.exists()
        else Counter()
    )
    twice = {k: n for k, n in ids.items() if n > 1}
    sent = {
        f"<{r}@caserev.localhost>"
        for (r,) in system.sql("SELECT id FROM notifications.email WHERE status = 'sent'")
    }
    statuses = dict(system.sql("SELECT status, count(*) FROM notifications.email GROUP BY 1"))
    lost = sent - set(ids)
    return [
        Row("e-mails caught twice (same Message-ID)", "0", f"{len(twice)} of {len(ids)}", not twice),
        Row("e-mails marked sent and caught", f"{len(sent)}", f"{len(sent) - len(lost)}", not lost),
        Row("e-mails by status", "-", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())), True),
    ]


def broker(system: ChaosSystem) -> list[Row]:
    """Every queue drained; the dead-letter queue empty (the storm injects no poison on purpose)."""
    depths = system.queue_depths()
    left = {
        q: n for q, n in depths.items() if n and q != "caserev.dead-letters" and not q.startswith("rpc.reply")
    }
    letters = list_dead_letters(system.env.amqp_uri)
    reasons = Counter(f"{d.queue}: {d.error[:80]}" for d in letters)
    return [
        Row(
            "messages left in handler queues",
            "0",
            f"{sum(left.values())} {sorted(left)[:3] if left else ''}",
            not left,
        ),
        Row("dead letters", "0", f"{len(letters)} {dict(reasons) if reasons else ''}", not letters),
    ]


def audit(system: ChaosSystem) -> list[Row]:
    result = system.caserev("audit-verify", check=False)
    last = (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1][:120]
    return [
        Row(
            "audit chain verifies (caserev audit-verify)",
            "exit 0",
            f"exit {result.returncode}: {last}",
            result.returncode == 0,
        )
    ]


def every_check(system: ChaosSystem, log: list[Command]) -> list[Row]:
    return [
        *commands(system, log),
        *later_commands(system, log),
        *outbox_and_inboxes(system),
        *read_models(system),
        *emails(system),
        *broker(system),
        *audit(system),
    ]
