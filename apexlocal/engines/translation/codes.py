"""Language codes: ISO 639-1 (two letters, what the API takes) and ISO 639-3 (three letters, what
Apertium names its pairs with)."""

from __future__ import annotations

# ISO 639-1 -> ISO 639-3, for the languages that have a two-letter code. Where ISO 639-3 splits a
# macrolanguage, the code Apertium's pairs use is the one given (nob for Norwegian Bokmål).
ISO3: dict[str, str] = {
    "af": "afr", "am": "amh", "an": "arg", "ar": "ara", "as": "asm", "az": "aze", "ba": "bak",
    "be": "bel", "bg": "bul", "bn": "ben", "br": "bre", "bs": "bos", "ca": "cat", "cs": "ces",
    "cv": "chv", "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo",
    "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fo": "fao", "fr": "fra",
    "fy": "fry", "ga": "gle", "gd": "gla", "gl": "glg", "gn": "grn", "gu": "guj", "ha": "hau",
    "he": "heb", "hi": "hin", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "id": "ind",
    "ig": "ibo", "is": "isl", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
    "km": "khm", "kn": "kan", "ko": "kor", "ku": "kur", "ky": "kir", "la": "lat", "lb": "ltz",
    "lo": "lao", "lt": "lit", "lv": "lav", "mg": "mlg", "mk": "mkd", "ml": "mal", "mn": "mon",
    "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "nb": "nob", "ne": "nep", "nl": "nld",
    "nn": "nno", "no": "nor", "oc": "oci", "or": "ori", "pa": "pan", "pl": "pol", "ps": "pus",
    "pt": "por", "qu": "que", "ro": "ron", "ru": "rus", "sa": "san", "sc": "srd", "sd": "snd",
    "se": "sme", "si": "sin", "sk": "slk", "sl": "slv", "so": "som", "sq": "sqi", "sr": "srp",
    "su": "sun", "sv": "swe", "sw": "swa", "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha",
    "tk": "tuk", "tl": "tgl", "tr": "tur", "tt": "tat", "ug": "uig", "uk": "ukr", "ur": "urd",
    "uz": "uzb", "vi": "vie", "wa": "wln", "xh": "xho", "yi": "yid", "yo": "yor", "zh": "zho",
    "zu": "zul",
}  # fmt: skip
ISO1: dict[str, str] = {three: two for two, three in ISO3.items()}
# Older or bibliographic three-letter codes that some pairs still use.
ISO1.update({"fre": "fr", "ger": "de", "dut": "nl", "rum": "ro", "slo": "sk", "alb": "sq", "arm": "hy",
             "baq": "eu", "chi": "zh", "cze": "cs", "geo": "ka", "gre": "el", "ice": "is", "mac": "mk",
             "may": "ms", "per": "fa", "wel": "cy", "cmn": "zh", "zlm": "ms", "pes": "fa"})  # fmt: skip


def base(code: str) -> str:
    """The language of a tag, lower case: "en-US" and "en_us" are "en"."""
    return code.strip().lower().replace("_", "-").split("-", 1)[0]


def to_iso1(code: str) -> str | None:
    """A two-letter code for a code of two or three letters (None when it has none)."""
    code = base(code)
    if len(code) == 2:
        return code if code in ISO3 else None
    return ISO1.get(code)


def to_iso3(code: str) -> str | None:
    """A three-letter code for a code of two or three letters (None when unknown)."""
    code = base(code)
    if len(code) == 3:
        return code
    return ISO3.get(code)
