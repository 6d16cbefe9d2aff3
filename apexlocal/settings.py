"""The one table of settings.

Every setting is a field of `Settings`, with its default, type and help text. That one table drives
the TOML config file, the `APEXLOCAL_*` environment variables, the CLI flags of `serve` and the
docs (`docs/settings.md`, checked by a test). Nothing reads the environment at import time:
`load_settings()` builds a `Settings` and everything else receives it explicitly.

Precedence, lowest first: defaults, config file, environment, flags.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from apexlocal.errors import ConfigError

ENV_PREFIX = "APEXLOCAL_"

# The seed's credit costs, per job type (and per call minute for calls).
DEFAULT_COSTS: dict[str, int] = {
    "image": 10,
    "video": 250,
    "voice": 80,
    "voice-clone": 80,
    "avatar": 750,
    "clip": 30,
    "b-roll": 150,
    "text2video": 250,
    "commercial": 3000,
    "translate": 1800,
    "instant-ad-image": 500,
    "instant-ad-video": 1000,
    "instant-ad-both": 1250,
    "photoshoot": 30,
    "call-minute": 10,
    "transcription-minute": 2,  # /v1/audio/transcriptions, per started minute of audio
    "chat": 1,  # /v1/chat/completions, per started 1,000 tokens of prompt and answer
}

# What each plan may use. `features` are job types plus "api-keys" and "calls"; `models` are model
# ids or aliases, "*" meaning all. Ranks order the plans (a "creator or higher" rule).
DEFAULT_PLANS: dict[str, dict[str, Any]] = {
    "free": {
        "rank": 0,
        "features": ["image", "voice", "video", "b-roll", "text2video", "clip", "photoshoot", "transcription", "chat"],
        "models": [
            "flux-2-klein-4b",
            "grok-imagine",
            "flux-2-pro",
            "z-image-turbo",
            "*-tiny",
            "kokoro",
            "piper-*",
            "wan-*",
            "whisper-*",  # the speech-to-text model of clip jobs and transcriptions
            "smollm2-*",  # the writer models of /v1/chat/completions
            "qwen3-*",
        ],
    },
    "creator": {
        "rank": 1,
        "features": [
            "image",
            "voice",
            "voice-clone",
            "video",
            "b-roll",
            "text2video",
            "clip",
            "photoshoot",
            "avatar",
            "transcription",
            "chat",
        ],
        "models": ["*"],
    },
    "pro": {
        "rank": 2,
        "features": [
            "image",
            "voice",
            "voice-clone",
            "video",
            "b-roll",
            "text2video",
            "clip",
            "photoshoot",
            "avatar",
            "commercial",
            "translate",
            "instant-ad",
            "transcription",
            "chat",
        ],
        "models": ["*"],
    },
    "enterprise": {
        "rank": 3,
        "features": ["*"],
        "models": ["*"],
    },
}

# "count/seconds" per bucket, the seed's limits.
DEFAULT_RATE_LIMITS: dict[str, str] = {
    "generation": "5/10",
    "read": "20/10",
    "upload": "10/60",
    "delete": "10/60",
    "calls": "200/3600",
}


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("apexlocal", appauthor=False))


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(
        default_factory=_default_data_dir,
        metadata=_help("Where the database, queues, outputs and models live (default: the platform's user data dir)."),
    )
    host: str = field(default="127.0.0.1", metadata=_help("Address `serve` listens on."))
    port: int = field(default=8000, metadata=_help("Port `serve` listens on."))
    base_url: str = field(
        default="",
        metadata=_help(
            "Public URL of this server, used for links made outside a request (webhooks). Empty: http://HOST:PORT."
        ),
    )
    model_set: Literal["full", "tiny"] = field(
        default="full",
        metadata=_help(
            "`full`: the real open weights. `tiny`: small random-weight stand-ins of the same pipeline "
            "classes, built locally (tests, CI, trying the API on a laptop)."
        ),
    )
    models_dir: Path | None = field(
        default=None,
        metadata=_help(
            "Where the tiny set's stand-ins and the install records of full-set models are kept "
            "(default: DATA_DIR/models). Full-set weights live in hf_cache_dir."
        ),
    )
    hf_cache_dir: Path | None = field(
        default=None,
        metadata=_help(
            "Where full-set model weights are downloaded to and loaded from, in the Hugging Face cache "
            "layout. Empty: the standard cache that diffusers, transformers and other Hugging Face tools "
            "share (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), so weights already "
            "there are not downloaded again."
        ),
    )
    models_manifest: Path | None = field(
        default=None, metadata=_help("The model catalogue (default: the models_manifest.toml shipped with apexlocal).")
    )
    auto_pull: bool = field(
        default=True,
        metadata=_help(
            "Download a model that is not installed as the first stage of the job that needs it, for the "
            "models auto_pull_models allows. Off: such a job is refused with 400 MODEL_UNAVAILABLE."
        ),
    )
    auto_pull_models: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "The models a job may download on its own (with auto_pull on): ids or aliases, `*` wildcards, "
            "`default` for each task's default model. Empty: `default`. A job needing any other model "
            "that is not installed is refused with 400 MODEL_UNAVAILABLE, naming the "
            "`apexlocal models pull` command an admin runs. Env: `default,qwen-image`; `*`: all."
        ),
    )
    hf_endpoint: str = field(
        default="https://huggingface.co",
        metadata=_help("Base URL of the Hugging Face hub (or a mirror) that model pulls download from."),
    )
    hf_token: str = field(
        default="",
        metadata=_help(
            "Token for gated Hugging Face repos, sent to hf_endpoint and not to the CDN it redirects "
            "downloads to. Empty: the token huggingface_hub finds itself (HF_TOKEN, or `hf auth login`)."
        ),
    )
    writer_base_url: str = field(
        default="",
        metadata=_help(
            "An OpenAI-compatible server for the writer (the language model of scripts, ad copy and "
            "/v1/chat/completions) instead of the embedded model: its base URL up to /v1, e.g. "
            "http://127.0.0.1:11434/v1 (Ollama), a vLLM or llama-server, or another apexlocal. Empty: "
            "the manifest's writer model runs in this process."
        ),
    )
    writer_model: str = field(
        default="",
        metadata=_help("The model name writer_base_url's server knows (e.g. qwen3:4b-instruct for Ollama)."),
    )
    writer_api_key: str = field(
        default="",
        repr=False,
        metadata=_help("Bearer token for writer_base_url (empty: none sent). Kept out of logs and errors."),
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = field(
        default="auto", metadata=_help("Where models run. `auto`: CUDA, then MPS, then CPU.")
    )
    model_memory_budget_gb: float = field(
        default=0.0,
        metadata=_help(
            "Memory that warm models may hold before the least recently used is evicted (VRAM on a GPU, "
            "RAM on a CPU). 0: 90% of the device's memory."
        ),
    )
    gpu_workers: int = field(default=1, metadata=_help("Worker threads of the `gpu` queue (jobs that run models)."))
    io_workers: int = field(default=2, metadata=_help("Worker threads of the `io` queue (webhooks, downloads)."))
    model_worker_nice: int = field(
        default=10,
        metadata=_help(
            "Linux: how much lower the scheduling priority (nice) of the threads that run models is, each "
            "`gpu` queue worker's model thread and the compute threads torch starts from it. They then yield "
            "the CPU to the API (and to other programs) whenever both want it, which keeps answers quick while "
            "a model runs on the CPU; with the CPU to themselves they run at full speed. The workers themselves "
            "(picking jobs up, storing and ending them) keep the server's priority. 0 leaves the models at the "
            "server's priority."
        ),
    )
    clone_workers: int = field(
        default=2,
        metadata=_help(
            "Worker threads of the `clone` queue: voice clones (and voice previews) made at a time. A "
            "request waiting for its turn holds no request thread."
        ),
    )
    queue_max_idle_wait: float = field(
        default=1.0,
        metadata=_help(
            "Seconds an idle worker waits before looking at its queue again when nothing woke it. "
            "Jobs enqueued by this process wake a worker at once."
        ),
    )
    job_max_attempts: int = field(
        default=2, metadata=_help("How often a job interrupted by a crash is started before it is failed and refunded.")
    )
    queue_backend: Literal["sqlite", "redis"] = field(
        default="sqlite",
        metadata=_help(
            "Where the `gpu` queue lives. `sqlite`: a file in DATA_DIR/queues, consumed by this server's "
            "threads. `redis`: in Redis at redis_url, consumed by this server and by any number of "
            "`apexlocal worker` processes (on this or other machines, sharing s3 storage), which report "
            "back through Redis; this server alone keeps the database."
        ),
    )
    redis_url: str = field(
        default="",
        metadata=_help(
            "Redis that the `redis` queue backend uses (`redis://[:PASSWORD@]HOST:6379/0`, `rediss://` for "
            "TLS). Whoever can write to it can make workers run jobs: keep it private. When set, the "
            "per-user rate-limit windows live there too, shared by every API process that uses it."
        ),
    )
    worker_lease_seconds: float = field(
        default=30.0,
        metadata=_help(
            "`redis` backend, set on the API process (workers renew as it tells them): a job taken by an "
            "`apexlocal worker` is its own while the worker renews its lease (every third of this); a "
            "lease not renewed for this long counts the worker as gone, and the job runs again elsewhere "
            "while it has attempts left (job_max_attempts), else it is failed and refunded."
        ),
    )
    max_body_bytes: int = field(default=1_048_576, metadata=_help("Largest JSON request body, in bytes (larger: 413)."))
    header_timeout_seconds: float = field(
        default=10.0,
        metadata=_help(
            "Time a client has to send a request's headers whole, from the connection (or from the first "
            "byte of a later request on a kept-alive one). Past it: 408 and the connection closed; a "
            "connection that sent nothing is closed."
        ),
    )
    body_timeout_seconds: float = field(
        default=60.0,
        metadata=_help(
            "Longest pause allowed between two pieces of a request body (not counted while the server "
            "is the one not reading). Past it: 408, or only the connection closed once an answer has begun."
        ),
    )
    url_ttl_seconds: int = field(default=86_400, metadata=_help("How long a signed file URL stays valid."))
    key_rotation_grace_hours: float = field(
        default=24.0, metadata=_help("How long a rotated API key keeps working beside its replacement.")
    )
    credit_costs: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_COSTS),
        metadata=_help("Credits per job type. Env: `image=10,video=250,...` (merged over the defaults)."),
    )
    rate_limits: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMITS),
        metadata=_help(
            "Per-user limits, `count/seconds` per bucket: generation, read, upload, delete, calls. "
            "Env: `generation=5/10,read=20/10` (merged over the defaults)."
        ),
    )
    plans: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_PLANS.items()},
        metadata=_help(
            "What each plan may use: `rank`, `features` (job types, `api-keys`, `calls`), `models` "
            "(ids or aliases, `*` wildcards). Config file only, as a TOML table per plan."
        ),
    )
    owner_email: str = field(
        default="owner@localhost", metadata=_help("Email of the owner account that the first start creates.")
    )
    owner_credits: int = field(
        default=100_000, metadata=_help("Credits granted to the owner account at the first start.")
    )
    log_level: str = field(default="info", metadata=_help("Log level of the server."))
    session_days: float = field(
        default=14.0, metadata=_help("How long a web UI session lasts after signing in, in days.")
    )
    login_link_minutes: float = field(
        default=15.0, metadata=_help("How long a one-time login link stays valid, in minutes.")
    )
    storage_backend: Literal["local", "s3"] = field(
        default="local",
        metadata=_help(
            "Where outputs go: `local` (DATA_DIR/files, served by this server at signed URLs) or `s3` "
            "(an S3-compatible bucket such as Cloudflare R2, presigned URLs)."
        ),
    )
    s3_bucket: str = field(default="", metadata=_help("Bucket of the s3 backend."))
    s3_endpoint_url: str = field(
        default="",
        metadata=_help("Endpoint of the s3 backend (R2: https://ACCOUNT.r2.cloudflarestorage.com). Empty: AWS."),
    )
    s3_region: str = field(default="auto", metadata=_help("Region of the s3 backend (R2: auto)."))
    s3_access_key_id: str = field(default="", metadata=_help("Access key of the s3 backend."))
    s3_secret_access_key: str = field(default="", metadata=_help("Secret key of the s3 backend."))
    s3_public_base_url: str = field(
        default="",
        metadata=_help("Public base URL of the bucket (a CDN or R2 custom domain). Empty: presigned GET URLs."),
    )
    webhooks_allow_private: bool = field(
        default=False,
        metadata=_help(
            "Allow webhook URLs on private, loopback and link-local addresses, and plain http for them "
            "(a receiver on your own LAN)."
        ),
    )
    inputs_allow_private: bool = field(
        default=False,
        metadata=_help(
            "Allow input URLs (images, audio, video to fetch) on private and loopback addresses, and plain "
            "http for them."
        ),
    )
    fetch_timeout_seconds: float = field(default=30.0, metadata=_help("Total time allowed to fetch one input URL."))
    fetch_max_bytes: int = field(
        default=200 * 1024 * 1024, metadata=_help("Largest input file fetched from a URL, in bytes.")
    )
    webhook_retry_delays: tuple[float, ...] = field(
        default=(10.0, 60.0, 300.0),
        metadata=_help(
            "Seconds to wait before each retry of a webhook delivery that failed; one retry per value, "
            "then the delivery is marked failed. Env: `10,60,300`; empty: no retries."
        ),
    )
    upload_max_image_mb: int = field(
        default=20, metadata=_help("Largest file accepted by POST /api/upload/image, in MiB (larger: 413).")
    )
    upload_max_audio_mb: int = field(
        default=100, metadata=_help("Largest file accepted by POST /api/upload/audio, in MiB (larger: 413).")
    )
    upload_max_video_mb: int = field(
        default=1024, metadata=_help("Largest file accepted by POST /api/upload/video, in MiB (larger: 413).")
    )
    sip_registrar_uri: str = field(
        default="",
        metadata=_help(
            "SIP trunk or PBX registrar, e.g. sip:sip.provider.example:5060. Set with sip_username to "
            "register (kept alive). Outbound calls need this or sip_proxy_uri: without either they answer 503."
        ),
    )
    sip_proxy_uri: str = field(default="", metadata=_help("Outbound proxy INVITEs go through. Empty: the registrar."))
    sip_username: str = field(default="", metadata=_help("SIP account for registration and digest authentication."))
    sip_password: str = field(default="", repr=False, metadata=_help("SIP account password (digest authentication)."))
    sip_caller_id: str = field(
        default="", metadata=_help("User part of the From header of outbound calls. Empty: sip_username.")
    )
    sip_transport: Literal["udp", "tcp"] = field(default="udp", metadata=_help("SIP transport to the trunk."))
    sip_local_address: str = field(
        default="",
        metadata=_help("Address SIP and RTP bind to and advertise. Empty: the one that routes to the trunk."),
    )
    sip_local_port: int = field(default=0, metadata=_help("Local SIP port. 0: any free port."))
    rtp_port_min: int = field(default=10000, metadata=_help("Lowest local RTP port of a call."))
    rtp_port_max: int = field(default=20000, metadata=_help("Highest local RTP port of a call."))
    max_concurrent_calls: int = field(
        default=4, metadata=_help("Calls (phone and studio test calls) running at once; more answer 503.")
    )
    call_silence_seconds: float = field(
        default=10.0,
        metadata=_help("Caller silence before the agent asks whether they are there; as long again, it hangs up."),
    )
    call_minute_seconds: float = field(
        default=60.0,
        metadata=_help("Length of a charged call minute (call-minute credits per started one). Tests shorten it."),
    )
    voice_agent_writer: Literal["writer", "stand-in"] = field(
        default="writer",
        metadata=_help(
            "What answers in calls: `writer` (the configured writer model) or `stand-in` (a fixed sentence "
            "repeating what was heard; for checking a trunk and the audio path without a language model)."
        ),
    )

    # Derived paths -----------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.data_dir / "app.db"

    @property
    def queue_dir(self) -> Path:
        return self.data_dir / "queues"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def rate_limit(self, bucket: str) -> tuple[int, float]:
        count, _, seconds = self.rate_limits[bucket].partition("/")
        return int(count), float(seconds)

    def upload_max_bytes(self, kind: str) -> int:
        return int(getattr(self, f"upload_max_{kind}_mb")) * 1024 * 1024

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def setting_fields() -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(Settings))


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _field_type(f: dataclasses.Field[Any]) -> Any:
    return typing.get_type_hints(Settings)[f.name]


def type_label(f: dataclasses.Field[Any]) -> str:
    tp = _field_type(f)
    if get_origin(tp) is Literal:
        return " / ".join(get_args(tp))
    if get_origin(tp) is dict:
        return "table"
    if get_origin(tp) is tuple:
        return "list of " + get_args(tp)[0].__name__
    args = [a for a in get_args(tp) if a is not type(None)]
    return (args[0] if args else tp).__name__


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[operator]  # a field has a default or a factory: the table says so


def _parse_mapping(name: str, text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ConfigError(f"{name}: expected key=value pairs separated by commas, got {part!r}")
        out[key.strip()] = value.strip()
    return out


def _parse_list(name: str, value: Any, item_type: type) -> tuple[Any, ...]:
    """A comma list from the environment (`10,60,300`) or a TOML array, as a tuple."""
    items = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(value)
    try:
        parsed = tuple(item_type(item) for item in items if item != "")
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected {item_type.__name__} values separated by commas, got {value!r}") from None
    if any(isinstance(item, (int, float)) and item < 0 for item in parsed):
        raise ConfigError(f"{name}: values must not be negative, got {value!r}")
    return parsed


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _coerce_table(f: dataclasses.Field[Any], tp: Any, value: Any) -> dict[str, Any]:
    raw = _parse_mapping(f.name, value) if isinstance(value, str) else dict(value)
    if f.name == "plans":  # a table of tables: taken whole from the config file
        return raw
    value_type = get_args(tp)[1]
    try:
        return {**default_of(f), **{k: value_type(v) for k, v in raw.items()}}
    except ValueError as exc:
        raise ConfigError(f"{f.name}: {exc}") from None


def coerce(name: str, value: Any) -> Any:
    """Turn a raw value (string from env/flag, or TOML value) into the field's type."""
    f = next((f for f in setting_fields() if f.name == name), None)
    if f is None:
        raise ConfigError(f"unknown setting {name!r}")
    tp = _field_type(f)
    optional = type(None) in get_args(tp)
    if value is None or (value == "" and optional):
        return None
    if get_origin(tp) is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{name}: must be one of {', '.join(get_args(tp))}, got {value!r}")
        return value
    if get_origin(tp) is tuple:
        return _parse_list(name, value, get_args(tp)[0])
    if get_origin(tp) is dict:
        return _coerce_table(f, tp, value)
    target = next(a for a in get_args(tp) if a is not type(None)) if optional else tp
    try:
        if target is bool:
            return _parse_bool(value)
        if target is Path:
            return Path(value).expanduser()
        return target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: {exc}") from None


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Defaults, then the config file, then `APEXLOCAL_*` variables, then explicit overrides."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or (Path(environ[env_name("config")]) if env_name("config") in environ else None)
    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from None
        for key, raw in data.items():
            values[key] = coerce(key, raw)
    for f in setting_fields():
        if env_name(f.name) in environ:
            values[f.name] = coerce(f.name, environ[env_name(f.name)])
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = coerce(key, raw)
    return Settings(**values)
