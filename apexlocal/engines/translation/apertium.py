"""Apertium: rule-based translation by Debian's `apertium` program and its language-pair packages
(`apertium`).

All lines go through one run of the program. Each is sent as its own HTML paragraph (`-f html`): the
HTML deformatter ends a sentence at every block element, so no word moves from one line into its
neighbour, which plain text (`-f txt`) allows across line breaks ("The red\\ncar" came back as "El
coche\\nrojo"). `-u` leaves out the marks for unknown words (`*word`); the marks for words it could
not inflect (`#word`, `@word`) are removed too, since the text is spoken.
"""

from __future__ import annotations

import html
import re
import subprocess

from apexlocal.engines.base import EngineContext
from apexlocal.engines.translation.apertium_pairs import INSTALL_HINT, installed_pairs, modes_dir, program
from apexlocal.engines.translation.translate import STAGE, TranslationEngine
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
MARKS = re.compile(r"(?<![\w#@])[#@](?=\w)")
POLL_S = 0.2  # how often a running translation checks for a cancel
TIMEOUT_S = 600


def to_document(lines: list[str]) -> str:
    return "".join(f"<p>{html.escape(line, quote=False)}</p>\n" for line in lines)


def from_document(document: str, expected: int) -> list[str]:
    """The paragraphs' text back, one per line sent; raises when the count differs."""
    found = [" ".join(html.unescape(MARKS.sub("", p)).split()) for p in PARAGRAPH.findall(document)]
    if len(found) != expected:
        raise JobError(f"apertium returned {len(found)} lines for {expected}")
    return found


class ApertiumEngine(TranslationEngine):
    name = "apertium"

    def translate(self, ctx: EngineContext, model: ModelEntry, lines: list[str], source: str, target: str) -> list[str]:
        mode = installed_pairs(model).get((source, target))
        exe, folder = program(), modes_dir(model)
        if mode is None or exe is None or folder is None:
            raise ModelError(f"{model.id}: no Apertium pair {source}-{target} installed; {INSTALL_HINT}")
        ctx.model_dir(model)  # the catalogue's check, the same as every model's
        ctx.progress(0.0, STAGE)
        out = self._run([exe, "-d", str(folder.parent), "-f", "html", "-u", mode], to_document(lines), ctx)
        ctx.progress(1.0, STAGE)
        return from_document(out, len(lines))

    @staticmethod
    def _run(command: list[str], document: str, ctx: EngineContext) -> str:
        """The program's output; the process is killed when the job is cancelled."""
        with subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        ) as process:
            waited = 0.0
            feed: str | None = document
            while True:
                try:
                    # The input is sent once; a retry after a timeout goes on reading.
                    out, err = process.communicate(feed, timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    feed, waited = None, waited + POLL_S
                    if ctx.cancelled() or waited > TIMEOUT_S:
                        process.kill()
                        process.communicate()
                        ctx.check_cancelled()
                        raise JobError(f"apertium took longer than {TIMEOUT_S} s") from None
        if process.returncode != 0:
            raise JobError(f"apertium failed (exit {process.returncode}): {err.strip()[:300]}")
        return out
