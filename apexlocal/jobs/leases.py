"""Leases on jobs run by `apexlocal worker` processes, kept in Redis.

The keeper grants a lease when a worker claims a job: a key holding the claim's token that expires
after `worker_lease_seconds`, and an entry in the `leased` hash (job id -> token), which outlives the
key and tells the keeper which jobs a worker holds. The worker renews the key while the job runs;
renewing, releasing and checking are scripts that compare the token first, so a worker whose lease
expired (and whose job went to another worker) can never renew or end the new run's.
"""

from __future__ import annotations

from typing import Any

from apexlocal.jobs.remote_protocol import Keys

# KEYS[1] the lease key; ARGV[1] the token, ARGV[2] the lease in ms. 1 when renewed.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS[1] the lease key, KEYS[2] the leased hash; ARGV[1] the token, ARGV[2] the job id. 1 when the
# token held the lease (alive or expired): the caller is then the one to end the job.
_RELEASE = """
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 1
"""


class Leases:
    def __init__(self, redis: Any, keys: Keys, seconds: float) -> None:
        self.redis, self.keys = redis, keys
        self.ms = max(1, int(seconds * 1000))
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def grant(self, job_id: str, token: str) -> None:
        pipe = self.redis.pipeline()
        pipe.set(self.keys.lease(job_id), token, px=self.ms)
        pipe.hset(self.keys.leased, job_id, token)
        pipe.execute()

    def renew(self, job_id: str, token: str, ms: int) -> bool:
        """Extends the lease to `ms` from now; True while it is still this token's (a worker stops
        its job otherwise)."""
        return bool(self._renew(keys=[self.keys.lease(job_id)], args=[token, ms]))

    def release(self, job_id: str, token: str) -> bool:
        """Ends the lease if `token` holds it; True then, and only once per grant."""
        return bool(self._release(keys=[self.keys.lease(job_id), self.keys.leased], args=[token, job_id]))

    def holder(self, job_id: str) -> str | None:
        """The token of the lease granted for the job, expired or not; None when none is."""
        token = self.redis.hget(self.keys.leased, job_id)
        return token.decode() if token is not None else None

    def held(self, job_id: str) -> bool:
        return self.holder(job_id) is not None

    def expired(self) -> list[tuple[str, str]]:
        """(job id, token) of the granted leases whose worker stopped renewing them."""
        granted = [(job.decode(), token.decode()) for job, token in self.redis.hgetall(self.keys.leased).items()]
        if not granted:
            return []
        pipe = self.redis.pipeline()
        for job_id, _ in granted:
            pipe.get(self.keys.lease(job_id))
        alive = pipe.execute()
        return [(job, token) for (job, token), now in zip(granted, alive, strict=True) if now != token.encode()]
