"""Wire schemas of the voice agent routes: agents (create, change, read) and calls."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody

CallStatus = Literal["queued", "ringing", "active", "completed", "failed", "no-answer", "busy", "canceled"]
E164 = r"^\+[1-9][0-9]{6,14}$"

Name = Annotated[str, Meta(min_length=1, max_length=100, description="Agent display name"), NO_CONTROL_CHARS]
SystemPrompt = Annotated[
    str, Meta(min_length=1, max_length=4000, description="System prompt for the LLM"), NO_CONTROL_CHARS
]
Greeting = Annotated[
    str,
    Meta(min_length=1, max_length=500, description="What the agent says first when a call is answered"),
    NO_CONTROL_CHARS,
]
TtsModel = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        description="kokoro | elevenlabs-v3 | fish-audio-s1, or a voice model's id or alias (piper, espeak ...): "
        "the voice model that speaks the calls. With a cloned voiceId, a voice-cloning model (chatterbox, "
        "chatterbox-multilingual). 400 listing the values this server accepts otherwise",
        examples=["kokoro", "elevenlabs-v3", "fish-audio-s1", "piper", "chatterbox"],
    ),
    NO_CONTROL_CHARS,
]
LlmModel = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        description="LLM model for conversation: a writer model's id or alias (GET /v1/models), or, when the "
        "server writes through an external endpoint (writer_base_url), the model name sent to it",
        examples=["smollm2-135m", "qwen3-4b"],
    ),
    NO_CONTROL_CHARS,
]
VoiceId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="A stock voice of the ttsModel (GET /api/voices lists them by model), or one of your cloned "
        "voices (spoken by the voice-cloning model named in ttsModel)",
    ),
]
Language = Annotated[
    str, Meta(pattern=r"^[A-Za-z]{2}(-[A-Za-z]{2,4})?$", description="Language of the calls: en, es, en-us ...")
]
MaxCallSeconds = Annotated[int, Meta(ge=10, le=14_400, description="A call ends after this many seconds")]
EndCallPhrase = Annotated[
    str,
    Meta(min_length=1, max_length=200, description="When the agent says this phrase, it hangs up after saying it"),
    NO_CONTROL_CHARS,
]


class AgentCreate(RequestBody):
    name: Name
    system_prompt: SystemPrompt
    greeting: Greeting
    tts_model: TtsModel
    llm_model: LlmModel
    voice_id: VoiceId | None = None
    language: Language = "en"
    max_call_seconds: MaxCallSeconds = 600
    end_call_phrase: EndCallPhrase | None = None


class AgentUpdate(RequestBody):
    """Only the fields sent change; `voiceId` and `endCallPhrase` may be set to null."""

    name: Name | UnsetType = UNSET
    system_prompt: SystemPrompt | UnsetType = UNSET
    greeting: Greeting | UnsetType = UNSET
    tts_model: TtsModel | UnsetType = UNSET
    llm_model: LlmModel | UnsetType = UNSET
    voice_id: VoiceId | UnsetType | None = UNSET
    language: Language | UnsetType = UNSET
    max_call_seconds: MaxCallSeconds | UnsetType = UNSET
    end_call_phrase: EndCallPhrase | UnsetType | None = UNSET


class Agent(Struct, rename="camel"):
    id: str
    name: str
    system_prompt: str
    greeting: str
    tts_model: str
    llm_model: str
    voice_id: str | None
    language: str
    max_call_seconds: int
    end_call_phrase: str | None
    created_at: str
    updated_at: str


class AgentOut(Struct):
    data: Agent


class AgentList(Struct):
    data: list[Agent]


class AgentDeleted(Struct):
    id: str
    deleted: bool


class AgentDeletedOut(Struct):
    data: AgentDeleted


class OutboundCall(RequestBody):
    agent_id: Annotated[str, Meta(min_length=1, max_length=100, description="Voice agent ID")]
    phone_number: Annotated[str, Meta(pattern=E164, description="Target phone number (E.164, e.g. +14155550123)")]


class CallStarted(Struct, rename="camel"):
    call_id: str
    status: CallStatus


class CallStartedOut(Struct):
    data: CallStarted


class TranscriptEntry(Struct):
    role: Literal["agent", "caller"]
    text: str
    start: float  # seconds from the answer
    end: float
    interrupted: bool = False  # the agent stopped here: the caller talked over it


class Call(Struct, rename="camel"):
    id: str
    agent_id: str
    channel: Literal["sip", "browser"]
    phone_number: str | None
    status: CallStatus
    error: str | None
    ended_by: str | None
    created_at: str
    answered_at: str | None
    ended_at: str | None
    duration_seconds: float | None
    minutes_charged: int
    credits_charged: int
    transcript: list[TranscriptEntry]
    recording_url: str | None


class CallOut(Struct):
    data: Call


class CallList(Struct, rename="camel"):
    data: list[Call]
    next_cursor: str | None
