"""The Grafana dashboard of deploy/ asks only for metrics the code defines, on the data source that
docker-compose.yml provisions, and compose loads both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy/grafana/dashboards/caserev.json"
PROVISIONING = ROOT / "deploy/grafana/provisioning"

# A metric defined in Python: Counter("name", ...), Histogram(...), Gauge(...), CallbackGauges(...).
DEFINITION = re.compile(r"\b(?:Counter|Histogram|Gauge|CallbackGauges)\(\s*\"([a-z_:][a-z0-9_:]*)\"")
# The rabbitmq_prometheus plugin's series that deploy/prometheus.yml scrapes (queue_coarse_metrics and
# queue_consumer_count of /metrics/detailed), and Prometheus's own.
OUTSIDE = {"rabbitmq_detailed_queue_messages", "rabbitmq_detailed_queue_consumers", "up"}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "histogram_quantile", "or",
    "and", "unless", "vector", "on", "ignoring", "le", "bool",
}  # fmt: skip


def defined_metrics() -> set[str]:
    """Every metric name the services and the gateway define, as Prometheus exposes it (a histogram's
    series with _bucket, _sum and _count)."""
    names: set[str] = set()
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("gateway/**/*.py")]:
        for name in DEFINITION.findall(path.read_text(encoding="utf-8")):
            names |= {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers not inside {...} or [...] or quotes, that
    are not functions, keywords or label names after `by`."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"|\$\w+", " ", expression)
    bare = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    return {word for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare) if word not in PROMQL_WORDS}


def test_every_query_of_the_dashboard_names_a_metric_the_code_defines() -> None:
    known = defined_metrics() | OUTSIDE
    expressions = dashboard_expressions()
    assert expressions
    for expression in expressions:
        names = metric_names(expression)
        assert names, f"no metric in {expression!r}"
        assert names <= known, f"{sorted(names - known)} in {expression!r} is defined nowhere in the code"


def test_the_check_finds_a_metric_that_does_not_exist() -> None:
    names = metric_names('sum by (service) (rate(caserev_no_such_total{outcome="error"}[$__rate_interval]))')
    assert names == {"caserev_no_such_total"}
    assert not names <= defined_metrics()


def test_the_dashboard_shows_health_and_business_figures() -> None:
    used = {name for expression in dashboard_expressions() for name in metric_names(expression)}
    health = {
        "caserev_entrypoint_calls_total",
        "caserev_entrypoint_seconds_bucket",
        "caserev_gateway_requests_total",
        "caserev_outbox_backlog",
        "caserev_dead_letters_total",
        "caserev_inbox_duplicates_skipped_total",
    }
    assert health <= used, health - used
    # The analytics service's business gauges (services/analytics/gauges.py).
    business = {
        "caserev_reviews_open",
        "caserev_returns_overdue",
        "caserev_statutory_deadlines",
        "caserev_actions_overdue",
    }
    assert business <= used, business - used


def test_every_panel_reads_the_provisioned_prometheus() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources/prometheus.yml").read_text())["datasources"]
    assert [(d["uid"], d["type"], d["url"]) for d in datasources] == [
        ("caserev-prometheus", "prometheus", "http://prometheus:9090")
    ]
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "caserev-prometheus", panel["title"]
            assert panel["description"], f"panel {panel['title']!r} says nothing of what it shows"


def test_compose_runs_grafana_with_the_provisioning_and_the_dashboard() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"]}
    assert (ROOT / mounts["/etc/grafana/provisioning"]).resolve() == PROVISIONING
    dashboards = yaml.safe_load((PROVISIONING / "dashboards/caserev.yml").read_text())["providers"]
    path = dashboards[0]["options"]["path"]
    assert (ROOT / mounts[path] / DASHBOARD.name).resolve() == DASHBOARD
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["prometheus"]
    assert "grafana-data" in compose["volumes"]
    # The admin password comes from .env, never from the repository.
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert "GRAFANA_ADMIN_PASSWORD=" in (ROOT / ".env.example").read_text()
