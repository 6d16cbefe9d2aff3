"""`translate_texts`: lines of text in one language to the same lines in another, by whichever
translation model the manifest entry names; and what every translation engine shares (checking the
pair, passing empty lines through, the job form of a translation)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.registry import get_engine
from apexlocal.engines.translation.codes import base
from apexlocal.engines.translation.languages import TASK, pairs
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

STAGE = "translating"
OUTPUT_NAME = "translation.json"
MAX_LINES = 5_000
MAX_LINE_CHARS = 2_000


def translate_texts(ctx: EngineContext, model: ModelEntry, texts: list[str], source: str, target: str) -> list[str]:
    """One translation per line of `texts`, in order (ISO 639-1 codes). Empty lines stay empty; a
    line's inner line breaks are read as spaces. Raises JobError when the model does not translate
    that pair here (naming the pairs it does)."""
    if TASK not in model.tasks:
        raise ModelError(f"{model.id} is not a translation model")
    source, target = base(source), base(target)
    lines = [" ".join(text.split()) for text in texts]
    if source == target:
        return lines
    known = pairs(model)
    if (source, target) not in known:
        offered = ", ".join(f"{s}->{t}" for s, t in sorted(known)) or "none installed"
        raise JobError(f"{model.id} does not translate {source} to {target} on this server; it does {offered}")
    engine: Any = get_engine(model.engine)
    todo = [i for i, line in enumerate(lines) if line]
    done = engine.translate(ctx, model, [lines[i] for i in todo], source, target) if todo else []
    if len(done) != len(todo):
        raise JobError(f"{model.id} returned {len(done)} lines for {len(todo)}")
    out = [""] * len(lines)
    for i, text in zip(todo, done, strict=True):
        out[i] = " ".join(text.split())
    return out


class TranslationEngine:
    """A family implements `translate(ctx, model, lines, source, target)` for non-empty lines of a
    pair it does; `run` is the job form: `{"texts", "sourceLanguage", "targetLanguage"}` in,
    translation.json (`{"texts": [...]}`) out."""

    name = ""

    def translate(self, ctx: EngineContext, model: ModelEntry, lines: list[str], source: str, target: str) -> list[str]:
        raise NotImplementedError

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        started = time.monotonic()
        texts, source, target = _parse(spec)
        ctx.progress(0.0, STAGE)
        translated = translate_texts(ctx, model, texts, source, target)
        ctx.progress(1.0, STAGE)
        out = ctx.scratch_dir / OUTPUT_NAME
        out.write_text(json.dumps({"texts": translated}, ensure_ascii=False), encoding="utf-8")
        metadata = {
            "model": str(spec.get("model") or model.id),
            "modelId": model.id,
            "sourceLanguage": base(source),
            "targetLanguage": base(target),
            "lines": len(translated),
            "durationMs": round((time.monotonic() - started) * 1000),
        }
        return EngineOutput([OutputFile(out, "application/json", OUTPUT_NAME)], metadata)


LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})?$")


def _parse(spec: dict[str, Any]) -> tuple[list[str], str, str]:
    texts = spec.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise JobError("texts: must be a list of strings")
    if len(texts) > MAX_LINES or any(len(t) > MAX_LINE_CHARS for t in texts):
        raise JobError(f"texts: at most {MAX_LINES} lines of at most {MAX_LINE_CHARS} characters each")
    codes = []
    for field in ("sourceLanguage", "targetLanguage"):
        code = spec.get(field)
        if not isinstance(code, str) or not LANGUAGE_RE.match(code):
            raise JobError(f"{field}: must be a language code such as en or es")
        codes.append(code)
    return texts, codes[0], codes[1]
