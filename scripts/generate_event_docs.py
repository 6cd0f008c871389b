"""Generate the event catalogue, docs/events.md, and the same as an AsyncAPI 2.6 document, docs/asyncapi.json.

Events are the EventData subclasses of each service's contract module (services.kernel.config.SERVICE_NAMES)
and of gateway/contract.py, the people and agencies that the gateway publishes (source `identity`).
Consumers are read from the service classes that run (caserev/topology.py): each event handler's queue,
`evt-<source>-<event>--<service>.<method>`, as services.kernel.handler_queues.event_handler_queues names it.
So the catalogue says what the code does. `make docs` runs this; `--check` exits 1 when the committed
files differ from what would be generated (CI).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS_MD = ROOT / "docs" / "events.md"
ASYNCAPI_JSON = ROOT / "docs" / "asyncapi.json"
SCHEMAS = "#/components/schemas/"
# Sources of events that no service's contract module defines: source -> (module, who publishes).
GATEWAY_CONTRACTS = {"identity": ("gateway.contract", "gateway")}


@dataclass
class Consumer:
    """One event handler of a service, and the queue it consumes from."""

    service: str
    method: str
    queue: str

    @property
    def handler(self) -> str:
        return f"{self.service}.{self.method}"


@dataclass
class Event:
    """One event type of a contract module, with whoever consumes it."""

    model: type
    producer: str
    # The contract module others import it from (a contract package re-exports its parts' events).
    module: str
    consumers: list[Consumer] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.model.event_type)  # type: ignore[attr-defined]

    @property
    def version(self) -> int:
        return int(self.model.version)  # type: ignore[attr-defined]

    @property
    def source(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.type.split(".", 1)[1]

    @property
    def publisher(self) -> str:
        """The producer in words: a service, or the gateway."""
        return f"the {self.producer} service" if self.producer == self.source else f"the {self.producer}"

    @property
    def contract(self) -> str:
        return f"{self.module}.{self.model.__qualname__}"

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.model.__doc__ or "")


def collect() -> tuple[type, list[Event]]:
    """The envelope type, and every contract event with its consumers, by event type."""
    # nameko imports eventlet, which warns that it is deprecated; nothing here runs under eventlet.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    sys.path.insert(0, str(ROOT))
    from caserev.topology import service_classes
    from services.kernel.config import SERVICE_NAMES
    from services.kernel.events import Envelope, EventData
    from services.kernel.handler_queues import event_handler_queues

    events: dict[str, Event] = {}
    problems: list[str] = []
    contracts = {service: (f"services.{service}.contract", service) for service in SERVICE_NAMES}
    contracts.update(GATEWAY_CONTRACTS)
    for source, (module_name, producer) in contracts.items():
        module = importlib.import_module(module_name)
        for model in vars(module).values():
            if not (inspect.isclass(model) and issubclass(model, EventData) and model is not EventData):
                continue
            if model.__module__ != module.__name__ and not model.__module__.startswith(f"{module.__name__}."):
                continue  # imported from another contract, catalogued there
            if not isinstance(getattr(model, "event_type", None), str):
                problems.append(f"{model.__module__}.{model.__qualname__} has no event_type")
                continue
            event = Event(model, producer, module.__name__)
            if event.source != source:
                problems.append(f"{event.contract} has type {event.type!r}: it must start with '{source}.'")
            if event.type in events:
                problems.append(
                    f"{event.type} is defined twice: {events[event.type].contract}, {event.contract}"
                )
            events[event.type] = event

    for service_cls in service_classes():
        for queue in event_handler_queues(service_cls):
            source = queue.exchange.name.removesuffix(".events")
            event_type = f"{source}.{queue.routing_key}"
            service, method = queue.name.split("--", 1)[1].split(".", 1)
            if event_type not in events:
                problems.append(f"{service}.{method} handles {event_type}, which no contract module defines")
                continue
            events[event_type].consumers.append(Consumer(service, method, queue.name))
    # The gateway consumes some events too, each process on a queue of its own (exclusive, server-named).
    from gateway import live, live_figures

    consumed = [(t, "LiveUnread") for t in live.CONSUMED] + [
        (t, "LiveFigures") for t in live_figures.CONSUMED
    ]
    for event_type, consumer in consumed:
        if event_type not in events:
            problems.append(f"the gateway consumes {event_type}, which no contract module defines")
            continue
        events[event_type].consumers.append(
            Consumer("gateway", consumer, "an exclusive, server-named queue per gateway process")
        )

    if problems:
        raise SystemExit("cannot write the event catalogue:\n  " + "\n  ".join(problems))
    for event in events.values():
        event.consumers.sort(key=lambda consumer: consumer.handler)
    return Envelope, sorted(events.values(), key=lambda event: event.type)


def schemas(envelope: type, events: list[Event]) -> dict[str, Any]:
    """JSON schemas of the envelope and every payload (and any type they use), as they go on the wire."""
    from pydantic.json_schema import models_json_schema

    models = [(envelope, "serialization"), *((event.model, "serialization") for event in events)]
    _, definitions = models_json_schema(models, ref_template=SCHEMAS + "{model}")  # type: ignore[arg-type]
    return dict(definitions.get("$defs", {}))


def schema_name(model: type, definitions: dict[str, Any]) -> str:
    """The name pydantic gave a model among the definitions (its class name unless two collide)."""
    title = model.__name__
    if title in definitions:
        return title
    return next(name for name in definitions if name.endswith(title))


# ---------------------------------------------------------------------------------------------- markdown


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in words, for a table cell."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(SCHEMAS)
        return f"[{name}](#{name.lower()})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " or ".join(type_of(part) for part in schema[combinator])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(type_of({**schema, "type": one}) for one in kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    if kind is None:
        return "any"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def field_table(schema: dict[str, Any], *, with_required: bool = True) -> list[str]:
    """A table of an object schema's fields: name, type, required (and description where any has one)."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    described = any("description" in spec for spec in properties.values())
    columns = [
        "Field",
        "Type",
        *(["Required"] if with_required else []),
        *(["Description"] if described else []),
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for name, spec in properties.items():
        row = [f"`{name}`", cell(type_of(spec))]
        if with_required:
            row.append("yes" if name in required else "no")
        if described:
            row.append(cell(spec.get("description", "")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub's rule: lower case, punctuation dropped)."""
    return "".join(ch for ch in heading.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def render_markdown(envelope: type, events: list[Event], definitions: dict[str, Any]) -> str:
    envelope_name = schema_name(envelope, definitions)
    event_names = {schema_name(event.model, definitions) for event in events}
    lines = [
        "# Event catalogue",
        "",
        "<!-- Generated by scripts/generate_event_docs.py (`make docs`) from the contract modules.",
        "     Do not edit by hand: CI runs the script with --check. -->",
        "",
        "Every event travels in one envelope on its source's topic exchange `<source>.events` (a",
        "service's, or `identity.events` for the people and agencies the gateway publishes),",
        "with the event's name as routing key, persistent and with publisher confirms (the outbox",
        "relay). Each consuming handler has its own durable queue,",
        "`evt-<source>-<event>--<service>.<method>`, which `caserev migrate` declares before anything",
        "is published. The same catalogue for tools: [asyncapi.json](asyncapi.json) (AsyncAPI 2.6).",
        "",
        "| Event | Version | Producer | Consumers |",
        "|---|---|---|---|",
    ]
    for event in events:
        consumers = ", ".join(f"`{consumer.handler}`" for consumer in event.consumers) or "none yet"
        lines.append(
            f"| [`{event.type}`](#{anchor(event.type)}) | {event.version} | {event.producer} | {consumers} |"
        )
    lines += [
        "",
        "## Envelope",
        "",
        inspect.cleandoc(envelope.__doc__ or ""),
        "",
        *field_table(definitions[envelope_name], with_required=False),
        "",
        f"Publishers send every field (`{envelope.__module__}.{envelope.__qualname__}`, dumped",
        'whole); a field typed "or null" is null where it does not apply. `data` is the payload of',
        "the envelope's `type` and `version`, below. The AMQP message carries the event id as",
        "`message_id` and the event type as `type`.",
    ]
    for event in events:
        lines += ["", f"## {event.type}", "", event.doc, ""]
        lines += [
            f"- Version: {event.version}",
            f"- Producer: {event.producer}, on exchange `{event.source}.events`, routing key `{event.name}`",
            f"- Contract: `{event.contract}`",
        ]
        if event.consumers:
            lines.append("- Consumers:")
            lines += [f"  - `{consumer.handler}`, queue `{consumer.queue}`" for consumer in event.consumers]
        else:
            lines.append("- Consumers: none yet")
        lines += ["", *field_table(definitions[schema_name(event.model, definitions)])]
    shared = [name for name in definitions if name != envelope_name and name not in event_names]
    if shared:
        lines += ["", "## Types used in payloads"]
        for name in sorted(shared):
            lines += ["", f"### {name}", ""]
            if definitions[name].get("description"):
                lines += [definitions[name]["description"], ""]
            definition = definitions[name]
            lines += field_table(definition) if "properties" in definition else [type_of(definition)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- asyncapi


def license_name(project: dict[str, Any]) -> str:
    """The project's licence, from pyproject.toml: an SPDX string, or the older `{text = ...}` table."""
    licence = project.get("license", "")
    return str(licence.get("text", "") if isinstance(licence, dict) else licence)


def _agency_channel(channels: dict[str, Any], messages: dict[str, Any], definitions: dict[str, Any]) -> None:
    """What agencies' own case systems publish: entries of a chronology, on their agency's own exchange
    (docs/agency-systems.md). The schema is the contract's (services/chronology/contract/feed.py)."""
    from services.chronology.contract.feed import AGENCY_ENTRIES_QUEUE, AgencyMessage

    schema = AgencyMessage.model_json_schema(ref_template=SCHEMAS + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        definitions.setdefault(name, definition)
    definitions["AgencyChronologyEntries"] = schema
    channels["caserev.agency.{agencyId}"] = {
        "description": "An agency's own exchange (fanout, durable). Its system's broker user, issued by the "
        "partnership's administrator, may publish here and nowhere else, and read nothing. The chronology "
        f"service reads every agency's exchange from the queue `{AGENCY_ENTRIES_QUEUE}`.",
        "parameters": {
            "agencyId": {"description": "The agency's id", "schema": {"type": "string", "format": "uuid"}}
        },
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": "caserev.agency.{agencyId}",
                    "type": "fanout",
                    "durable": True,
                    "autoDelete": False,
                },
                "bindingVersion": "0.2.0",
            }
        },
        "publish": {
            "operationId": "agency_chronology_entries",
            "tags": [{"name": "agencies"}],
            "summary": "An agency's case system publishes chronology entries of a review.",
            "description": "Set the AMQP properties `user_id` (your broker user: the broker refuses any "
            "other, and it is the only proof of who sent the message), a unique `message_id` (a repeat is "
            "ignored) and `content_type` application/json. A message refused (schema, a review your agency "
            "is not asked about, an entry with a problem) goes to the dead-letter queue with the reason, "
            "which the review's business manager sees.",
            "bindings": {
                "amqp": {"deliveryMode": 2, "userId": "your broker user", "bindingVersion": "0.2.0"}
            },
            "message": {"$ref": "#/components/messages/agency.chronology_entries"},
        },
    }
    messages["agency.chronology_entries"] = {
        "messageId": "agency.chronology_entries",
        "name": "agency.chronology_entries",
        "title": "AgencyChronologyEntries",
        "summary": inspect.cleandoc(AgencyMessage.__doc__ or ""),
        "contentType": "application/json",
        "payload": {"$ref": SCHEMAS + "AgencyChronologyEntries"},
        "x-caserev-contract": "services.chronology.contract.AgencyMessage",
    }


def render_asyncapi(envelope: type, events: list[Event], definitions: dict[str, Any]) -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    envelope_ref = {"$ref": SCHEMAS + schema_name(envelope, definitions)}
    envelope_fields = list(definitions[schema_name(envelope, definitions)]["properties"])
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event in events:
        consumers = [
            {"service": consumer.service, "handler": consumer.handler, "queue": consumer.queue}
            for consumer in event.consumers
        ]
        channels[f"{event.source}.events/{event.name}"] = {
            "description": f"`{event.type}` on the topic exchange `{event.source}.events`.",
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": f"{event.source}.events",
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                    },
                    "bindingVersion": "0.2.0",
                }
            },
            "subscribe": {
                "operationId": f"{event.source}_{event.name}",
                "tags": [{"name": event.source}],
                "summary": f"Published by {event.producer}; consumed by "
                + (", ".join(consumer.handler for consumer in event.consumers) or "no service yet")
                + ".",
                "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.2.0"}},
                "message": {"$ref": f"#/components/messages/{event.type}"},
                "x-caserev-consumers": consumers,
            },
        }
        messages[event.type] = {
            "messageId": event.type,
            "name": event.type,
            "title": event.model.__name__,
            "summary": event.doc,
            "contentType": "application/json",
            "bindings": {"amqp": {"messageType": event.type, "bindingVersion": "0.2.0"}},
            "payload": {
                "allOf": [
                    envelope_ref,
                    {
                        "type": "object",
                        "required": envelope_fields,
                        "properties": {
                            "type": {"const": event.type},
                            "version": {"const": event.version},
                            "data": {"$ref": SCHEMAS + schema_name(event.model, definitions)},
                        },
                    },
                ]
            },
            "x-caserev-contract": event.contract,
        }
    _agency_channel(channels, messages, definitions)
    document = {
        "asyncapi": "2.6.0",
        "id": "urn:caserev:events",
        "info": {
            "title": "Case Review events",
            "version": project["version"],
            "license": {"name": license_name(project)},
            "description": "Facts the services publish, each in the one envelope, on its producer's topic "
            "exchange `<service>.events` with the event's name as routing key. Generated by "
            "scripts/generate_event_docs.py; docs/events.md is the same catalogue for people.",
        },
        "servers": {
            "rabbitmq": {
                "url": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The broker (docker-compose.yml's `rabbitmq`; AMQP_URI elsewhere).",
            }
        },
        "defaultContentType": "application/json",
        "tags": [
            {"name": source, "description": f"Events {publisher} publishes."}
            for source, publisher in sorted({(event.source, event.publisher) for event in events})
        ]
        + [
            {
                "name": "agencies",
                "description": "What agencies' own case systems publish (docs/agency-systems.md).",
            }
        ],
        "channels": channels,
        "components": {"messages": messages, "schemas": definitions},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[Path, str]:
    """Each output file and the text it should hold."""
    envelope, events = collect()
    definitions = schemas(envelope, events)
    return {
        EVENTS_MD: render_markdown(envelope, events, definitions),
        ASYNCAPI_JSON: render_asyncapi(envelope, events, definitions),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a committed file differs from what would be generated",
    )
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        names = ", ".join(str(path) for path in stale)
        print(f"out of date: {names}. Run `make docs` and commit the result.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
