"""POST /api/generate/avatar and the video route's `avatarImage`, at submit time, through one real
server on loopback: every refusal is a 400 (403 for a plan) naming the field and the rule, charged
nothing; an accepted request is charged 750, its spec carries what submit decided (the voice model,
a cloned voice), and a cancel while queued refunds it. No worker runs here: jobs stay queued."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from apexlocal.db import voices as voices_db
from tests import loopback
from tests.api.live_server import LiveServer
from tests.api.webhook_helpers import png_bytes, wav_bytes
from tests.conftest import make_settings

SEED_MODELS = ("veed-fabric", "creatify-aurora", "kling-avatar-v2", "omnihuman-1.5")
PIPER_VOICE = "en_US-joe-medium"


@dataclass
class Served:
    server: LiveServer
    services: Any
    settings: Any

    def client(self, plan: str = "enterprise", credits: int = 10_000) -> httpx.Client:
        user = create_user(self.services.db, f"{uuid.uuid4().hex[:8]}@example.com", plan, self.settings.plans, credits)
        key = create_key(self.services.db, user.id, "test").key
        client = loopback.client(base_url=self.server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        client.user_id = user.id  # type: ignore[attr-defined]
        return client


@pytest.fixture(scope="module")
def served(tmp_path_factory, models_dir) -> Iterator[Served]:
    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("avatar-routes"), models_dir, rate_limits="read=100000/10,generation=100000/10"
    )
    app = create_app(settings, start_workers=False)  # jobs stay queued: nothing runs a model here
    with LiveServer(app) as server:
        yield Served(server, app.state.services, settings)


@pytest.fixture(scope="module")
def alice(served: Served) -> Iterator[httpx.Client]:
    with served.client() as client:
        yield client


def upload(client: httpx.Client, kind: str, name: str, content: bytes, content_type: str) -> str:
    r = client.post(f"/api/upload/{kind}", files={"file": (name, content, content_type)})
    assert r.status_code == 201, r.text
    return r.json()["data"]["url"]


@pytest.fixture(scope="module")
def face_url(alice: httpx.Client) -> str:
    return upload(alice, "image", "face.png", png_bytes(64, 64), "image/png")


@pytest.fixture(scope="module")
def speech_url(alice: httpx.Client) -> str:
    return upload(alice, "audio", "speech.wav", wav_bytes(8000), "audio/wav")


def balance(client: httpx.Client) -> int:
    return client.get("/api/usage").json()["data"]["credits"]


def jobs_of(client: httpx.Client) -> list[dict[str, Any]]:
    return client.get("/api/jobs").json()["data"]


def refused(client: httpx.Client, path: str, body: dict[str, Any], status: int = 400) -> str:
    before, jobs = balance(client), len(jobs_of(client))
    r = client.post(f"/api/generate/{path}", json=body)
    assert r.status_code == status, r.text
    assert balance(client) == before and len(jobs_of(client)) == jobs
    return r.json()["error"]


BOTH = "audio, text: give one of them, not both: audio is lip-synced as it is, text is spoken by voiceId"
NEITHER = "audio, text: one of them is required: audio (a recording) or text (spoken by voiceId)"


def test_exactly_one_of_audio_and_text(alice, face_url, speech_url):
    assert refused(alice, "avatar", {"image": face_url, "text": "Hello.", "audio": speech_url}) == BOTH
    assert refused(alice, "avatar", {"image": face_url}) == NEITHER
    assert refused(alice, "avatar", {"image": face_url, "text": "   "}) == "text: must not be blank"
    message = refused(alice, "avatar", {"image": face_url, "audio": speech_url, "voiceId": PIPER_VOICE})
    assert message == "voiceId: only with text; audio is lip-synced in its own voice"


def test_fields_are_checked_before_anything_is_charged(alice, face_url):
    body = {"image": face_url, "text": "Hello there."}
    assert refused(alice, "avatar", {**body, "resolution": "4k"}) == "resolution: must be one of 480p, 720p, 1080p"
    assert refused(alice, "avatar", {"text": "Hello there."}).startswith("image: ")
    assert refused(alice, "avatar", {**body, "fps": 30}).startswith("fps")  # an unknown field
    message = refused(alice, "avatar", {**body, "model": "sora-9"})
    assert message.startswith("model: must be one of ") and all(name in message for name in SEED_MODELS), message
    message = refused(alice, "avatar", {**body, "model": "flux-2-pro"})  # an image model
    assert message.startswith("model: must be one of "), message
    message = refused(alice, "avatar", {**body, "voiceId": "nobody"})
    assert message.startswith("voiceId: 'nobody' is not a voice of "), message


def test_text_longer_than_five_minutes_of_speech_is_refused_with_the_cap(alice, face_url):
    text = "Every morning the harbor wakes before the town, and the boats slide out. " * 80  # 1,120 words
    message = refused(alice, "avatar", {"image": face_url, "text": text})
    assert message.startswith("text: needs about ") and "5-minute cap (300 s)" in message, message


def test_input_urls_are_checked_as_every_input_url_is(served, alice, face_url, speech_url):
    loopback = f"{served.server.url}/assets/favicon.svg"
    assert refused(alice, "avatar", {"image": loopback, "text": "Hi."}) == (
        "image: must resolve to a public address (127.0.0.1 is loopback)"
    )
    message = refused(alice, "avatar", {"image": face_url, "audio": "https://localhost/a.wav"})
    assert message == "audio: host 'localhost' is not allowed (a local name)"
    assert refused(alice, "avatar", {"image": speech_url, "text": "Hi."}) == "image: expected image/*, got audio/wav"
    assert refused(alice, "avatar", {"image": face_url, "audio": face_url}) == "audio: expected audio/*, got image/png"
    with served.client() as bob:
        assert refused(bob, "avatar", {"image": face_url, "text": "Hi."}) == "image: is not one of your files"


def test_the_plan_decides(served, face_url):
    with served.client(plan="free") as free:
        message = refused(free, "avatar", {"image": face_url, "text": "Hi."}, status=403)
        assert message.startswith("Avatar video is not available on the free plan"), message
        own = upload(free, "image", "me.png", png_bytes(8, 8), "image/png")
        message = refused(free, "video", {"script": "Hello there.", "avatarImage": own}, status=403)
        assert message.startswith("A presenter (avatarImage) is not available on the free plan"), message


def test_an_accepted_avatar_is_charged_750_and_refunded_when_canceled(served, alice, face_url, speech_url):
    before = balance(alice)
    r = alice.post("/api/generate/avatar", json={"image": face_url, "text": "Hello there.", "model": "veed-fabric"})
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    assert (data["status"], data["creditsCharged"]) == ("queued", 750) and balance(alice) == before - 750
    job = alice.get(f"/api/jobs/{data['jobId']}").json()["data"]
    assert (job["type"], job["model"]) == ("avatar", "veed-fabric")
    params = alice.get(f"/api/jobs/{data['jobId']}/params").json()["data"]["params"]
    assert params["image"] == face_url and params["text"] == "Hello there." and params["resolution"] == "720p"
    assert params["voiceModel"] == "piper-joe-medium" and "clonedVoice" not in params

    r = alice.post("/api/generate/avatar", json={"image": face_url, "audio": speech_url, "resolution": "480p"})
    assert r.status_code == 202, r.text
    second = r.json()["data"]["jobId"]
    params = alice.get(f"/api/jobs/{second}/params").json()["data"]["params"]
    assert params["audio"] == speech_url and "voiceModel" not in params
    for job_id in (data["jobId"], second):
        canceled = alice.delete(f"/api/jobs/{job_id}").json()["data"]
        assert (canceled["status"], canceled["creditsRefunded"]) == ("canceled", 750)
    assert balance(alice) == before


def test_a_cloned_voice_speaks_the_text(served, alice, face_url):
    voice_id = str(uuid.uuid4())
    db = served.services.db
    with db.write():
        voices_db.insert_pending(db, voice_id, alice.user_id, "Me", 80)
        voices_db.mark_ready(
            db,
            voice_id,
            clip_key=f"voices/{alice.user_id}/{voice_id}/clip.wav",
            transcript="My name is Joe.",
            embedding=None,
            embedding_kind=None,
            language="en",
            duration=20.0,
            sample_rate=22050,
        )
    r = alice.post("/api/generate/avatar", json={"image": face_url, "text": "Hello there.", "voiceId": voice_id})
    assert r.status_code == 202, r.text
    job_id = r.json()["data"]["jobId"]
    params = alice.get(f"/api/jobs/{job_id}/params").json()["data"]["params"]
    assert params["clonedVoice"]["voiceId"] == voice_id and params["voiceId"] == voice_id
    assert "voice-clone" in served.services.manifest.by_id()[params["voiceModel"]].tasks
    alice.delete(f"/api/jobs/{job_id}")
    with served.client() as bob:  # another user's cloned voice is refused as if it did not exist
        own = upload(bob, "image", "bob.png", png_bytes(8, 8), "image/png")
        message = refused(bob, "avatar", {"image": own, "text": "Hi.", "voiceId": voice_id})
        assert message == f"voiceId: {voice_id!r} is not one of your voices (GET /api/voices lists them)"


def test_a_video_with_a_presenter_carries_its_image_and_avatar_model(served, alice, face_url):
    loopback = f"{served.server.url}/assets/favicon.svg"
    message = refused(alice, "video", {"script": "Hello there.", "avatarImage": loopback})
    assert message == "avatarImage: must resolve to a public address (127.0.0.1 is loopback)"
    r = alice.post("/api/generate/video", json={"script": "Hello there.", "avatarImage": face_url})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["creditsCharged"] == 250
    job_id = r.json()["data"]["jobId"]
    params = alice.get(f"/api/jobs/{job_id}/params").json()["data"]["params"]
    assert params["avatarImage"] == face_url
    assert "avatar" in served.services.manifest.by_id()[params["avatarModel"]].tasks
    assert alice.delete(f"/api/jobs/{job_id}").json()["data"]["creditsRefunded"] == 250


def test_openapi_documents_the_avatar_route(served):
    doc = loopback.get(f"{served.server.url}/schema/openapi.json").json()
    post = doc["paths"]["/api/generate/avatar"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = doc["components"]["schemas"][ref]
    assert set(schema["properties"]) == {"image", "resolution", "model", "audio", "text", "voiceId"}
    assert schema["required"] == ["image"]
    assert {"202", "400", "402", "403", "409", "503"} <= set(post["responses"])
    assert "750 credits" in post["description"]
    assert "picture-in-picture" in doc["paths"]["/api/generate/video"]["post"]["description"]
