"""`caserev`: the operator's command."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from services.kernel import calendar
from services.kernel.config import operator_settings


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days (0 or more)")
    return int(value)


def cmd_deadline(args: argparse.Namespace) -> int:
    if args.months is not None:
        print(calendar.add_calendar_months(args.from_date, args.months).isoformat())
    elif args.days is not None:
        print(calendar.add_working_days(args.from_date, args.days).isoformat())
    else:
        print("caserev deadline: give N working days, or --months N", file=sys.stderr)
        return 2
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from caserev.operations import migrate

    migrate(operator_settings(), declare_broker=not args.skip_broker)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from caserev.demo import seed_demo

    seed_demo(operator_settings())
    return 0


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


def cmd_seed_synthetic(args: argparse.Namespace) -> int:
    """Publish synthetic national data through the bus (caserev/seed_synthetic.py)."""
    from caserev.seed_synthetic import seed_synthetic

    report = seed_synthetic(
        operator_settings(),
        years=args.years,
        partnerships=args.partnerships,
        seed=args.seed,
        until=args.until or calendar.today_in_england(),
        route=args.route,
    )
    print(
        f"Synthetic national data: {report.partnerships} partnerships, {report.published:,} events published"
        f" to {args.route} ({report.first_day} to {report.last_day})."
    )
    for event_type, count in sorted(report.not_applied.items()):
        print(f"  not published (analytics does not apply it): {event_type} x{count:,}")
    return 0


def cmd_demo_code(args: argparse.Namespace) -> int:
    from caserev.demo import demo_code

    print(demo_code(operator_settings(), args.email))
    return 0


def cmd_demo_users(args: argparse.Namespace) -> int:
    from caserev.demo import sign_in_help

    print("\n".join(sign_in_help(operator_settings(), operator_settings().public_url)))
    return 0


def cmd_outbox_status(args: argparse.Namespace) -> int:
    from caserev.operations import outbox_status

    rows = outbox_status(operator_settings())
    print(f"{'service':<14} {'unpublished':>11} {'oldest (s)':>10} {'published':>10}")
    for row in rows:
        print(f"{row.service:<14} {row.unpublished:>11} {row.oldest_age_s:>10.1f} {row.published:>10}")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from caserev.dead_letters import list_dead_letters, replay_dead_letters

    uri = operator_settings().amqp_uri
    if args.action == "replay":
        if not args.all and not args.message_id:
            print("caserev dead-letters replay: name a MESSAGE_ID, or --all", file=sys.stderr)
            return 2
        replayed = replay_dead_letters(uri, None if args.all else args.message_id)
        for letter in replayed:
            print(f"replayed {letter.message_id} {letter.event_type} -> {letter.queue}")
        print(f"{len(replayed)} replayed")
        return 0 if replayed or args.all else 1
    letters = list_dead_letters(uri)
    for letter in letters:
        print(
            f"{letter.message_id}  {letter.event_type:<28} {letter.queue:<60} "
            f"attempts={letter.attempts} failed_at={letter.failed_at}\n    {letter.error}"
        )
    print(f"{len(letters)} dead letters")
    return 0


def cmd_smtp_catcher(args: argparse.Namespace) -> int:
    from caserev.smtp_catcher import serve

    serve(args.host, args.port, args.maildir or operator_settings().maildir)
    return 0


def cmd_queue_metrics(args: argparse.Namespace) -> int:
    from caserev.queue_metrics import serve

    serve(operator_settings().amqp_uri, args.host, args.port)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit log's hash chain; exit 1 naming the first broken entry."""
    from gateway.audit import audit_engine, verify

    result = verify(audit_engine())
    if result.ok:
        print(f"Audit log intact: {result.checked} entries checked.")
        return 0
    print(f"Audit log broken at entry {result.broken_at}: {result.reason}")
    return 1


def cmd_add_partnership(args: argparse.Namespace) -> int:
    from caserev.accounts import AccountProblem, add_partnership

    try:
        partnership_id = add_partnership(args.code, args.name, args.region)
    except AccountProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"Partnership {args.code} registered: {partnership_id}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from caserev.accounts import AccountProblem, invite

    try:
        invitation = invite(
            operator_settings(),
            email=args.email,
            name=args.name,
            roles=args.role,
            partnership_code=args.partnership,
            region=args.region,
        )
    except AccountProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"Account {invitation.user_id} created. Give the person this single-use link (it works once):")
    print(invitation.link)
    return 0


def cmd_caller_keys(args: argparse.Namespace) -> int:
    """A fresh pair of caller keys for a deployment (services/kernel/caller_seal.py)."""
    from services.kernel.caller_seal import new_key_pair

    signing, verify = new_key_pair()
    print("# The gateway and the operator's `caserev` commands only; keep it with the deployment's secrets:")
    print(f"CASEREV_CALLER_SIGNING_KEY={signing}")
    print("# Every service (not secret, but it must be this one):")
    print(f"CASEREV_CALLER_VERIFY_KEY={verify}")
    return 0


def cmd_chronology_check(args: argparse.Namespace) -> int:
    """Check a chronology file as an upload would; exit 1 if there is anything to fix."""
    from caserev.chronology import check_report, date_of_birth, partnership_columns

    born_on = date_of_birth(args.born) if args.born is not None else None
    lines, code = check_report(args.file, extra_columns=partnership_columns(args.columns), born_on=born_on)
    print("\n".join(lines))
    return code


def cmd_analytics_rebuild(args: argparse.Namespace) -> int:
    """Rebuild a projection (or every one) from the analytics event store; exit 2 for a name that is none."""
    from caserev.analytics import rebuild
    from services.analytics.domain import PROJECTIONS

    if args.projection is not None and args.projection not in PROJECTIONS:
        print(
            f"caserev analytics rebuild: no projection {args.projection!r}; "
            f"choose one of: {', '.join(PROJECTIONS)}",
            file=sys.stderr,
        )
        return 2
    rebuilt = rebuild(operator_settings(), args.projection, args.batch)
    print(
        f"rebuilt {', '.join(rebuilt.projections)} from {rebuilt.events:,} events "
        f"in {rebuilt.seconds:.1f} s: {rebuilt.events_per_second:,.0f} events/s"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from caserev.supervisor import run

    return run(operator_settings(), seed=not args.no_demo)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="caserev", description="Operate Case Review.")
    commands = root.add_subparsers(dest="command", required=True)

    deadline = commands.add_parser(
        "deadline",
        help="the date N England-and-Wales working days (or --months N calendar months) after a date",
    )
    deadline.add_argument("from_date", type=_date, metavar="FROM_DATE")
    deadline.add_argument("days", type=_count, nargs="?", metavar="N")
    deadline.add_argument("--months", type=_count, metavar="N")
    deadline.set_defaults(func=cmd_deadline)

    migrate = commands.add_parser(
        "migrate", help="create the database, schemas and roles; migrate; declare queues"
    )
    migrate.add_argument("--skip-broker", action="store_true", help="do not declare the RabbitMQ topology")
    migrate.set_defaults(func=cmd_migrate)

    commands.add_parser(
        "seed-demo", help="load the synthetic demo partnership (services must be running)"
    ).set_defaults(func=cmd_seed_demo)
    synthetic = commands.add_parser(
        "seed-synthetic",
        help="publish synthetic national data (partnerships in England's regions, their reviews' events)",
        description="Register synthetic partnerships in England's nine regions and publish, through the bus,"
        " the events of their serious incident notifications and what followed over the years to --until."
        " By default only the analytics service receives them (docs/operations.md).",
    )
    synthetic.add_argument("--years", type=_positive, required=True, metavar="N")
    synthetic.add_argument(
        "--partnerships", type=_positive, required=True, metavar="M", help="England has ~150"
    )
    synthetic.add_argument("--seed", type=int, default=1, help="the same seed gives the same data (1)")
    synthetic.add_argument("--until", type=_date, help="the last day of the data (default: today)")
    synthetic.add_argument(
        "--route",
        choices=["analytics", "exchanges"],
        default="analytics",
        help="analytics: only the analytics service's queues (default); exchanges: every subscriber",
    )
    synthetic.set_defaults(func=cmd_seed_synthetic)
    partnership = commands.add_parser("add-partnership", help="register a safeguarding partnership")
    partnership.add_argument("--code", required=True, help="a short code, e.g. NBSCP")
    partnership.add_argument("--name", required=True)
    partnership.add_argument("--region", help="the region whose regional analysts see its figures")
    partnership.set_defaults(func=cmd_add_partnership)
    invite = commands.add_parser(
        "invite",
        help="create a partnership's first administrator, or an analyst, and print the invitation link",
    )
    invite.add_argument("--email", required=True)
    invite.add_argument("--name", required=True)
    invite.add_argument("--role", action="append", required=True, help="a role (repeat for several)")
    invite.add_argument("--partnership", help="the partnership's code (not for analysts)")
    invite.add_argument("--region", help="a regional analyst's region")
    invite.set_defaults(func=cmd_invite)
    demo_code = commands.add_parser("demo-code", help="the current security code of a demo user (local only)")
    demo_code.add_argument("email", help="a demo user's e-mail address")
    demo_code.set_defaults(func=cmd_demo_code)
    commands.add_parser("demo-users", help="the demo's people, their roles and how to sign in").set_defaults(
        func=cmd_demo_users
    )
    commands.add_parser("outbox-status", help="events waiting in each service's outbox").set_defaults(
        func=cmd_outbox_status
    )

    dead = commands.add_parser("dead-letters", help="list, or replay, events that kept failing")
    dead.add_argument("action", choices=["list", "replay"], nargs="?", default="list")
    dead.add_argument("message_id", nargs="?", metavar="MESSAGE_ID")
    dead.add_argument("--all", action="store_true", help="replay every dead letter")
    dead.set_defaults(func=cmd_dead_letters)

    catcher = commands.add_parser(
        "smtp-catcher", help="a local SMTP server that keeps every message in a maildir"
    )
    catcher.add_argument("--host", default="127.0.0.1")
    catcher.add_argument("--port", type=int, default=1025)
    catcher.add_argument("--maildir")
    catcher.set_defaults(func=cmd_smtp_catcher)

    queues = commands.add_parser(
        "queue-metrics",
        help="serve each handler queue's backlog and the age of its oldest event, for Prometheus",
    )
    queues.add_argument("--host", default="127.0.0.1")
    queues.add_argument("--port", type=int, default=9108)
    queues.set_defaults(func=cmd_queue_metrics)

    commands.add_parser(
        "audit-verify", help="check the audit log's hash chain; exit 1 naming the first broken entry"
    ).set_defaults(func=cmd_audit_verify)

    commands.add_parser(
        "caller-keys", help="a new key pair that seals each RPC's caller (for a deployment's secrets)"
    ).set_defaults(func=cmd_caller_keys)

    chronology = commands.add_parser("chronology", help="agencies' chronology files, offline")
    chronology_commands = chronology.add_subparsers(dest="chronology_command", required=True)
    check = chronology_commands.add_parser(
        "check", help="check a chronology file (.xlsx or .csv) as an upload would; print what to fix"
    )
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument(
        "--columns", default="", help='the partnership\'s own columns, comma-separated: "Team,Location"'
    )
    check.add_argument("--born", metavar="DD/MM/YYYY", help="the child's date of birth")
    check.set_defaults(func=cmd_chronology_check)
    analytics = commands.add_parser("analytics", help="the analytics service's read models")
    analytics_commands = analytics.add_subparsers(dest="analytics_command", required=True)
    rebuild = analytics_commands.add_parser(
        "rebuild",
        help="drop a projection's rows (or every projection's) and replay the event store into them",
    )
    rebuild.add_argument("projection", nargs="?", help="the projection to rebuild (default: every one)")
    rebuild.add_argument("--batch", type=int, default=None, help="events read per batch (default 2000)")
    rebuild.set_defaults(func=cmd_analytics_rebuild)
    run = commands.add_parser("run", help="migrate, start every process, load the demo, print the address")
    run.add_argument("--no-demo", action="store_true")
    run.set_defaults(func=cmd_run)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"caserev {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
