"""The event catalogue lists the gateway's identity events beside the services' own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate_event_docs.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_event_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_identity_events_are_catalogued_as_the_gateways_on_exchange_identity_events():
    script = _script()
    _, events = script.collect()
    by_type = {event.type: event for event in events}
    for event_type in ("identity.person_changed", "identity.agency_changed"):
        assert event_type in by_type, f"{event_type} is missing from docs/events.md: see GATEWAY_CONTRACTS"
        assert (by_type[event_type].producer, by_type[event_type].source) == ("gateway", "identity")
    assert by_type["forms.review_opened"].producer == "forms", "a service's events are still its own"
