"""What a plan may use, from the `plans` setting."""

from __future__ import annotations

import fnmatch
from typing import Any

from apexlocal.accounts.users import User
from apexlocal.errors import Forbidden


def _plan(plans: dict[str, dict[str, Any]], user: User) -> dict[str, Any]:
    return plans.get(user.plan, {"rank": -1, "features": [], "models": []})


def allows_feature(plans: dict[str, dict[str, Any]], user: User, feature: str) -> bool:
    return any(fnmatch.fnmatchcase(feature, p) for p in _plan(plans, user).get("features", []))


def require_feature(plans: dict[str, dict[str, Any]], user: User, feature: str, label: str) -> None:
    if not allows_feature(plans, user, feature):
        needed = [
            name
            for name, p in sorted(plans.items(), key=lambda kv: kv[1].get("rank", 0))
            if any(fnmatch.fnmatchcase(feature, pat) for pat in p.get("features", []))
        ]
        hint = f"; available on: {', '.join(needed)}" if needed else ""
        raise Forbidden(f"{label} is not available on the {user.plan} plan{hint}")


def model_patterns(plans: dict[str, dict[str, Any]], user: User) -> list[str]:
    return list(_plan(plans, user).get("models", []))
