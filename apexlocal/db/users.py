"""Rows of `users`: who may sign in, their plan, and the running credit balance (which only
`db.ledger.append` changes)."""

from __future__ import annotations

from typing import Any

from apexlocal.db.database import Database


def insert(db: Database, *, user_id: str, email: str, plan: str, is_admin: bool, created_at: str) -> None:
    db.conn.execute(
        "INSERT INTO users (id, email, plan, is_admin, credits, created_at) VALUES (?,?,?,?,0,?)",
        (user_id, email, plan, int(is_admin), created_at),
    )


def get(db: Database, user_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM users WHERE id = ?", (user_id,))


def by_email(db: Database, email: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM users WHERE email = ?", (email,))


def list_all(db: Database) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM users ORDER BY created_at, email")


def set_plan(db: Database, user_id: str, plan: str) -> None:
    db.conn.execute("UPDATE users SET plan = ? WHERE id = ?", (plan, user_id))


def count(db: Database) -> int:
    return db.value("SELECT count(*) FROM users")
