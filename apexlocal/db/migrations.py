"""Versioned schema migrations, tracked in `PRAGMA user_version`.

Append new migrations to MIGRATIONS; never edit one that has shipped. A migration is an SQL script,
or a function of the database for what SQL cannot do (encrypting values); both run in the one
transaction that also sets the version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from apexlocal.db import user_settings
from apexlocal.db.database import Database

MIGRATIONS: list[str | Callable[[Database], Any]] = [
    # 1: users, keys, the credit ledger, jobs and their outputs, idempotency records.
    """
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        plan TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        last4 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        expires_at TEXT,
        rotated_to TEXT
    );
    CREATE INDEX api_keys_user ON api_keys(user_id);
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'debit', 'refund', 'adjustment')),
        amount INTEGER NOT NULL,
        job_id TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX ledger_user ON ledger(user_id);
    -- A job is debited once and refunded at most once, whatever races happen.
    CREATE UNIQUE INDEX ledger_once_per_job ON ledger(job_id, kind)
        WHERE job_id IS NOT NULL AND kind IN ('debit', 'refund');
    CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
    CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
    CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id),
        type TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'canceled')),
        queue TEXT NOT NULL DEFAULT 'gpu',
        params TEXT NOT NULL,
        model TEXT,
        model_id TEXT,
        progress REAL,
        stage TEXT,
        metadata TEXT,
        error TEXT,
        credits_charged INTEGER NOT NULL DEFAULT 0,
        credits_refunded INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        failed_at TEXT,
        canceled_at TEXT
    );
    CREATE INDEX jobs_user ON jobs(user_id, seq);
    CREATE INDEX jobs_status ON jobs(status, queue, seq);
    CREATE TABLE job_outputs (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        storage_key TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (job_id, idx)
    );
    CREATE TABLE idempotency (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        body BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    """,
    # 2: per-user webhook settings, webhook deliveries and every attempt at them, uploads.
    """
    CREATE TABLE user_settings (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        webhook_url TEXT,
        webhook_secret TEXT,
        updated_at TEXT NOT NULL
    );
    -- job_id has no foreign key: deleting a job keeps the record of what was sent about it.
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        webhook_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        job_id TEXT NOT NULL,
        event TEXT NOT NULL,
        payload BLOB NOT NULL,
        url TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        next_attempt_at REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX webhook_deliveries_user ON webhook_deliveries(user_id, seq);
    CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(status) WHERE status = 'pending';
    CREATE TABLE webhook_attempts (
        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        status_code INTEGER,
        duration_ms REAL,
        error TEXT,
        PRIMARY KEY (delivery_id, attempt)
    );
    CREATE TABLE uploads (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video')),
        storage_key TEXT NOT NULL UNIQUE,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        original_name TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX uploads_user ON uploads(user_id, seq);
    """,
    # 3: web UI sessions (only a hash of the cookie's value is kept) and one-time login links.
    """
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE TABLE login_links (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    """,
    # 4: cloned voices: the stored clip, its transcript and a speaker embedding, per user.
    """
    CREATE TABLE voices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'ready')),
        clip_key TEXT,
        transcript TEXT,
        embedding BLOB,
        embedding_kind TEXT,
        language TEXT,
        duration REAL,
        sample_rate INTEGER,
        credits_charged INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX voices_user ON voices(user_id, seq);
    """,
    # 5: a session started with an API key names it, and ends with it (revoked, or rotated past its grace).
    """
    ALTER TABLE sessions ADD COLUMN key_id TEXT REFERENCES api_keys(id) ON DELETE CASCADE;
    CREATE INDEX sessions_key ON sessions(key_id) WHERE key_id IS NOT NULL;
    """,
    # 6: webhook secrets stored before they were sealed are sealed (see sealed.py).
    user_settings.seal_stored_secrets,
    # 7: cloned voices kept log-mel statistics that nothing read; a voice now keeps its cloning
    # model's own conditionals (a file beside its clip), or nothing.
    """
    UPDATE voices SET embedding = NULL, embedding_kind = NULL WHERE embedding_kind = 'logmel-stats-v1';
    """,
    # 8: brand profiles, per user, read by the ad products (colors and banned_words are JSON lists).
    """
    CREATE TABLE IF NOT EXISTS brand_profiles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        colors TEXT NOT NULL DEFAULT '[]',
        font TEXT NOT NULL,
        logo_key TEXT,
        tone TEXT,
        tagline TEXT,
        banned_words TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS brand_profiles_user ON brand_profiles(user_id, seq);
    """,
    # 9: voice agents, and their calls (a call keeps its agent's id after the agent is deleted).
    """
    CREATE TABLE IF NOT EXISTS agents (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        system_prompt TEXT NOT NULL,
        greeting TEXT NOT NULL,
        tts_model TEXT NOT NULL,
        llm_model TEXT NOT NULL,
        voice_id TEXT,
        language TEXT NOT NULL DEFAULT 'en',
        max_call_seconds INTEGER NOT NULL DEFAULT 600,
        end_call_phrase TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS agents_user ON agents(user_id, seq);
    CREATE TABLE IF NOT EXISTS calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        agent_id TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('sip', 'browser')),
        phone_number TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('queued', 'ringing', 'active', 'completed', 'failed', 'no-answer', 'busy', 'canceled')),
        error TEXT,
        ended_by TEXT,
        created_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        alive_at TEXT,
        duration_seconds REAL,
        minutes_charged INTEGER NOT NULL DEFAULT 0,
        transcript TEXT NOT NULL DEFAULT '[]',
        recording_key TEXT
    );
    CREATE INDEX IF NOT EXISTS calls_user ON calls(user_id, seq);
    CREATE INDEX IF NOT EXISTS calls_open ON calls(status) WHERE status IN ('queued', 'ringing', 'active');
    """,
]


def migrate(db: Database) -> int:
    """Bring the schema up to date; returns the version now in force."""
    with db.write():
        current = db.value("PRAGMA user_version")
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            if callable(script):
                script(db)
            else:
                for statement in _statements(script):
                    db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version={version}")
            current = version
    return current


def _statements(script: str) -> list[str]:
    """Split a script on top-level semicolons (trigger bodies keep theirs)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if buf.strip().endswith(";") and sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
