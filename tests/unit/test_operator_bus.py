"""The operator's tools call the forms service through its typed client over nameko's own standalone proxy
(caserev/bus.py): the same wire as the gateway's, the caller sealed with the operator's key for the very
method, the answer in its declared type, with no event loop."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from caserev.bus import NamekoTransport
from services.forms.contract import Forms, OpenReview, ReviewSummary
from services.kernel import caller_seal
from services.kernel.config import Settings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once

SIGNING, VERIFY = caller_seal.new_key_pair()
OPERATOR = Settings(environment="production", caller_signing_key=SIGNING)
SERVICE = Settings(environment="production", caller_verify_key=VERIFY)
PARTNERSHIP = uuid.uuid4()
MANAGER = Actor(user_id="u-bm", partnership_id=PARTNERSHIP, roles=frozenset({Role.BUSINESS_MANAGER}))


class Proxy:
    """Stands in for nameko's ClusterRpcProxy: `proxy.forms.open_review(*args)`, recorded and answered."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []

    def __getattr__(self, service: str) -> Any:
        proxy = self

        class Service:
            def __getattr__(self, method: str) -> Any:
                def call(*args: Any) -> Any:
                    proxy.calls.append((service, method, args))
                    return proxy.answer

                return call

        return Service()


def _summary(review_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(review_id),
        "partnership_id": str(PARTNERSHIP),
        "review_type": "child_safeguarding",
        "review_type_label": "Child safeguarding",
        "title": "NB-2026-001",
        "stage": "notification",
        "stage_label": "Notification",
        "opened_at": "2026-11-30T09:00:00Z",
    }


def test_a_typed_call_over_nameko_s_proxy_seals_the_caller_for_its_method_and_answers_its_type() -> None:
    review_id = uuid.uuid4()
    proxy = Proxy(_summary(review_id))
    forms = Forms.client(NamekoTransport(proxy, OPERATOR))
    command = OpenReview(review_type="child_safeguarding", partnership_id=PARTNERSHIP, title="NB-2026-001")

    review = run_at_once(forms.open_review(MANAGER, command, "seed-demo:NB:1"))

    assert isinstance(review, ReviewSummary) and review.id == review_id
    [(service, method, args)] = proxy.calls
    assert (service, method) == ("forms", "open_review")
    sealed, sent, key = args
    assert caller_seal.unseal(sealed, "forms.open_review", settings=SERVICE) == MANAGER.model_dump(
        mode="json"
    )
    assert sent == {
        "review_type": "child_safeguarding",
        "partnership_id": str(PARTNERSHIP),
        "title": "NB-2026-001",
    }
    assert key == "seed-demo:NB:1"


def test_dates_and_ids_travel_as_nameko_s_json() -> None:
    return_id = uuid.uuid4()
    proxy = Proxy({})
    forms = Forms.client(NamekoTransport(proxy, OPERATOR))
    with pytest.raises(ValidationError):  # the stand-in's answer is no ReturnView: what was sent matters here
        run_at_once(forms.nil_return(MANAGER, return_id, 2, date(2026, 11, 27)))
    [(_service, method, args)] = proxy.calls
    assert method == "nil_return" and args[1:] == (str(return_id), 2, "2026-11-27")
