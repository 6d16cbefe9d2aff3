"""What a media file is, from its bytes: a client's Content-Type header or file name proves nothing.

`sniff` reads the head of a file (and, for the MP4 family, its tail as well, where the track
headers often sit) and names the format by its magic numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 256 * 1024


@dataclass(frozen=True)
class Detected:
    kind: str  # "image", "audio" or "video"
    content_type: str
    extension: str  # with the dot, as files are stored and served


PNG = Detected("image", "image/png", ".png")
JPEG = Detected("image", "image/jpeg", ".jpg")
GIF = Detected("image", "image/gif", ".gif")
WEBP = Detected("image", "image/webp", ".webp")
WAV = Detected("audio", "audio/wav", ".wav")
MP3 = Detected("audio", "audio/mpeg", ".mp3")
FLAC = Detected("audio", "audio/flac", ".flac")
OGG = Detected("audio", "audio/ogg", ".ogg")
M4A = Detected("audio", "audio/mp4", ".m4a")
MP4 = Detected("video", "video/mp4", ".mp4")
MOV = Detected("video", "video/quicktime", ".mov")
WEBM = Detected("video", "video/webm", ".webm")
MKV = Detected("video", "video/x-matroska", ".mkv")

FORMATS_BY_KIND = {
    "image": "PNG, JPEG, WebP, GIF",
    "audio": "WAV, MP3, FLAC, OGG, M4A",
    "video": "MP4, MOV, WebM, MKV",
}
EXTENSIONS = {
    d.content_type: d.extension for d in (PNG, JPEG, GIF, WEBP, WAV, MP3, FLAC, OGG, M4A, MP4, MOV, WEBM, MKV)
}

_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(path: Path) -> Detected | None:
    """The format of the file at `path`, or None when it is none of the supported ones."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        size = handle.seek(0, 2)
        tail = b""
        if size > HEAD_BYTES:
            handle.seek(max(HEAD_BYTES, size - TAIL_BYTES))
            tail = handle.read()
    return sniff_bytes(head, tail)


def sniff_bytes(head: bytes, tail: bytes = b"") -> Detected | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if b"webm" in head[:64] else MKV
    if head[4:8] == b"ftyp":
        return _iso_media(head, tail)
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return MP3
    return None


def _iso_media(head: bytes, tail: bytes) -> Detected:
    brand = head[8:12]
    if brand in _AUDIO_BRANDS:
        return M4A
    if brand == b"qt  ":
        return MOV
    # A generic brand (isom, mp42 ...) says nothing about the tracks: their handlers do.
    handlers = _handler_types(head) | _handler_types(tail)
    if b"soun" in handlers and b"vide" not in handlers:
        return M4A
    return MP4


def _handler_types(data: bytes) -> set[bytes]:
    # An `hdlr` box: size, "hdlr", version and flags (4), pre_defined (4), then the handler type.
    found, start = set(), 0
    while (at := data.find(b"hdlr", start)) != -1:
        found.add(data[at + 12 : at + 16])
        start = at + 4
    return found


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version and a layer (not ADTS's 00)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3
