"""Address policy for every URL the server fetches or posts to on a user's behalf.

A URL is accepted only when its scheme, its host spelling and EVERY address its host resolves to
pass the policy. The host is resolved once, here; the fetcher then connects to exactly the
addresses returned in `ResolvedURL.addresses`, so a DNS answer that changes between the check and
the connection (DNS rebinding) cannot move the request inside the network.

Refusals raise `UnsafeURL`, a `BadRequest` whose message starts with the name of the field that
held the URL (`"webhookUrl: must use https"`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import idna

from apexlocal.errors import BadRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Cloud metadata and platform endpoints: refused even when private targets are allowed, because
# reaching them hands out the host's credentials rather than a LAN service.
_METADATA_NETS = (
    _V4("169.254.169.0/24"),  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle (IMDS)
    _V4("169.254.170.0/24"),  # AWS ECS task metadata
    _V4("100.100.100.200/32"),  # Alibaba Cloud
    _V4("168.63.129.16/32"),  # Azure WireServer (a public-range address, hence listed)
    _V4("192.0.0.192/32"),  # Oracle Cloud (legacy)
    _V6("fd00:ec2::/32"),  # AWS IMDS over IPv6 (fd00:ec2::254)
)

# Checked in order; the first match names the class in the error message.
_V4_CLASSES: tuple[tuple[_V4, str], ...] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("0.0.0.0/8"), "a this-network address"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("100.64.0.0/10"), "shared CGNAT space"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.88.99.0/24"), "reserved"),
)

_V6_CLASSES: tuple[tuple[_V6, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("ff00::/8"), "multicast"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("100::/64"), "reserved"),
    (_V6("64:ff9b:1::/48"), "reserved"),
    (_V6("2001::/32"), "a Teredo tunnel"),
    (_V6("::/8"), "reserved"),
)

# What `allow_private` opens: a team's own LAN, VPN (CGNAT ranges are Tailscale's) and this host.
_PRIVATE_CLASSES = frozenset({"loopback", "private", "link-local", "site-local", "unique-local", "shared CGNAT space"})

# Names of cloud metadata services: refused always, before any lookup.
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.oraclecloud.com",
        "metadata.tencentyun.com",
    }
)
# Names that only mean something inside this host or its LAN: refused unless private targets are
# allowed (then the addresses they resolve to are still checked).
_LOCAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "kubernetes.default",
        "kubernetes.default.svc",
    }
)
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".arpa")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# WHATWG URL parsers read a host whose last label is numeric as an IPv4 address in decimal,
# octal, hex or short form; only the plain dotted quad is accepted, so every parser agrees.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    r"(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$"
)
_PORT = re.compile(r"^[0-9]{1,5}$")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


class UnsafeURL(BadRequest):
    """A URL refused by the address policy; the message names the field and the reason."""


@dataclass(frozen=True)
class ResolvedURL:
    """A URL that passed the policy, with the only addresses a connection may go to."""

    url: str  # normalised: scheme://host[:port]/path?query, no fragment
    scheme: str
    host: str  # ASCII (IDNA), lowercase, no trailing dot, no brackets
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # every address checked, in resolver order
    is_literal: bool  # the host was an IP address, not a name


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, through the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def validate_url(url: str, field: str, *, allow_private: bool, resolver: Resolver | None = None) -> ResolvedURL:
    """Check `url` against the policy and resolve its host once; raise `UnsafeURL` if refused.

    `allow_private` lets loopback, private, link-local and CGNAT targets through, and plain http
    for them; cloud metadata addresses and names stay refused.
    """
    scheme, host, port, target, literal = _parse(url, field)
    if literal is None:
        if scheme == "http" and not allow_private:
            raise UnsafeURL(f"{field}: must use https")  # before any lookup
        _check_name(host, field, allow_private)
        addresses = _resolve(host, port, field, resolver or system_resolver)
    else:
        addresses = [literal]
    for address in addresses:
        _check_address(address, host, field, allow_private=allow_private, literal=literal is not None)
    if scheme == "http" and not (allow_private and all(_is_private_class(a) for a in addresses)):
        raise UnsafeURL(
            f"{field}: must use https"
            + (" (plain http is only allowed for private addresses)" if allow_private else "")
        )
    return ResolvedURL(
        url=_agreed_url(scheme, host, port, target, field),
        scheme=scheme,
        host=host,
        port=port,
        target=target,
        addresses=tuple(str(a) for a in addresses),
        is_literal=literal is not None,
    )


def classify(address: IPAddress) -> str | None:
    """None for a global address, else the class that makes it inside ("loopback", ...).

    An IPv6 address that embeds an IPv4 one is classified as the IPv4 host it reaches.
    """
    if any(address in net for net in _METADATA_NETS):
        return "a cloud metadata address"
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return classify(embedded)
    classes = _V4_CLASSES if address.version == 4 else _V6_CLASSES
    for net, name in classes:
        if address in net:
            return name
    return None if address.is_global else "reserved"


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, -translated, -compatible, NAT64 or 6to4 address.

    Such an address reaches the IPv4 host it embeds, so it is judged as that host.
    """
    if address.version == 4:
        return None
    packed = int(address)
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return address.ipv4_mapped
    if packed >> 32 == 0xFFFF0000:  # ::ffff:0:a.b.c.d (SIIT)
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if address in _V6("64:ff9b::/96"):  # NAT64 well-known prefix
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return address.sixtofour  # 2002:AABB:CCDD::/48


def _is_private_class(address: IPAddress) -> bool:
    return classify(address) in _PRIVATE_CLASSES


def _check_address(address: IPAddress, host: str, field: str, *, allow_private: bool, literal: bool) -> None:
    kind = classify(address)
    if kind is None or (allow_private and _is_private_class(address)):
        return
    # For a name, the address it resolved to stays out of the message: echoing it would let a
    # client map the internal DNS zone through this server.
    if not literal:
        subject = f"{host} resolves to an address that is"
    elif (embedded := embedded_ipv4(address)) is not None:
        subject = f"{address} embeds {embedded}, which is"
    else:
        subject = f"{address} is"
    raise UnsafeURL(f"{field}: must resolve to a public address ({subject} {kind})")


def _check_name(host: str, field: str, allow_private: bool) -> None:
    if host in _METADATA_NAMES:
        raise UnsafeURL(f"{field}: host {host!r} is not allowed (a cloud metadata name)")
    if allow_private:
        return
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        raise UnsafeURL(f"{field}: host {host!r} is not allowed (a local name)")
    # A single-label name is completed by the resolver's search domains: an intranet name.
    if "." not in host:
        raise UnsafeURL(f"{field}: host {host!r} is not a public host name")


def _resolve(host: str, port: int, field: str, resolver: Resolver) -> list[IPAddress]:
    try:
        answers = list(resolver(host, port))
    except (OSError, UnicodeError):
        answers = []
    addresses = []
    for answer in answers:
        try:
            # A zone index (fe80::1%eth0) only appears on link-local addresses, refused anyway.
            addresses.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
        except ValueError:
            raise UnsafeURL(f"{field}: host {host!r} resolved to an invalid address") from None
    if not addresses:
        raise UnsafeURL(f"{field}: host {host!r} could not be resolved")
    return addresses


# Parsing -------------------------------------------------------------------------------------


def _parse(url: str, field: str) -> tuple[str, str, int, str, IPAddress | None]:
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise UnsafeURL(f"{field}: must be a URL of at most 2048 characters")
    if _FORBIDDEN_CHARS.search(url):
        raise UnsafeURL(f"{field}: must not contain spaces, control characters or backslashes")
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeURL(f"{field}: is not a valid URL") from None
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURL(f"{field}: is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not url.lower().startswith(scheme + "://"):
        raise UnsafeURL(f"{field}: must be an https URL")
    if "@" in parts.netloc:
        raise UnsafeURL(f"{field}: must not contain user info (user:pass@)")
    raw_host, port = _split_netloc(parts.netloc, scheme, field)
    host, literal = _parse_host(raw_host, field)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, target, literal


def _split_netloc(netloc: str, scheme: str, field: str) -> tuple[str, int]:
    default = 443 if scheme == "https" else 80
    if netloc.startswith("["):
        host, sep, rest = netloc[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise UnsafeURL(f"{field}: has an invalid bracketed IPv6 host")
        return "[" + host + "]", _parse_port(rest[1:], default, field) if rest else default
    if netloc.count(":") > 1:
        raise UnsafeURL(f"{field}: an IPv6 host must be written in brackets")
    host, sep, port = netloc.partition(":")
    return host, _parse_port(port, default, field) if sep else default


def _parse_port(text: str, default: int, field: str) -> int:
    if text == "":
        return default
    if not _PORT.match(text) or not 0 < int(text) < 65536:
        raise UnsafeURL(f"{field}: has an invalid port")
    return int(text)


def _parse_host(raw: str, field: str) -> tuple[str, IPAddress | None]:
    if raw.startswith("["):
        if "%" in raw:
            raise UnsafeURL(f"{field}: must not use an IPv6 zone index")
        try:
            address = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise UnsafeURL(f"{field}: has an invalid IPv6 address") from None
        return str(address), address
    host = _idna(raw, field)
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        if not _DOTTED_QUAD.match(host):
            raise UnsafeURL(f"{field}: host {raw!r} is not a valid host name or dotted-quad IPv4 address")
        return host, ipaddress.IPv4Address(host)
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeURL(f"{field}: host {raw!r} is not a valid host name")
    return host, None


def _idna(raw: str, field: str) -> str:
    # One trailing dot names the same host (an absolute name); the check must see the bare name.
    host = raw[:-1] if raw.endswith(".") else raw
    if not host:
        raise UnsafeURL(f"{field}: must have a host")
    try:
        # UTS #46 maps full-width digits and dots (127。0。0。1) to ASCII before any check runs.
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise UnsafeURL(f"{field}: host {raw!r} is not a valid host name") from None


def _agreed_url(scheme: str, host: str, port: int, target: str, field: str) -> str:
    """The normalised URL, once the HTTP client is seen to read the same origin from it."""
    url = _unparse(scheme, host, port, target)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise UnsafeURL(f"{field}: is not a valid URL") from None
    if (parsed.raw_host.decode("ascii"), parsed.port or port) != (host, port):
        raise UnsafeURL(f"{field}: is not a valid URL")
    return url


def _unparse(scheme: str, host: str, port: int, target: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}{'' if port == default else f':{port}'}{target}"
