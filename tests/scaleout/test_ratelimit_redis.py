"""Rate-limit windows in a real Redis: exact under concurrency, across limiters and across two real
API processes that share it."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from apexlocal.api.ratelimit import RateLimiter, RedisRateLimiter, make_rate_limiter
from tests import loopback
from tests.conftest import ServerProcess, free_port, make_settings, server_env
from tests.e2e.helpers import new_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings(tmp_path, models_dir, redis_server):
    redis_server.client().flushall()
    return make_settings(tmp_path / "d", models_dir, redis_url=redis_server.url(), rate_limits="read=25/60")


def test_the_windows_go_to_redis_when_a_url_is_set(settings, tmp_path, models_dir):
    assert isinstance(make_rate_limiter(settings), RedisRateLimiter)
    assert isinstance(make_rate_limiter(make_settings(tmp_path / "e", models_dir)), RateLimiter)


def test_two_limiters_on_one_redis_let_exactly_the_limit_through_a_concurrent_burst(settings):
    limiters = [RedisRateLimiter(settings), RedisRateLimiter(settings)]
    start = threading.Barrier(16)

    def hit(i: int):
        if i < 16:
            start.wait()
        return limiters[i % 2].hit("user-1", "read")

    with ThreadPoolExecutor(16) as pool:
        decisions = list(pool.map(hit, range(80)))
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 25
    assert sorted(d.remaining for d in allowed) == list(range(25))  # each saw its own count
    refused = [d for d in decisions if not d.allowed]
    assert all(d.remaining == 0 and 1 <= d.retry_after <= 60 and d.limit == 25 for d in refused)
    assert limiters[0].hit("user-2", "read").allowed  # one user's window is not another's
    assert not limiters[1].hit("user-1", "read").allowed


def _server(data_dir, env):
    return ServerProcess(data_dir, free_port(), env)


def test_two_api_processes_sharing_redis_keep_a_burst_within_the_limit(tmp_path, models_dir, redis_server):
    redis_server.client().flushall()
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_REDIS_URL": redis_server.url(),
            "APEXLOCAL_RATE_LIMITS": "read=30/60",
            "APEXLOCAL_GPU_WORKERS": "0",
        },
    )
    first = tmp_path / "api-1" / "data"
    key = new_user(first, "burst@example.com", credits=10, env=env)
    # The second API process has a copy of the same accounts (its own database): only Redis is shared.
    shutil.copytree(first, tmp_path / "api-2" / "data")
    servers = [_server(first, env).start(), _server(tmp_path / "api-2" / "data", env).start()]
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with loopback.client(timeout=30) as client:
            for server in servers:  # both know the key (and warm their caches of it)
                assert client.get(f"{server.url}/api/usage", headers=headers).status_code == 200
            start = threading.Barrier(20)

            def get(i: int) -> int:
                if i < 20:
                    start.wait()
                return client.get(f"{servers[i % 2].url}/api/usage", headers=headers).status_code

            with ThreadPoolExecutor(20) as pool:
                codes = list(pool.map(get, range(80)))
        assert codes.count(200) == 28 and codes.count(429) == 52, codes  # 30, less the two warm-ups
    finally:
        for server in servers:
            server.stop()
