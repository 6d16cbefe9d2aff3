"""POST /api/generate/translate refused before anything is charged, and the languages route,
through one real `apexlocal serve` process (tiny set, input URLs held to the default policy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, server_env
from tests.e2e.helpers import new_user

pytestmark = pytest.mark.e2e

VIDEO = "https://videos.example.com/talk.mp4"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[ServerProcess]:
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_RATE_LIMITS": "generation=100/10,read=100000/10",
        },
    )
    srv = ServerProcess(tmp_path_factory.mktemp("translate-routes") / "data", free_port(), env).start()
    srv.read_owner_key()
    yield srv
    srv.stop()


def api(server: ServerProcess, key: str | None = None) -> httpx.Client:
    return loopback.client(
        base_url=server.url, headers={"Authorization": f"Bearer {key or server.owner_key}"}, timeout=30
    )


def credits(client: httpx.Client) -> int:
    return client.get("/api/usage").json()["data"]["credits"]


def test_the_languages_that_work_here_are_listed(server):
    with api(server) as client:
        r = client.get("/api/translate/languages")
    assert r.status_code == 200, r.text
    languages = {item["code"]: item for item in r.json()["data"]}
    spanish = languages["es"]  # Apertium's English -> Spanish pair, spoken by espeak-ng
    assert spanish["name"] == "Spanish" and "en" in spanish["translatesFrom"]
    # The multilingual Chatterbox speaks Spanish in the video's own voice (the tiny set builds its
    # stand-in for the job); the English one speaks English. Where preserveOriginalVoice is refused
    # (a full-set server without the multilingual model): test_original_voice_languages.py.
    assert spanish["voice"]["model"] == "espeak-ng" and spanish["originalVoice"] is True
    english = languages["en"]  # Spanish -> English
    assert "es" in english["translatesFrom"] and english["originalVoice"] is True
    assert "ko" not in languages


@pytest.mark.parametrize("language", ["ko", "xx"])
def test_a_language_that_does_not_work_here_is_400_naming_those_that_do(server, language):
    with api(server) as client:
        before = credits(client)
        r = client.post("/api/generate/translate", json={"videoUrl": VIDEO, "outputLanguage": language})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "BAD_REQUEST"
        message = r.json()["error"]
        assert message.startswith(f"outputLanguage: this server cannot translate a video into {language}")
        assert "languages that work on this server:" in message and "es (Spanish)" in message, message
        assert credits(client) == before


def test_spanish_in_the_original_voice_passes_the_language_check(server):
    # The language is checked before the URL: a refused URL is what is left to refuse.
    body = {"videoUrl": "https://127.0.0.1/talk.mp4", "outputLanguage": "es", "preserveOriginalVoice": True}
    with api(server) as client:
        r = client.post("/api/generate/translate", json=body)
    assert r.status_code == 400 and r.json()["error"].startswith("videoUrl: must resolve to a public address"), r.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/talk.mp4", "videoUrl: must resolve to a public address (127.0.0.1 is loopback)"),
        ("http://videos.example.com/talk.mp4", "videoUrl: must use https"),
        ("file:///etc/passwd", "videoUrl:"),
    ],
)
def test_a_url_the_fetch_policy_refuses_is_400(server, url, message):
    with api(server) as client:
        before = credits(client)
        r = client.post("/api/generate/translate", json={"videoUrl": url, "outputLanguage": "es"})
        assert r.status_code == 400 and r.json()["error"].startswith(message), r.text
        assert credits(client) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"videoUrl": VIDEO, "outputLanguage": "spa"}, "outputLanguage: must be a two-letter ISO 639-1"),
        ({"videoUrl": VIDEO}, "outputLanguage:"),
        ({"outputLanguage": "es"}, "videoUrl:"),
        ({"videoUrl": VIDEO, "outputLanguage": "es", "voiceId": "x"}, "voiceId:"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(server, body, message):
    with api(server) as client:
        r = client.post("/api/generate/translate", json=body)
    assert r.status_code == 400 and r.json()["error"].startswith(message), r.text


def test_the_free_plan_may_not_translate(server):
    key = new_user(server.data_dir, "free@example.com", 5000, plan="free")
    with api(server, key) as client:
        r = client.post("/api/generate/translate", json={"videoUrl": VIDEO, "outputLanguage": "es"})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", r.text
