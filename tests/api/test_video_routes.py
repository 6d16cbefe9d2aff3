"""The video routes' checks at submit time, answered before anything is charged: the seed's limits
(b-roll `duration: 7` is 400), a script too long to narrate within `duration` (400 with the
estimate), an `avatarImage` URL the fetch policy refuses, voices, and the OpenAPI document. (The
presenter's own checks, plan and model: tests/products/avatar/test_avatar_routes.py.)"""

from __future__ import annotations

import re

import pytest

WORDS = (
    "Every morning the harbor wakes before the town, and the fishing boats slide out past the lighthouse into the fog. "
)


def balance(client, headers) -> int:
    return client.get("/api/usage", headers=headers).json()["data"]["credits"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("b-roll", {"prompt": "rain on a street", "duration": 7}, "duration: must be a number between 3 and 6"),
        ("b-roll", {"prompt": "rain on a street", "duration": 2}, "duration: must be a number between 3 and 6"),
        ("b-roll", {"prompt": "rain", "resolution": "1080p"}, "resolution: must be one of 480p, 720p"),
        ("b-roll", {"prompt": "  "}, "prompt: must not be blank"),
        ("text2video", {"script": "waves", "duration": 61}, "duration: must be a number between 1 and 60"),
        ("text2video", {"script": "waves", "resolution": "480p"}, "resolution: must be one of 720p, 1080p"),
        (
            "text2video",
            {"script": "waves", "style": "noir"},
            "style: must be one of cinematic, documentary, animation, aerial",
        ),
        ("text2video", {"script": "x" * 5001}, "script: must be 1-5,000 characters"),
        ("text2video", {"script": "waves", "fps": 30}, None),  # unknown field
        (
            "video",
            {"script": "Hello there.", "avatarImage": "https://127.0.0.1/face.png"},
            "avatarImage: must resolve to a public address (127.0.0.1 is loopback)",
        ),
        ("video", {"script": "Hello there.", "avatarImage": ""}, "avatarImage: must be 1-4,096 characters"),
        ("video", {"script": "Hello there.", "duration": 2}, "duration: must be a number between 3 and 60"),
        (
            "video",
            {"script": "Hello there.", "style": "cinematic"},
            "style: must be one of professional, casual, energetic",
        ),
        ("video", {"script": "Hello there.", "voiceId": "nobody"}, None),
        ("video", {"script": "Hello there.", "model": "sora-9"}, None),
    ],
)
def test_bad_requests_are_400_and_charge_nothing(app_client, account, path, body, message):
    before = balance(app_client, account.headers)
    r = app_client.post(f"/api/generate/{path}", json=body, headers=account.headers)
    assert r.status_code == 400, r.text
    error = r.json()
    assert error["code"] == "BAD_REQUEST"
    if message is not None:
        assert error["error"] == message
    assert balance(app_client, account.headers) == before
    assert app_client.get("/api/jobs", headers=account.headers).json()["data"] == []


def test_a_script_too_long_for_duration_is_400_with_the_estimate(app_client, account):
    script = WORDS * 5  # 100 words: about half a minute at the default voice's pace
    r = app_client.post("/api/generate/video", json={"script": script, "duration": 15}, headers=account.headers)
    assert r.status_code == 400
    match = re.fullmatch(r"script: needs about (\d+) s of narration, more than duration 15", r.json()["error"])
    assert match and 25 <= int(match.group(1)) <= 45, r.json()
    # The same script fits a minute.
    r = app_client.post(
        "/api/generate/video", json={"script": script, "duration": 60, "seed": 1}, headers=account.headers
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["data"]["jobId"]
    assert r.json()["data"]["creditsCharged"] == 250
    app_client.delete(f"/api/jobs/{job_id}", headers=account.headers)
    params = app_client.get(f"/api/jobs/{job_id}/params", headers=account.headers).json()["data"]["params"]
    assert params["voiceModel"] == "piper-joe-medium" and "avatarImage" not in params


def test_openapi_documents_the_video_routes(app_client):
    doc = app_client.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for path, fields in (
        ("text2video", {"script", "duration", "resolution", "style", "model"}),
        ("b-roll", {"prompt", "duration", "resolution", "model"}),
        ("video", {"script", "avatarImage", "voiceId", "duration", "resolution", "style", "model"}),
    ):
        post = doc["paths"][f"/api/generate/{path}"]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert fields <= set(schemas[ref]["properties"]) and "202" in post["responses"]
    broll = doc["paths"]["/api/generate/b-roll"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    duration = schemas[broll["$ref"].split("/")[-1]]["properties"]["duration"]
    assert (duration["minimum"], duration["maximum"]) == (3, 6)
