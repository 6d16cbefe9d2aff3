"""Health checks, the OpenAPI document, and the first start."""

from __future__ import annotations

import pytest
from litestar.routes import WebSocketRoute

from tests import loopback


def test_health_and_ready(app_client):
    assert app_client.get("/healthz").json() == {"status": "ok"}
    r = app_client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": True, "queues": True}


def test_not_ready_when_queues_are_stopped(app_client):
    app_client.services.queues.stop()
    r = app_client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["queues"] is False


def test_openapi_has_every_route_with_schemas(app_client):
    doc = app_client.get("/schema/openapi.json").json()
    paths = doc["paths"]
    # OpenAPI has no WebSocket operations: the studio's test-call socket is described in docs/api.md.
    app_routes = {
        route.path
        for route in app_client.app.routes
        if not route.path.startswith("/schema") and not isinstance(route, WebSocketRoute)
    }
    documented = set(paths)
    assert {
        "/api/generate/image",
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/events",
        "/api/keys",
        "/api/keys/{key_id}",
        "/api/keys/{key_id}/rotate",
        "/api/usage",
        "/api/models",
        "/healthz",
        "/readyz",
    } <= documented
    missing = {r for r in app_routes if r.replace(":str", "").replace(":path", "") not in documented}
    assert missing == set()
    image = paths["/api/generate/image"]["post"]
    schema_ref = image["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    props = doc["components"]["schemas"][schema_ref]["properties"]
    assert props["width"]["minimum"] == 256 and props["width"]["maximum"] == 2048
    assert "negativePrompt" in props
    assert "202" in image["responses"]


@pytest.mark.e2e
def test_first_start_prints_the_owner_key_once(server_factory):
    server = server_factory().start()
    key = server.read_owner_key()
    usage = loopback.get(f"{server.url}/api/usage", headers={"Authorization": f"Bearer {key}"}).json()["data"]
    assert usage["plan"] == "enterprise"
    server.stop()
    server.start()  # the same data dir: the owner exists, no key is printed again
    server.stop()
    assert sum(line.startswith("sk_live_") for line in server.lines) == 1
