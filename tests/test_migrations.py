"""Migrations that change rows, checked on a database left at the version before them."""

from __future__ import annotations

from apexlocal.db.database import Database
from apexlocal.db.migrations import MIGRATIONS, migrate
from tests.conftest import add_account, make_settings


def test_log_mel_statistics_of_old_clones_are_dropped(tmp_path, models_dir):
    settings = make_settings(tmp_path / "data", models_dir)
    settings.data_dir.mkdir(parents=True)
    db = Database(settings.db_path)
    try:
        migrate(db)
        user = add_account(db, settings, "old@example.com")
        with db.write():
            db.conn.execute(
                "INSERT INTO voices (id, user_id, name, status, clip_key, embedding, embedding_kind, credits_charged,"
                " created_at) VALUES ('vc_old', ?, 'Old', 'ready', 'voices/x/sample.wav', ?, 'logmel-stats-v1', 80,"
                " '2026-01-01T00:00:00Z')",
                (user.id, b"\0" * 320),
            )
            db.conn.execute("PRAGMA user_version=6")
        assert migrate(db) == len(MIGRATIONS)
        row = db.one("SELECT embedding, embedding_kind, clip_key FROM voices WHERE id = 'vc_old'")
        assert row == {"embedding": None, "embedding_kind": None, "clip_key": "voices/x/sample.wav"}
    finally:
        db.close()
