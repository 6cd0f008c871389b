import httpx


def test_gateway_reports_every_part_healthy(system):
    report = httpx.get(f"{system.gateway_url}/healthz", timeout=10).json()
    assert report["status"] == "ok", report
