"""GET /api/usage: balance, what was used this billing cycle, plan and cycle dates."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from apexlocal.accounts import credits
from apexlocal.accounts.cycle import current_cycle
from apexlocal.api.guards import current_user
from apexlocal.api.schemas import Usage, UsageOut
from apexlocal.timestamps import parse_time

# Job type -> the key of `used`, plural as the seed's example ("images").
USED_KEYS = {
    "image": "images",
    "video": "videos",
    "voice": "voices",
    "voice-clone": "voiceClones",
    "avatar": "avatars",
    "clip": "clips",
    "b-roll": "bRolls",
    "text2video": "text2videos",
    "commercial": "commercials",
    "translate": "translations",
    "instant-ad": "instantAds",
    "photoshoot": "photoshoots",
    "call": "calls",
}


def _iso(dt: Any) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@get(
    "/usage",
    summary="Get Usage",
    tags=["account"],
    sync_to_thread=True,
    description="Credit balance, jobs charged this billing cycle by type, plan and cycle dates.",
)
def usage(request: Request[Any, Any, Any]) -> UsageOut:
    db = request.app.state.services.db
    user = current_user(request)
    start, end = current_cycle(parse_time(user.created_at))
    counts = credits.used_in_period(db, user.id, _iso(start), _iso(end))
    return UsageOut(
        Usage(
            credits=credits.balance(db, user.id),
            used={key: counts.get(job_type, 0) for job_type, key in USED_KEYS.items()},
            credits_used=credits.spent_in_period(db, user.id, _iso(start), _iso(end)),
            plan=user.plan,
            cycle_start=_iso(start),
            cycle_end=_iso(end),
        )
    )


routes = [usage]
