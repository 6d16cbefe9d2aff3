"""Standard Webhooks signing, checked by the independent `standardwebhooks` package."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apexlocal.webhooks import sign
from apexlocal.webhooks.fetch import post_json

from .servers import Handler, Server

Serve = Callable[..., Server]
BODY = json.dumps(
    {"event": "job.completed", "timestamp": "2026-01-01T00:00:00Z", "data": {"jobId": "job_1", "status": "completed"}}
).encode()


def test_new_secret_is_a_whsec_secret_of_random_bytes() -> None:
    secrets = {sign.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) <= 32


def test_a_valid_signature_passes_the_reference_library() -> None:
    secret = sign.new_secret()
    headers = sign.headers(secret, "msg_1", int(time.time()), BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_a_body_changed_by_one_byte_fails() -> None:
    secret = sign.new_secret()
    headers = sign.headers(secret, "msg_1", int(time.time()), BODY)
    tampered = BODY.replace(b"job_1", b"job_2")
    assert len(tampered) == len(BODY) and tampered != BODY
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    assert not sign.verify(secret, tampered, headers)


def test_a_timestamp_six_minutes_old_fails() -> None:
    secret = sign.new_secret()
    headers = sign.headers(secret, "msg_1", int(time.time()) - 6 * 60, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)
    assert not sign.verify(secret, BODY, headers)


def test_another_secret_fails() -> None:
    headers = sign.headers(sign.new_secret(), "msg_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(sign.new_secret()).verify(BODY, headers)


def test_the_published_example_signature_is_reproduced() -> None:
    from datetime import datetime

    # The example of the Standard Webhooks / Svix documentation.
    secret, msg_id, stamp, body = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign.sign(secret, msg_id, stamp, body.encode()) == expected
    assert Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, tz=UTC), body) == expected


def test_our_verify_accepts_valid_and_rotated_signatures() -> None:
    old, new = sign.new_secret(), sign.new_secret()
    now = int(time.time())
    headers = sign.headers(new, "msg_9", now, BODY)
    assert sign.verify(new, BODY, headers)
    # During a rotation both signatures are sent; either secret verifies.
    both = dict(
        headers, **{"webhook-signature": f"{sign.sign(old, 'msg_9', now, BODY)} {headers['webhook-signature']}"}
    )
    assert sign.verify(old, BODY, both) and sign.verify(new, BODY, both)
    assert Webhook(old).verify(BODY, both) and Webhook(new).verify(BODY, both)


def test_our_verify_rejects_missing_or_future_headers() -> None:
    secret = sign.new_secret()
    now = int(time.time())
    headers = sign.headers(secret, "msg_1", now, BODY)
    assert not sign.verify(secret, BODY, {k: v for k, v in headers.items() if k != "webhook-id"})
    assert not sign.verify(secret, BODY, headers, now=now + 301)
    assert not sign.verify(secret, BODY, sign.headers(secret, "msg_1", now + 301, BODY))
    assert sign.verify(secret, BODY, {k.upper(): v for k, v in headers.items()})


def test_an_invalid_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        sign.sign("whsec_not base64!", "msg_1", 1, b"")
    with pytest.raises(ValueError, match="is empty"):
        sign.sign("whsec_", "msg_1", 1, b"")


def test_a_loopback_receiver_verifying_with_the_reference_library_accepts_deliveries(serve: Serve) -> None:
    secret = sign.new_secret()

    def receiver(handler: Handler, server: Server) -> None:
        seen = server.requests[-1]
        try:
            Webhook(secret).verify(seen.body, seen.headers)
        except WebhookVerificationError:
            handler.reply(401)
            return
        handler.reply(204)

    server = serve(receiver)
    now = int(time.time())
    cases = [
        (BODY, sign.headers(secret, "msg_a", now, BODY), 204),
        (BODY + b" ", sign.headers(secret, "msg_b", now, BODY), 401),  # body changed
        (BODY, sign.headers(secret, "msg_c", now - 360, BODY), 401),  # 6 min old
    ]
    for body, headers, expected in cases:
        result = post_json(server.url("/hook"), body, headers, allow_private=True)
        assert result.status == expected
    assert [r.headers["webhook-id"] for r in server.requests] == ["msg_a", "msg_b", "msg_c"]
