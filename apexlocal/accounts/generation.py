"""A value that changes whenever access is taken away: a key revoked or rotated, a session ended,
a user moved to another plan. The server's in-memory authentication cache trusts an entry only
while this value is the one it was read under, so such a change ends access at once, also when
the CLI makes it from another process beside the running server.

The value is 8 bytes in a small file beside the database (`app.db-authgen`), mapped into memory:
reading it is a memory read, no system call and no database, so the event loop can check it on
every request; a write by any process is seen by every other at once (they share the page). A
writer stores fresh random bytes after its transaction commits (see `access_changed`).
"""

from __future__ import annotations

import mmap
import os
import secrets
import threading
from pathlib import Path

from apexlocal.db.database import Database

SIZE = 8
_open: dict[Path, Generation] = {}
_open_lock = threading.Lock()


class Generation:
    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    def current(self) -> bytes:
        return self._map[:SIZE]

    def bump(self) -> None:
        # Any new value will do: readers only ask whether it is still the one they read.
        self._map[:SIZE] = secrets.token_bytes(SIZE)


def path_for(db: Database) -> Path:
    return db.path.with_name(db.path.name + "-authgen")


def for_database(db: Database) -> Generation:
    """This process's mapping of the database's generation file (one per file)."""
    path = path_for(db).resolve()
    with _open_lock:
        if path not in _open:
            _open[path] = Generation(path)
        return _open[path]


def access_changed(db: Database) -> None:
    """Call after committing a change that takes access away. Inside a transaction it bumps now
    and the caller must call it again once its transaction commits: a request reading between the
    two would otherwise cache what is about to change."""
    for_database(db).bump()
