"""The address policy: every inside URL refused, in every spelling; public ones accepted.

No network: names are answered by a stub resolver, IP literals never reach it.
"""

from __future__ import annotations

import ipaddress

import pytest

from apexlocal.errors import BadRequest
from apexlocal.webhooks.ssrf import (
    UnsafeURL,
    classify,
    embedded_ipv4,
    system_resolver,
    validate_url,
)

from .servers import StubResolver

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

# (url, a word the refusal must contain)
INSIDE_URLS = [
    # IPv4 loopback, every spelling a URL parser or inet_aton accepts
    ("https://127.0.0.1/", "loopback"),
    ("https://127.0.0.1./hook", "loopback"),
    ("https://127.255.255.254:8443/", "loopback"),
    ("https://2130706433/", "dotted-quad"),  # decimal
    ("https://017700000001/", "dotted-quad"),  # octal, whole
    ("https://0177.0.0.1/", "dotted-quad"),  # octal octet
    ("https://0x7f.0.0.1/", "dotted-quad"),  # hex octet
    ("https://0x7f000001/", "dotted-quad"),  # hex, whole
    ("https://0x7f.1/", "dotted-quad"),  # hex, short
    ("https://127.1/", "dotted-quad"),  # short
    ("https://127.0.1/", "dotted-quad"),  # short
    ("https://127.000.000.001/", "dotted-quad"),  # zero padded
    ("https://127\u30020\u30020\u30021/", "loopback"),  # ideographic full stops
    ("https://\uff11\uff12\uff17.0.0.1/", "loopback"),  # full-width digits
    ("https://%31%32%37.0.0.1/", "not a valid host"),  # percent-encoded
    # IPv6, bracketed, and IPv4 embedded in IPv6
    ("https://[::1]/", "loopback"),
    ("https://[0:0:0:0:0:0:0:1]:8080/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped
    ("https://[::ffff:7f00:1]/", "loopback"),  # IPv4-mapped, hex
    ("https://[::ffff:0:7f00:1]/", "loopback"),  # IPv4-translated
    ("https://[::127.0.0.1]/", "loopback"),  # IPv4-compatible
    ("https://[64:ff9b::7f00:1]/", "loopback"),  # NAT64
    ("https://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
    ("https://[2002:7f00:1::]/", "loopback"),  # 6to4
    ("https://[2002:c0a8:101::1]/", "private"),  # 6to4 of 192.168.1.1
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("https://[::1%25eth0]/", "zone"),
    ("https://[::]/", "unspecified"),
    ("https://[fe80::1]/", "link-local"),
    ("https://[fc00::1]/", "unique-local"),
    ("https://[fd12:3456:789a::1]/", "unique-local"),
    ("https://[fec0::1]/", "site-local"),
    ("https://[ff02::1]/", "multicast"),
    ("https://[2001:db8::1]/", "documentation"),
    # private, link-local, CGNAT, special IPv4 ranges
    ("https://10.0.0.1/", "private"),
    ("https://172.16.5.4/", "private"),
    ("https://172.31.255.255/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://169.254.1.1/", "link-local"),
    ("https://100.64.0.1/", "CGNAT"),
    ("https://100.127.255.254/", "CGNAT"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://0.1.2.3/", "this-network"),
    ("https://224.0.0.1/", "multicast"),
    ("https://239.255.255.250:1900/", "multicast"),
    ("https://255.255.255.255/", "broadcast"),
    ("https://240.0.0.1/", "reserved"),
    ("https://192.0.2.1/", "documentation"),
    ("https://203.0.113.9/", "documentation"),
    ("https://198.18.0.1/", "benchmarking"),
    # cloud metadata, by address and by name
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://169.254.170.2/v2/credentials", "metadata"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://[::ffff:a9fe:a9fe]/", "metadata"),
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),
    ("https://100.100.100.200/latest/meta-data/", "metadata"),
    ("https://168.63.129.16/", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://metadata.google.internal./computeMetadata/v1/", "metadata"),
    ("https://metadata/", "metadata"),
    ("https://instance-data/latest/", "metadata"),
    # local names
    ("https://localhost/", "local name"),
    ("https://LOCALHOST./", "local name"),
    ("https://api.localhost/", "local name"),
    ("https://a.b.localhost:8000/", "local name"),
    ("https://printer.local/", "local name"),
    ("https://db.internal/", "local name"),
    ("https://router.home.arpa/", "local name"),
    ("https://1.0.0.127.in-addr.arpa/", "local name"),
    ("https://intranet/", "not a public host name"),
    # user info, scheme, and parser-confusion spellings
    ("https://user:pass@example.com/", "user info"),
    ("https://example.com@127.0.0.1/", "user info"),
    ("https://example.com:@127.0.0.1/", "user info"),
    ("https://@example.com/", "user info"),
    ("https://example.com\\@127.0.0.1/", "backslash"),
    ("https://127.0.0.1 /", "spaces"),
    ("http://example.com/", "https"),
    ("HTTP://example.com/", "https"),
    ("ftp://example.com/file", "https"),
    ("file:///etc/passwd", "https"),
    ("gopher://127.0.0.1:6379/_INFO", "https"),
    ("https:/example.com/", "https"),
    ("//example.com/", "https"),
    ("https://example.com:0/", "port"),
    ("https://example.com:65536/", "port"),
    ("https://example.com:+443/", "port"),
    ("https://exa_mple.com/", "not a valid host"),
    ("https://example..com/", "not a valid host"),
    ("https:///path-only", "host"),
]

# Never opened by allow_private: metadata, non-unicast, and every ambiguous spelling.
ALWAYS_REFUSED = [
    (url, word)
    for url, word in INSIDE_URLS
    if word
    in (
        "metadata",
        "dotted-quad",
        "user info",
        "this-network",
        "multicast",
        "broadcast",
        "unspecified",
        "reserved",
        "documentation",
        "Teredo",
        "backslash",
        "zone",
    )
]


def _public_resolver() -> StubResolver:
    return StubResolver({"example.com": [PUBLIC_V4]})


def test_the_table_covers_at_least_thirty_inside_urls() -> None:
    assert len(INSIDE_URLS) >= 30
    assert len(ALWAYS_REFUSED) >= 20


@pytest.mark.parametrize(("url", "word"), INSIDE_URLS)
def test_inside_url_is_refused_naming_the_field(url: str, word: str) -> None:
    resolver = _public_resolver()
    with pytest.raises(BadRequest) as caught:
        validate_url(url, "webhookUrl", allow_private=False, resolver=resolver)
    assert isinstance(caught.value, UnsafeURL)
    assert caught.value.status == 400 and caught.value.code == "BAD_REQUEST"
    assert caught.value.message.startswith("webhookUrl: ")
    assert word.lower() in caught.value.message.lower()


@pytest.mark.parametrize(("url", "word"), ALWAYS_REFUSED)
def test_allow_private_never_opens_metadata_or_odd_spellings(url: str, word: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        validate_url(url, "avatarImage", allow_private=True, resolver=_public_resolver())
    assert caught.value.message.startswith("avatarImage: ")
    assert word.lower() in caught.value.message.lower()


def test_ip_literals_are_never_sent_to_the_resolver() -> None:
    resolver = StubResolver()
    for url in ("https://127.0.0.1/", "https://[::1]/", "https://169.254.169.254/"):
        with pytest.raises(UnsafeURL):
            validate_url(url, "webhookUrl", allow_private=False, resolver=resolver)
    assert resolver.calls == []


def test_the_literal_refusal_messages_read_well() -> None:
    with pytest.raises(UnsafeURL) as caught:
        validate_url("https://127.0.0.1/hook", "webhookUrl", allow_private=False)
    assert caught.value.message == "webhookUrl: must resolve to a public address (127.0.0.1 is loopback)"
    with pytest.raises(UnsafeURL) as caught:
        validate_url("https://[::ffff:169.254.169.254]/", "image", allow_private=True)
    assert caught.value.message == (
        "image: must resolve to a public address (::ffff:a9fe:a9fe "
        "embeds 169.254.169.254, which is a cloud metadata address)"
    )


# Names that resolve inside ---------------------------------------------------------------

INSIDE_NAMES = {
    "loop.example": ["127.0.0.1"],
    "lan.example": ["192.168.7.20"],
    "v6.example": ["::1"],
    "ula.example": ["fd00:1234::5"],
    "mapped.example": ["::ffff:169.254.169.254"],
    "nat64.example": ["64:ff9b::a00:1"],
    "cgnat.example": ["100.64.1.1"],
    "scoped.example": ["fe80::1%eth0"],
    "zero.example": ["0.0.0.0"],
    "imds.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC_V4, "10.0.0.7"],  # one inside answer refuses the name
    "mixed6.example": [PUBLIC_V6, "::ffff:127.0.0.1"],
}


@pytest.mark.parametrize("host", sorted(INSIDE_NAMES))
def test_name_resolving_inside_is_refused(host: str) -> None:
    resolver = StubResolver(dict(INSIDE_NAMES))
    with pytest.raises(UnsafeURL) as caught:
        validate_url(f"https://{host}/hook", "webhookUrl", allow_private=False, resolver=resolver)
    message = caught.value.message
    assert message.startswith(f"webhookUrl: must resolve to a public address ({host} resolves")
    # The inside address itself stays out of the answer (no internal DNS oracle).
    for answer in INSIDE_NAMES[host]:
        address = ipaddress.ip_address(answer.split("%")[0])
        assert str(address) not in message and answer not in message
        assert str(embedded_ipv4(address) or address) not in message
    assert resolver.calls == [(host, 443)]


def test_unresolvable_and_malformed_answers_are_refused() -> None:
    resolver = StubResolver({"empty.example": [], "junk.example": ["not-an-ip"]})
    for host in ("nowhere.example", "empty.example", "junk.example"):
        with pytest.raises(UnsafeURL) as caught:
            validate_url(f"https://{host}/", "webhookUrl", allow_private=False, resolver=resolver)
        assert caught.value.message.startswith("webhookUrl: host ")


# Accepted ------------------------------------------------------------------------------


def test_public_name_is_accepted_with_its_checked_addresses() -> None:
    resolver = StubResolver({"example.com": [PUBLIC_V4, PUBLIC_V6]})
    resolved = validate_url(
        "https://Example.COM./hooks/in?x=1#frag", "webhookUrl", allow_private=False, resolver=resolver
    )
    assert resolved.url == "https://example.com/hooks/in?x=1"
    assert (resolved.scheme, resolved.host, resolved.port) == ("https", "example.com", 443)
    assert resolved.target == "/hooks/in?x=1"
    assert resolved.addresses == (PUBLIC_V4, PUBLIC_V6)
    assert not resolved.is_literal
    assert resolver.calls == [("example.com", 443)]


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://93.184.216.34/", PUBLIC_V4, 443),
        ("https://93.184.216.34:8443/x", PUBLIC_V4, 8443),
        (f"https://[{PUBLIC_V6}]/", PUBLIC_V6, 443),
        ("https://[::ffff:93.184.216.34]/", "::ffff:5db8:d822", 443),
        ("https://[64:ff9b::5db8:d822]/", "64:ff9b::5db8:d822", 443),
        ("https://8.8.8.8/", "8.8.8.8", 443),
    ],
)
def test_public_literals_are_accepted_without_a_lookup(url: str, host: str, port: int) -> None:
    resolver = StubResolver()
    resolved = validate_url(url, "image", allow_private=False, resolver=resolver)
    assert (resolved.host, resolved.port, resolved.is_literal) == (host, port, True)
    assert resolved.addresses == (host,)
    assert resolver.calls == []


def test_internationalised_name_is_checked_in_its_ascii_form() -> None:
    resolver = StubResolver({"xn--bcher-kva.example": [PUBLIC_V4]})
    resolved = validate_url("https://b\u00fccher.example/a", "image", allow_private=False, resolver=resolver)
    assert resolved.host == "xn--bcher-kva.example"
    assert resolved.url == "https://xn--bcher-kva.example/a"


# allow_private ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "http://[::1]:9000/",
        "http://10.1.2.3/",
        "http://192.168.1.50:3000/in",
        "http://100.101.102.103/",  # a Tailscale address
        "http://[fd00:1234::5]/",
        "http://localhost:8080/",
        "http://receiver.local/",
        "http://receiver/",
    ],
)
def test_allow_private_opens_private_targets_and_http_for_them(url: str) -> None:
    resolver = StubResolver(
        {"localhost": ["127.0.0.1", "::1"], "receiver.local": ["192.168.1.9"], "receiver": ["10.0.0.9"]}
    )
    resolved = validate_url(url, "webhookUrl", allow_private=True, resolver=resolver)
    assert resolved.addresses


def test_allow_private_does_not_open_plain_http_to_the_internet() -> None:
    resolver = _public_resolver()
    with pytest.raises(UnsafeURL, match=r"^webhookUrl: must use https"):
        validate_url("http://example.com/", "webhookUrl", allow_private=True, resolver=resolver)
    with pytest.raises(UnsafeURL, match=r"^webhookUrl: must use https"):
        validate_url("http://93.184.216.34/", "webhookUrl", allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://imds.example/",
        "http://mapped.example/",
        "http://metadata.google.internal/",
    ],
)
def test_allow_private_still_refuses_metadata(url: str) -> None:
    resolver = StubResolver(dict(INSIDE_NAMES))
    with pytest.raises(UnsafeURL, match="metadata"):
        validate_url(url, "webhookUrl", allow_private=True, resolver=resolver)


# Classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::ffff:0:10.0.0.1", "10.0.0.1"),
        ("::10.0.0.1", "10.0.0.1"),
        ("64:ff9b::10.0.0.1", "10.0.0.1"),
        ("2002:0a00:0001::", "10.0.0.1"),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("::1", None),
    ],
)
def test_embedded_ipv4_is_unwrapped(address: str, embedded: str | None) -> None:
    found = embedded_ipv4(ipaddress.ip_address(address))
    assert (str(found) if found else None) == embedded


def test_global_addresses_classify_as_none() -> None:
    for text in (PUBLIC_V4, PUBLIC_V6, "1.1.1.1", "8.8.4.4", "2a00:1450:4001:81c::200e"):
        assert classify(ipaddress.ip_address(text)) is None


def test_the_system_resolver_lists_each_address_once() -> None:
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
    assert system_resolver("::1", 80) == ["::1"]


def test_plain_http_to_a_name_is_refused_before_any_lookup() -> None:
    resolver = _public_resolver()
    with pytest.raises(UnsafeURL, match=r"^webhookUrl: must use https$"):
        validate_url("http://example.com/", "webhookUrl", allow_private=False, resolver=resolver)
    assert resolver.calls == []
