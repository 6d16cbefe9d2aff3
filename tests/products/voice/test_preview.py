"""GET /api/voices/{voice_id}/preview with the tiny set on a CPU: a stock voice speaks its sentence
once (Whisper reads it back), free and without a job, and later requests get the kept file; a
voice whose model is not installed, an unknown voice and someone else's cloned voice are refused."""

from __future__ import annotations

import threading

from apexlocal.accounts import credits
from apexlocal.db import voices as voices_db
from apexlocal.products.voice import preview as voice_preview
from tests.api.voice_helpers import decoded_seconds, transcribe_bytes, word_error_rate
from tests.conftest import add_account

PIPER_VOICE = "en_US-joe-medium"


def preview(client, headers, voice, **params):
    return client.get(f"/api/voices/{voice}/preview", params=params, headers=headers)


def fetch(client, url):
    r = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    return r.content


def test_a_stock_voice_is_spoken_once_free_and_kept(app_client, account, tmp_path):
    r = preview(app_client, account.headers, PIPER_VOICE)
    assert r.status_code == 200, r.text
    first = r.json()["data"]
    assert first["type"] == "stock" and first["model"] == "piper-joe-medium" and first["cached"] is False
    assert first["contentType"] == "audio/wav" and first["text"] == voice_preview.SENTENCES["en"]
    audio = fetch(app_client, first["url"])
    assert 1.0 < decoded_seconds(audio) < 8.0
    assert word_error_rate(first["text"], transcribe_bytes(audio, tmp_path)) <= 0.3

    again = preview(app_client, account.headers, PIPER_VOICE, model="piper").json()["data"]
    assert again["cached"] is True and fetch(app_client, again["url"]) == audio
    # Nobody paid, and no job was recorded.
    assert credits.balance(app_client.services.db, account.id) == 1000
    assert app_client.get("/api/jobs", headers=account.headers).json()["data"] == []
    other = add_account(app_client.services.db, app_client.services.settings, "bob@example.com")
    assert preview(app_client, other.headers, PIPER_VOICE).json()["data"]["cached"] is True


def test_asked_for_at_once_it_is_spoken_once(app_client, account):
    results: list[dict] = []

    def ask() -> None:
        results.append(preview(app_client, account.headers, PIPER_VOICE).json()["data"])

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["cached"] for r in results) == [False, True, True]


def test_refusals(app_client, account):
    r = preview(app_client, account.headers, "af_bella")  # a Kokoro voice; Kokoro is not installed
    assert r.status_code == 400 and r.json()["code"] == "MODEL_UNAVAILABLE"
    assert r.json()["error"].startswith("model: kokoro-82m is not installed")
    r = preview(app_client, account.headers, "no_such_voice")
    assert r.status_code == 404
    r = preview(app_client, account.headers, PIPER_VOICE, model="kokoro")
    assert r.status_code in (400, 404)
    r = preview(app_client, account.headers, PIPER_VOICE, model="flux-2-pro")  # not a voice model
    assert r.status_code == 400 and r.json()["error"].startswith("model: must be one of")
    assert preview(app_client, {}, PIPER_VOICE).status_code == 401


def test_a_cloned_voice_plays_its_own_sample_to_its_owner_only(app_client, account, tmp_path):
    services = app_client.services
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF....WAVE")
    key = f"voices/{account.id}/v1/sample.wav"
    services.storage.put_file(key, clip, "audio/wav")
    with services.db.write():
        voices_db.insert_pending(services.db, "v1", account.id, "Mine", 80)
        voices_db.mark_ready(
            services.db,
            "v1",
            clip_key=key,
            transcript="hello there",
            embedding=b"",
            embedding_kind="none",
            language="en",
            duration=20.0,
            sample_rate=24000,
        )
    data = preview(app_client, account.headers, "v1").json()["data"]
    assert data["type"] == "cloned" and data["text"] == "hello there"
    assert app_client.get(data["url"].replace("http://127.0.0.1:8000", "")).content == b"RIFF....WAVE"
    other = add_account(services.db, services.settings, "eve@example.com")
    assert preview(app_client, other.headers, "v1").status_code == 404
