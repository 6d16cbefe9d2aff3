"""The SQLite database: one file, WAL, one writer.

Reads use a connection per thread. Writes go through `Database.write()`, which holds a process-wide
lock (one writer) and opens the transaction with `BEGIN IMMEDIATE`, so the write lock is taken at
the start rather than upgraded half way (the upgrade is what makes SQLite answer "database is
locked" under concurrency). Another process (the CLI next to a running server) waits on the busy
timeout instead of failing.

The folder that holds the database is private to its owner (0700) and the database files are 0600,
made so when created and tightened when an older install left them readable by every local user.
Deleted content is overwritten with zeros (`secure_delete`), so a secret that was replaced does not
linger in free pages.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 10_000
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600

log = logging.getLogger("apexlocal.db")


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner may enter (0700), made so or tightened; returns it."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    make_private(path)
    return path


def private_database_file(path: Path) -> Path:
    """Creates the SQLite file `path` empty with mode 0600 if it is missing (SQLite would make it
    0644), and tightens it and its side files if an older install left them readable; returns it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    # SQLite gives its WAL and shared-memory files the database's mode; older ones are tightened,
    # with any other file named after the database (`app.db-*`).
    for candidate in (path, *path.parent.glob(glob_escape(path.name) + "-*")):
        make_private(candidate)
    return path


def make_private(path: Path) -> None:
    """Makes an existing folder 0700, a file 0600: its owner's alone."""
    if os.name != "posix":
        return
    try:
        info = path.stat()
        mode = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
        if stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass  # a side file SQLite removed meanwhile
    except PermissionError as exc:  # another user's file: say so, the server can still run
        log.warning("could not make %s private: %s", path, exc)


class Database:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        private_database_file(self.path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        first = self._connect()
        first.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
        first.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction. Re-entrant: a nested `write()` joins the outer transaction."""
        with self._write_lock:
            if self.conn.in_transaction:
                yield
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def ping(self) -> bool:
        """True when the database answers a query."""
        return bool(self.value("SELECT 1") == 1)

    def value(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
