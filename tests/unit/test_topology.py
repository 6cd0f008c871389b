"""Handler queues are declared ahead of time under exactly the names and arguments nameko will use."""

from __future__ import annotations

from types import SimpleNamespace

from services.analytics.service import AnalyticsService
from services.kernel.broker import handler_queue
from services.kernel.entrypoints import EventHandler
from services.kernel.handler_queues import event_handler_queues
from services.notifications.service import NotificationsService


def test_handler_queue_is_named_as_nameko_names_a_service_pool_queue():
    queue = handler_queue("forms", "review_opened", "analytics", "count_opened_review")
    assert queue.name == "evt-forms-review_opened--analytics.count_opened_review"
    assert queue.routing_key == "review_opened"
    assert queue.exchange.name == "forms.events" and queue.exchange.type == "topic"
    assert queue.durable and not queue.auto_delete


def test_handler_queues_are_quorum_queues_by_default():
    assert handler_queue("forms", "x", "y", "z").queue_arguments == {"x-queue-type": "quorum"}


def test_entrypoint_consumes_the_queue_the_topology_declared():
    handler = EventHandler("forms", "review_opened")
    handler.container = SimpleNamespace(service_name="analytics", config={})
    handler.method_name = "count_opened_review"
    handler.queue_consumer = SimpleNamespace(register_provider=lambda provider: None)
    handler.setup()
    declared = handler_queue("forms", "review_opened", "analytics", "count_opened_review")
    assert (handler.queue.name, handler.queue.queue_arguments) == (declared.name, declared.queue_arguments)


def test_every_event_handler_of_a_service_has_a_declared_queue():
    # Every event a projection takes (services/analytics/domain.py: HANDLED_EVENTS), each on its own queue.
    assert sorted(q.name for q in event_handler_queues(AnalyticsService)) == [
        "evt-actions-action_assigned--analytics.count_assigned_action",
        "evt-actions-action_completed--analytics.count_completed_action",
        "evt-actions-action_not_implemented--analytics.count_not_implemented_action",
        "evt-actions-action_overdue--analytics.count_overdue_action",
        "evt-actions-action_reopened--analytics.count_reopened_action",
        "evt-actions-action_signed_off--analytics.count_signed_off_action",
        "evt-actions-lesson_recorded--analytics.apply_actions_lesson_recorded",
        "evt-actions-recommendation_made--analytics.apply_actions_recommendation_made",
        "evt-forms-deadline_changed--analytics.apply_forms_deadline_changed",
        "evt-forms-decision_made--analytics.apply_forms_decision_made",
        "evt-forms-panel_responded--analytics.apply_forms_panel_responded",
        "evt-forms-return_extended--analytics.apply_forms_return_extended",
        "evt-forms-return_requested--analytics.apply_forms_return_requested",
        "evt-forms-return_submitted--analytics.apply_forms_return_submitted",
        "evt-forms-review_closed--analytics.apply_forms_review_closed",
        "evt-forms-review_opened--analytics.count_opened_review",
        "evt-forms-review_paused--analytics.apply_forms_review_paused",
        "evt-forms-review_published--analytics.apply_forms_review_published",
        "evt-forms-review_restated--analytics.count_restated_review",
        "evt-forms-review_resumed--analytics.apply_forms_review_resumed",
        "evt-forms-sin_submitted--analytics.apply_forms_sin_submitted",
        "evt-forms-stage_changed--analytics.count_stage_change",
        "evt-forms-step_completed--analytics.apply_forms_step_completed",
        "evt-identity-agency_changed--analytics.apply_identity_agency_changed",
        "evt-identity-partnership_changed--analytics.apply_identity_partnership_changed",
    ]
    # The notifications service subscribes to what its rules name (rules.yml), and to people and agencies.
    assert sorted(q.name for q in event_handler_queues(NotificationsService)) == [
        "evt-actions-action_assigned--notifications.on_actions_action_assigned",
        "evt-actions-action_completed--notifications.on_actions_action_completed",
        "evt-actions-action_not_implemented--notifications.on_actions_action_not_implemented",
        "evt-actions-action_reopened--notifications.on_actions_action_reopened",
        "evt-actions-action_signed_off--notifications.on_actions_action_signed_off",
        "evt-chronology-chronology_rejected--notifications.on_chronology_chronology_rejected",
        "evt-chronology-chronology_replaced--notifications.on_chronology_chronology_replaced",
        "evt-chronology-chronology_uploaded--notifications.on_chronology_chronology_uploaded",
        "evt-forms-deadline_changed--notifications.on_forms_deadline_changed",
        "evt-forms-return_extended--notifications.on_forms_return_extended",
        "evt-forms-return_requested--notifications.on_forms_return_requested",
        "evt-forms-return_submitted--notifications.on_forms_return_submitted",
        "evt-forms-review_closed--notifications.on_forms_review_closed",
        "evt-forms-review_opened--notifications.on_forms_review_opened",
        "evt-identity-agency_changed--notifications.learn_agency",
        "evt-identity-person_changed--notifications.learn_person",
        "evt-meetings-meeting_cancelled--notifications.on_meetings_meeting_cancelled",
        "evt-meetings-meeting_reminder_due--notifications.on_meetings_meeting_reminder_due",
        "evt-meetings-meeting_scheduled--notifications.on_meetings_meeting_scheduled",
        "evt-meetings-meeting_updated--notifications.on_meetings_meeting_updated",
        "evt-meetings-minutes_circulated--notifications.on_meetings_minutes_circulated",
        "evt-meetings-reply_received--notifications.on_meetings_reply_received",
        "evt-reports-accuracy_confirmed--notifications.on_reports_accuracy_confirmed",
        "evt-reports-accuracy_disputed--notifications.on_reports_accuracy_disputed",
        "evt-reports-accuracy_requested--notifications.on_reports_accuracy_requested",
        "evt-reports-accuracy_round_closed--notifications.on_reports_accuracy_round_closed",
        "evt-reports-comment_added--notifications.on_reports_comment_added",
        "evt-reports-version_signed_off--notifications.on_reports_version_signed_off",
    ]


def test_dead_letters_wait_in_a_classic_queue_so_listing_them_cannot_use_up_a_delivery_limit():
    from services.kernel.broker import dead_letter_queue

    assert not dead_letter_queue().queue_arguments, "a quorum queue would count each listing as a delivery"


def test_a_private_subscription_binds_a_server_named_queue_to_the_services_exchange():
    import asyncio

    from services.kernel.broker import declare_private_subscription

    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        async def declare_exchange(self, *args: object, **kwargs: object) -> Recorder:
            calls.append(("exchange", args, kwargs))
            return Recorder("exchange")

        async def declare_queue(self, *args: object, **kwargs: object) -> Recorder:
            calls.append(("queue", args, kwargs))
            return Recorder("queue")

        async def bind(self, exchange: Recorder, routing_key: str) -> None:
            calls.append(("bind", (exchange.name,), {"routing_key": routing_key}))

    queue = asyncio.run(declare_private_subscription(Recorder("channel"), "notifications", ["a", "b"]))
    assert queue.name == "queue"
    assert calls == [
        ("exchange", ("notifications.events", "topic"), {"durable": True}),
        ("queue", ("",), {"exclusive": True, "auto_delete": True}),
        ("bind", ("exchange",), {"routing_key": "a"}),
        ("bind", ("exchange",), {"routing_key": "b"}),
    ], "the same exchange as the topology's, and a queue that lives only as long as the connection"


def test_only_the_kernels_broker_module_declares_exchanges_and_queues():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    # nameko's own entrypoints declare theirs; the gateway's RPC client declares its reply queue.
    allowed = {Path("services/kernel/broker.py"), Path("gateway/rpc.py")}
    declaring = {"declare", "declare_exchange", "declare_queue", "exchange_declare", "queue_declare"}
    found = []
    for top in ("services", "gateway", "caserev"):
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            if relative in allowed or "migrations" in relative.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                attribute = node.func if isinstance(node, ast.Call) else None
                if isinstance(attribute, ast.Attribute) and attribute.attr in declaring:
                    found.append(f"{relative}:{node.lineno} calls .{attribute.attr}()")
    assert not found, "declare exchanges and queues through services/kernel/broker.py:\n" + "\n".join(found)


def test_the_actions_service_declares_a_queue_for_each_event_it_takes_up():
    from services.actions.service import ActionsService

    assert sorted(q.name for q in event_handler_queues(ActionsService)) == [
        "evt-forms-review_closed--actions.close_review",
        "evt-forms-review_opened--actions.hold_review",
        "evt-forms-sin_submitted--actions.note_awareness",
        "evt-identity-agency_changed--actions.keep_agency",
        "evt-identity-person_changed--actions.keep_person",
        "evt-meetings-action_agreed--actions.take_up_agreed_action",
    ]
