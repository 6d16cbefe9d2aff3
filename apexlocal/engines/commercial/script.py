"""The commercial's script: written by the writer under a JSON schema, then made speakable and
fitted to the commercial's length.

Shape: a hook (spoken first, at most HOOK_WORDS words; the engine cuts it further when the voice
still ends it after 3 s), a
number of scenes fixed by the duration, and a call to action; each part has a voice-over line and
a few words of on-screen text. A video scene's picture is made from its on-screen text and its
voice-over (`visual`), not from words of its own: on a CPU every token the writer writes costs
time, and a small model's picture descriptions add little. The schema bounds every string
(maxLength) and the scene count (minItems = maxItems), so even the tiny writer returns the whole
shape. What a small model may still get wrong is repaired, and each repair is listed in the
script's `fallbacks` (shown in the job's metadata):
- text is made speakable: URLs, hashtags' '#', emoji and other symbols are dropped, whitespace
  collapsed, a full stop added; a brand profile's banned words are removed;
- an empty voice-over gets a plain line naming the product ("Meet the ...!", "The ... is made
  for you.", "Get the ... today."); empty on-screen text gets the product's name (hook, call to
  action) or the line's first words;
- when no voice-over names the product, the call to action is replaced by "Get the <product>
  today.", so the product's name is always spoken;
- when the writer gives no complete document (it ran to MAX_TOKENS), it is asked once more at a
  lower temperature; after two such answers the script is the hook's and the call to action's
  plain lines above, with no scenes between them;
- the lines are shortened (the longest first, by its last sentence, or its last word when it is
  one sentence), then middle scenes dropped, until the words fit the duration at the voice's pace
  (`fit`); the hook likewise keeps its first whole sentences within HOOK_WORDS words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apexlocal.engines.commercial.request import CommercialRequest
from apexlocal.engines.scripted_video.scenes import (
    LEAD_IN_S,
    SCENE_PAUSE_S,
    SENTENCE_PAUSE_S,
    TAIL_S,
    speech_seconds,
)
from apexlocal.engines.voice.text import split_sentences
from apexlocal.errors import JobError

SCENES_BY_DURATION = {15: 2, 30: 4, 60: 8}
HOOK_WORDS = 7
NAME_WORDS = 5
MIN_LINE_WORDS = 3
LIMITS = {"hook": 50, "scene": 90, "cta": 50, "onScreenText": 28}
MAX_TOKENS = 600  # the bounded document needs about 250
TEMPERATURES = (0.6, 0.2)  # a second try, steadier, when the first answer is not complete
FILL = 0.92  # of the duration the words may take at the voice's pace, pauses included
ARTICLES = ("a ", "an ", "the ", "our ", "your ")
_SYMBOLS = re.compile(r"[^\w\s.,!?'%$&-]", re.UNICODE)
_URLS = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)


@dataclass
class Line:
    role: str  # "hook" | "scene" | "cta"
    voiceover: str
    on_screen: str
    visual: str

    def as_json(self) -> dict[str, str]:
        return {"voiceover": self.voiceover, "onScreenText": self.on_screen, "visual": self.visual}


@dataclass
class Script:
    lines: list[Line]  # hook, scenes..., call to action
    fallbacks: list[str] = field(default_factory=list)
    name: str = ""  # the product as the script names it

    def as_json(self) -> dict[str, Any]:
        return {
            "hook": self.lines[0].as_json(),
            "scenes": [line.as_json() for line in self.lines[1:-1]],
            "callToAction": self.lines[-1].as_json(),
            "fallbacks": list(self.fallbacks),
        }

    @property
    def text(self) -> str:
        return " ".join(line.voiceover for line in self.lines)


def _part(voice_chars: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "voiceover": {"type": "string", "minLength": 1, "maxLength": voice_chars},
            "onScreenText": {"type": "string", "minLength": 1, "maxLength": LIMITS["onScreenText"]},
        },
        "required": ["voiceover", "onScreenText"],
        "additionalProperties": False,
    }


def script_schema(duration: int) -> dict[str, Any]:
    count = SCENES_BY_DURATION[duration]
    return {
        "type": "object",
        "properties": {
            "hook": _part(LIMITS["hook"]),
            "scenes": {"type": "array", "minItems": count, "maxItems": count, "items": _part(LIMITS["scene"])},
            "callToAction": _part(LIMITS["cta"]),
        },
        "required": ["hook", "scenes", "callToAction"],
        "additionalProperties": False,
    }


def brief(request: CommercialRequest) -> list[tuple[str, str]]:
    """(role, content) messages asking for the script."""
    count = SCENES_BY_DURATION[request.duration]
    lines = [
        f"Write a {request.duration}-second {request.platform} video commercial for: {request.product}.",
        f"Tone: {request.tone}.",
    ]
    if request.target_audience:
        lines.append(f"Audience: {request.target_audience}.")
    brand = request.brand or {}
    if brand.get("name"):
        lines.append(f"Brand: {brand['name']}." + (f" Tagline: {brand['tagline']}." if brand.get("tagline") else ""))
    lines.append(
        f"Start with a hook of at most {HOOK_WORDS} words, then {count} short scenes, then a call to action. "
        "Each part has a voiceover (what the narrator says, one or two short sentences) and onScreenText "
        "(a few words shown on screen). Name the product."
    )
    return [
        ("system", "You are a copywriter who writes short, vivid video commercials."),
        ("user", "\n".join(lines)),
    ]


def write_script(request: CommercialRequest, writer: Any, cancelled: Callable[[], bool]) -> tuple[Script, str]:
    """The script from the writer (engines.writer), repaired; and the writer's model id."""
    from apexlocal.engines.writer import ChatMessage, write_json

    messages = [ChatMessage(role, content) for role, content in brief(request)]
    schema, notes = script_schema(request.duration), []
    answer: dict[str, Any] = {}
    for temperature in TEMPERATURES:
        try:
            answer = write_json(
                writer,
                messages,
                schema,
                max_tokens=MAX_TOKENS,
                cancelled=cancelled,
                temperature=temperature,
                seed=request.seed,  # the same request and seed write the same script
            )
            break
        except JobError as exc:  # a small model may fill the document with whitespace until the cap
            notes.append(f"writer: no complete answer at temperature {temperature:g} ({exc})")
    script = repair(answer, request)
    script.fallbacks[:0] = notes
    return script, str(getattr(writer, "model_id", ""))


def repair(answer: dict[str, Any], request: CommercialRequest) -> Script:
    """The writer's answer made speakable and complete (see the module's docs)."""
    name = product_name(request.product)
    banned = [str(w) for w in (request.brand or {}).get("bannedWords", []) if str(w).strip()]
    script = Script([], name=name)
    parts = [("hook", answer.get("hook"))]
    parts += [("scene", p) for p in (answer.get("scenes") or [])[: SCENES_BY_DURATION[request.duration]]]
    parts.append(("cta", answer.get("callToAction")))
    for index, (role, part) in enumerate(parts):
        script.lines.append(_line(role, index, part if isinstance(part, dict) else {}, name, banned, script.fallbacks))
    hook = script.lines[0]
    if len(hook.voiceover.split()) > HOOK_WORDS:
        hook.voiceover = shorten(hook.voiceover, HOOK_WORDS)
        script.fallbacks.append(f"hook: shortened to {HOOK_WORDS} words")
    if not mentions(script.text, name):
        script.lines[-1].voiceover = f"Get the {name} today."
        script.fallbacks.append("callToAction: replaced to name the product")
    return script


def _line(role: str, index: int, part: dict[str, Any], name: str, banned: list[str], notes: list[str]) -> Line:
    label = {"hook": "hook", "cta": "callToAction"}.get(role, f"scenes[{index - 1}]")
    voiceover = _sentence(speakable(str(part.get("voiceover") or ""), banned))
    if not voiceover:
        voiceover = {"hook": f"Meet the {name}!", "cta": f"Get the {name} today."}.get(
            role, f"The {name} is made for you."
        )
        notes.append(f"{label}: empty voice-over replaced")
    on_screen = speakable(str(part.get("onScreenText") or ""), banned).strip(" .")
    if not on_screen:
        on_screen = name if role in ("hook", "cta") else " ".join(voiceover.split()[:4]).strip(" .,!?")
        notes.append(f"{label}: empty on-screen text replaced")
    on_screen = on_screen[: LIMITS["onScreenText"]]
    return Line(role, voiceover, on_screen, f"{on_screen}, {voiceover}")


def speakable(text: str, banned: Sequence[str] = ()) -> str:
    """Text a voice can read: no URLs, symbols or emoji; banned words removed; spaces collapsed."""
    text = _URLS.sub(" ", text).replace("#", " ").replace("_", " ")
    text = _SYMBOLS.sub(" ", text)
    for word in banned:
        text = re.sub(rf"\b{re.escape(word)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def shorten(text: str, max_words: int) -> str:
    """At most `max_words` words of `text`: its first whole sentences where they fit, else its
    first words, ending with a full stop."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        if len(" ".join([*kept, sentence]).split()) > max_words:
            break
        kept.append(sentence)
    if kept:
        return _sentence(" ".join(kept))
    return _sentence(" ".join(text.split()[:max_words]))


def _sentence(text: str) -> str:
    text = text.strip(" ,-")
    if text and text[-1] not in ".!?":
        text += "."
    return text


def product_name(product: str) -> str:
    """The product as the script names it: its first clause, without a leading article, at most
    NAME_WORDS words ("a reusable steel water bottle" -> "reusable steel water bottle")."""
    first = re.split(r"[,;:(\n]| - ", product, maxsplit=1)[0].strip()
    lowered = first.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            first = first[len(article) :]
            break
    words = speakable(first).split()[:NAME_WORDS]
    return " ".join(words) or "product"


def mentions(text: str, name: str) -> bool:
    return " ".join(name.lower().split()) in " ".join(speakable(text).lower().split())


def estimate_seconds(script: Script, wpm: float) -> float:
    """How long the script takes to narrate at `wpm`, with the narration's pauses."""
    speech = sum(speech_seconds(line.voiceover, wpm) for line in script.lines)
    sentences = sum(max(1, len(split_sentences(line.voiceover))) for line in script.lines)
    pauses = LEAD_IN_S + TAIL_S + (len(script.lines) - 1) * SCENE_PAUSE_S
    return speech + pauses + (sentences - len(script.lines)) * SENTENCE_PAUSE_S


def fit(script: Script, wpm: float, duration: float) -> Script:
    """Shortens the script until it fits FILL of `duration` at `wpm` (see the module's docs)."""
    budget = duration * FILL
    while estimate_seconds(script, wpm) > budget:
        longest = max(script.lines, key=lambda line: len(line.voiceover.split()))
        if len(longest.voiceover.split()) > MIN_LINE_WORDS:
            longest.voiceover = shorten(longest.voiceover, len(longest.voiceover.split()) - 1)
            _note(script, f"{longest.role}: shortened to fit {duration:g} s")
        elif len(script.lines) > 3:
            del script.lines[len(script.lines) // 2]
            _note(script, f"a scene dropped to fit {duration:g} s")
        else:
            break
    name_line = f"Get the {product_name_of(script)}."
    if script.name and not mentions(script.text, script.name):
        script.lines[-1].voiceover = name_line
        _note(script, "callToAction: replaced to name the product")
    return script


def product_name_of(script: Script) -> str:
    return script.name or "product"


def _note(script: Script, note: str) -> None:
    if note not in script.fallbacks:
        script.fallbacks.append(note)
