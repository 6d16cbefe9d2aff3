"""Per-user buckets, headers on every response, exact under concurrent bursts."""

from __future__ import annotations

import threading
import time

from apexlocal.api.ratelimit import RateLimiter, bucket_for
from tests.conftest import make_settings


def test_buckets():
    assert bucket_for("POST", "/api/generate/image") == "generation"
    assert bucket_for("POST", "/v1/audio/speech") == "generation"
    assert bucket_for("POST", "/v1/chat/completions") == "generation"
    assert bucket_for("GET", "/api/jobs") == "read"
    assert bucket_for("DELETE", "/api/jobs/x") == "delete"
    assert bucket_for("POST", "/api/upload/image") == "upload"
    assert bucket_for("POST", "/api/voice-agent/calls/outbound") == "calls"


def test_sliding_window_and_retry_after(tmp_path):
    now = [1000.0]
    limiter = RateLimiter(make_settings(tmp_path, tmp_path), clock=lambda: now[0])
    decisions = [limiter.hit("u", "generation") for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    assert decisions[5].retry_after == 10 and decisions[5].reset == 1010
    now[0] = 1010.01
    assert limiter.hit("u", "generation").allowed
    assert limiter.hit("other", "generation").allowed  # per user


def test_exact_under_concurrent_burst(tmp_path):
    limiter = RateLimiter(make_settings(tmp_path, tmp_path, rate_limits="read=20/10"))
    barrier = threading.Barrier(64)
    allowed = []

    def hit():
        barrier.wait()
        allowed.append(limiter.hit("u", "read").allowed)

    threads = [threading.Thread(target=hit) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 20


def test_sixth_generation_in_ten_seconds_is_429(app_client, account):
    start = time.monotonic()
    codes = []
    for _ in range(6):
        r = app_client.post(
            "/api/generate/image", json={"prompt": "p", "width": 256, "height": 256}, headers=account.headers
        )
        codes.append(r.status_code)
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert name in r.headers, (r.status_code, dict(r.headers))
    assert time.monotonic() - start < 10
    assert codes == [202] * 5 + [429]
    assert r.json() == {"error": "Too many requests", "code": "RATE_LIMITED"}
    assert r.headers["X-RateLimit-Limit"] == "5" and r.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(r.headers["Retry-After"]) <= 10
    assert int(r.headers["X-RateLimit-Reset"]) >= int(time.time())
    # Reads have their own bucket.
    assert app_client.get("/api/usage", headers=account.headers).status_code == 200


def test_idle_windows_are_dropped_so_memory_stays_bounded(tmp_path):
    now = [1000.0]
    limiter = RateLimiter(make_settings(tmp_path, tmp_path, rate_limits="read=20/10"), clock=lambda: now[0])
    for i in range(5000):  # a stream of distinct users (or keys), 20 new ones a second
        limiter.hit(f"user-{i}", "read")
        now[0] += 0.05
    # Kept: the users seen in the last window and sweep interval (10 s + 10 s at 20/s), not all 5000.
    assert len(limiter) <= 400
    assert limiter.hit("user-4999", "read").remaining == 18  # a live window is kept whole


def test_remaining_is_counted_under_the_lock(tmp_path):
    from collections import deque

    limiter = RateLimiter(make_settings(tmp_path, tmp_path, rate_limits="read=20/10"))

    class Checked(deque):
        def __len__(self):
            assert limiter._lock.locked(), "the window was read outside the lock"
            return super().__len__()

    limiter._windows[("u", "read")] = Checked()
    assert limiter.hit("u", "read").remaining == 19


def test_each_answer_carries_the_limit_headers_once(app_client, account):
    for path, status in (("/api/usage", 200), ("/api/jobs?id=missing", 404)):
        r = app_client.get(path, headers=account.headers)
        assert r.status_code == status
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            assert len(r.headers.get_list(name)) == 1, (path, name)
