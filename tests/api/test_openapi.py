"""The OpenAPI document says what the server answers: every failure as the `{error, code}`
envelope, a security requirement only where a key is required, and each route's own answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.response.sse import ServerSentEventMessage

from apexlocal.api.sse import KEEPALIVE
from apexlocal.api.validation import PLAIN_TEXT
from tests.conftest import add_account

PUBLIC = ("/healthz", "/readyz", "/files/", "/auth/", "/assets/")
SUCCESS_OR_REDIRECT = ("1", "2", "3")


@pytest.fixture(scope="module")
def client(tmp_path_factory, models_dir) -> Iterator[Any]:
    from litestar.testing import TestClient

    from apexlocal.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("openapi"), models_dir)
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        client.headers.update(add_account(app.state.services.db, settings, "alice@example.com").headers)
        yield client


@pytest.fixture(scope="module")
def doc(client) -> dict[str, Any]:
    return client.get("/schema/openapi.json").json()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]


def test_every_failure_is_documented_as_the_envelope(doc):
    wrong = []
    for path, method, op in operations(doc):
        if "500" not in op["responses"]:
            wrong.append(f"{method} {path}: no 500")
        for status, response in op["responses"].items():
            if status.startswith(SUCCESS_OR_REDIRECT) or (path, status) == ("/readyz", "503"):
                continue
            schema = response["content"]["application/json"]["schema"]
            if schema != {"$ref": "#/components/schemas/ErrorBody"}:
                wrong.append(f"{method} {path} {status}: {schema}")
    assert wrong == []
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["code", "error"]
    assert "status_code" not in json.dumps(doc)  # Litestar's own error shape is never documented


def test_layers_failures_are_documented_where_they_happen(doc):
    paths = doc["paths"]
    image = paths["/api/generate/image"]["post"]["responses"]
    assert {"400", "401", "402", "403", "409", "413", "415", "429", "500", "503"} <= set(image)
    assert {"401", "429"}.isdisjoint(paths["/healthz"]["get"]["responses"])
    assert "404" in paths["/api/jobs/{job_id}"]["get"]["responses"]
    readiness = paths["/readyz"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert readiness == {"$ref": "#/components/schemas/Readiness"}


def test_security_is_required_only_behind_the_key(doc):
    assert "security" not in doc
    for path, method, op in operations(doc):
        if path.startswith(("/api/", "/v1/")):
            assert op.get("security") == [{"apiKey": []}], f"{method} {path}"
        else:
            assert not op.get("security"), f"{method} {path} is public"
    assert any(path.startswith(PUBLIC) for path in doc["paths"])


def _success(doc: dict[str, Any], path: str, method: str, status: str = "200") -> dict[str, Any]:
    return doc["paths"][path][method]["responses"][status]["content"]


def test_routes_answering_two_shapes_document_both(doc):
    one_of = _success(doc, "/api/jobs", "get")["application/json"]["schema"]["oneOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in one_of} == {"JobList", "JobOut"}
    one_of = _success(doc, "/api/jobs/{job_id}", "delete")["application/json"]["schema"]["oneOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in one_of} == {"JobOut", "JobDeletedOut"}
    deleted = doc["components"]["schemas"]["JobDeleted"]
    assert set(deleted["required"]) == {"jobId", "deleted", "status"}
    pull = doc["paths"]["/api/models/{model_id}/pull"]["post"]["responses"]
    assert {"200", "202"} <= set(pull)


def test_non_json_answers_have_their_media_types(doc):
    assert list(_success(doc, "/v1/audio/speech", "post")) == ["audio/*"]
    assert list(_success(doc, "/api/jobs/{job_id}/events", "get")) == ["text/event-stream"]
    assert list(_success(doc, "/", "get")) == ["text/html"]


def test_text_fields_state_their_pattern(doc):
    schemas = doc["components"]["schemas"]
    for name, field in [
        ("ImageRequest", "prompt"),
        ("VoiceRequest", "text"),
        ("SpeechRequest", "input"),
        ("VideoRequest", "script"),
        ("BRollRequest", "prompt"),
    ]:
        assert schemas[name]["properties"][field]["pattern"] == PLAIN_TEXT, name


def test_request_bodies_refuse_unknown_fields_in_the_document_too(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["ImageRequest"]["additionalProperties"] is False
    assert schemas["SpeechRequest"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["Job"]  # answers may grow fields


def test_events_are_documented_with_their_payload(doc):
    event = doc["components"]["schemas"]["JobEvent"]
    assert event["properties"]["event"]["const"] == "job"
    payload = event["properties"]["data"]["contentSchema"]["$ref"].rsplit("/", 1)[1]
    assert payload == "Job" and payload in doc["components"]["schemas"]
    pull = doc["paths"]["/api/models/{model_id}/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert pull["schema"]["$ref"].endswith("/PullStatusEvent")


def test_the_keepalive_is_a_comment_alone():
    # An empty `data:` line after it would make a browser fire an empty message event.
    assert ServerSentEventMessage(**KEEPALIVE).encode() == b": keepalive\r\n\r\n"


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/keys", "GET, OPTIONS, POST"),
        ("/api/jobs/x", "DELETE, GET, OPTIONS"),
        ("/api/settings", "GET, OPTIONS, PATCH"),
        ("/auth/login", "GET, OPTIONS, POST"),
    ],
)
def test_options_answers_list_every_method_of_the_path(client, path, methods):
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == methods
