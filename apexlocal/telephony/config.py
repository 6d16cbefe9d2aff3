"""The trunk's settings, read once: where INVITEs and REGISTERs go, and as whom."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from apexlocal.errors import ServiceUnavailable
from apexlocal.settings import Settings

NO_TRUNK = (
    "No SIP trunk is configured: set the sip_registrar_uri (or sip_proxy_uri) setting, with sip_username "
    "and sip_password, to make phone calls"
)


@dataclass(frozen=True)
class TrunkConfig:
    registrar_uri: str
    proxy_uri: str
    username: str
    password: str
    caller_id: str
    transport: str
    local_address: str
    local_port: int
    rtp_ports: tuple[int, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> TrunkConfig:
        if not (settings.sip_registrar_uri or settings.sip_proxy_uri):
            raise ServiceUnavailable(NO_TRUNK)
        return cls(
            registrar_uri=settings.sip_registrar_uri,
            proxy_uri=settings.sip_proxy_uri or settings.sip_registrar_uri,
            username=settings.sip_username,
            password=settings.sip_password,
            caller_id=settings.sip_caller_id or settings.sip_username or "apexlocal",
            transport=settings.sip_transport,
            local_address=settings.sip_local_address,
            local_port=settings.sip_local_port,
            rtp_ports=(settings.rtp_port_min, settings.rtp_port_max),
        )

    @property
    def domain(self) -> str:
        return host_port(self.registrar_uri or self.proxy_uri)[0]

    def proxy_addr(self) -> tuple[str, int]:
        host, port = host_port(self.proxy_uri)
        return socket.gethostbyname(host), port

    def bind_address(self) -> str:
        """The configured address, else the one this machine routes to the proxy from."""
        if self.local_address:
            return self.local_address
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(self.proxy_addr())  # UDP connect sends nothing: it only picks a route
            return str(probe.getsockname()[0])


def host_port(uri: str) -> tuple[str, int]:
    """`sip:host:port;params` -> (host, port), 5060 by default."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split(";", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    return host, int(port or 5060)
