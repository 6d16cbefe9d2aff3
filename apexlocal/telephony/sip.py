"""The SIP user agent on the trunk: one asyncio loop in a thread of its own, aiosipua's UAC for
INVITE (digest authentication answered automatically), BYE and CANCEL, its UAS side for the BYE or
OPTIONS the far end sends, and a Registration kept alive while a registrar and username are set.

`dial` is called from a call's own thread and blocks until the callee answers or the call fails;
what the trunk answered decides the call's ending (busy, no-answer, failed)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apexlocal.telephony.config import TrunkConfig

log = logging.getLogger("apexlocal.telephony")
T = TypeVar("T")

BUSY = {486, 600}
NO_ANSWER = {408, 480, 487, 603}
RING_TIMEOUT_S = 45.0
CANCEL_WAIT_S = 4.0  # for the 487 that ends a CANCELled INVITE (or a 200 that crossed the CANCEL)
POLL_S = 0.05  # how often a ringing call looks whether it was hung up
TRUNK_TIMEOUT_S = 8.0  # no answer at all to an INVITE (not even 100 Trying): the trunk is unreachable
CODECS = {0: "PCMU", 8: "PCMA"}  # G.711 u-law and A-law, in the order offered


class CallRefused(Exception):
    """The call never connected; `status` is the call's ending: busy, no-answer or failed."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Dialled:
    """A connected call: where its media goes and how to end it."""

    call: Any  # aiosipua OutgoingCall
    remote_rtp: tuple[str, int]
    payload_type: int
    dtmf_payload_type: int | None
    local_ip: str
    local_rtp_port: int
    hung_up_by_peer: threading.Event = field(default_factory=threading.Event)


class SipTrunk:
    def __init__(self, config: TrunkConfig) -> None:
        self.config = config
        # A plain selector loop, whatever loop policy the server installed (aiosipua's UDP transport
        # expects asyncio's own DatagramTransport, which uvloop's is not).
        self.loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sip", daemon=True)
        self._dialled: dict[str, Dialled] = {}
        self._heard: dict[str, asyncio.Event] = {}
        self._acks: dict[tuple[str, int], Any] = {}  # ACKs sent for non-2xx finals, by (Call-ID, CSeq)
        self._request_uris: dict[str, str] = {}
        self._provisional: dict[str, int] = {}  # Call-ID -> CSeq of the INVITE a 1xx answered
        self.registration: Any = None
        self.local_ip = ""

    # The loop's thread ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self.run(self._start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def stop(self) -> None:
        try:
            self.run(self._stop(), timeout=5)
        except Exception:  # a loop that already died has nothing left to stop
            log.debug("SIP stop failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _start(self) -> None:
        from aiosipua import SipDigestAuth, SipUAC, SipUAS
        from aiosipua.registration import Registration
        from aiosipua.transport import TcpSipTransport

        self.local_ip = self.config.bind_address()
        kind = TcpSipTransport if self.config.transport == "tcp" else _udp_transport_class()
        self.transport = kind(local_addr=(self.local_ip, self.config.local_port))
        await self.transport.start()
        udp: Any = getattr(self.transport, "_udp_transport", None)
        if self.config.local_port == 0 and udp is not None:  # the port the system picked, for Via and Contact
            self.transport.local_addr = udp.get_extra_info("sockname")[:2]
        self.uac = SipUAC(self.transport)
        self.uas = SipUAS(self.transport, uac=self.uac, user_agent="apexlocal")
        self.uas.on_bye = self._on_bye
        self.uas.on_invite = lambda call: call.reject(603, "Decline")  # outbound only
        self.transport.on_message = self._on_message
        self.auth = SipDigestAuth(self.config.username, self.config.password) if self.config.username else None
        if self.config.registrar_uri and self.config.username:
            aor = f"sip:{self.config.username}@{self.config.domain}"
            self.registration = Registration(
                self.uac, aor, self.config.proxy_addr(), expires=300, auth=self.auth, user_agent="apexlocal"
            )
            self.registration.on_failed = lambda _r, code, why: log.warning("SIP registration failed: %s %s", code, why)
            self.registration.register()  # refreshed by aiosipua at 90% of the granted interval

    async def _stop(self) -> None:
        if self.registration is not None:
            self.registration.unregister()
            await asyncio.sleep(0.2)
        self.uac.close()
        await self.transport.stop()

    def _on_message(self, message: Any, addr: tuple[str, int]) -> None:
        from aiosipua import SipResponse

        if isinstance(message, SipResponse):
            heard = self._heard.pop(message.call_id or "", None)
            if heard is not None:
                heard.set()
            cseq = message.cseq
            if cseq is not None and cseq.method.upper() == "INVITE" and message.status_code < 200:
                self._provisional[message.call_id or ""] = cseq.seq
            final = cseq is not None and cseq.method.upper() == "INVITE" and message.status_code >= 300
            if final and not self._ack_final(message):
                return  # a retransmission, ACKed again: the call already moved on
        self.uas._on_message(message, addr)

    def _ack_final(self, response: Any) -> bool:
        """ACKs a non-2xx final answer to an INVITE (RFC 3261 17.1.1.3), which aiosipua leaves
        undone: a trunk retransmits an unACKed 401 or 486 until it gives up. Returns False for a
        retransmission already ACKed."""
        from aiosipua import SipRequest

        key = (response.call_id or "", response.cseq.seq)
        if key in self._acks:
            self.transport.send(self._acks[key], self.config.proxy_addr())
            return False
        ack = SipRequest(method="ACK", uri=self._request_uris.get(key[0], f"sip:{self.config.domain}"))
        ack.headers.set_single("Via", response.headers.get_first("via") or "")
        for name in ("From", "To", "Call-ID"):
            ack.headers.set_single(name, response.headers.get_first(name.lower()) or "")
        ack.headers.set_single("CSeq", f"{response.cseq.seq} ACK")
        ack.headers.set_single("Max-Forwards", "70")
        ack.headers.set_single("Content-Length", "0")
        self._acks[key] = ack
        self.transport.send(ack, self.config.proxy_addr())
        return True

    def _on_bye(self, call: Any, request: Any) -> None:
        dialled = self._dialled.pop(request.call_id or "", None)
        if dialled is not None:
            dialled.hung_up_by_peer.set()

    # Calls ---------------------------------------------------------------------------------------

    def dial(
        self, number: str, rtp_port: int, on_ringing: Callable[[], None], hung_up: Callable[[], bool] = lambda: False
    ) -> Dialled:
        """INVITE `number` at the trunk; blocks until answered. Raises CallRefused otherwise:
        `canceled` when `hung_up()` turned true before the answer (the INVITE is CANCELled)."""
        return self.run(self._dial(number, rtp_port, on_ringing, hung_up))

    async def _dial(
        self, number: str, rtp_port: int, on_ringing: Callable[[], None], hung_up: Callable[[], bool]
    ) -> Dialled:
        try:
            proxy = self.config.proxy_addr()
        except OSError as exc:
            raise CallRefused("failed", f"the SIP trunk's address does not resolve ({exc})") from None
        offer = _offer(self.local_ip, rtp_port)
        call = self.uac.send_invite(
            f"sip:{self.config.caller_id}@{self.config.domain}",
            f"sip:{number}@{self.config.domain}",
            proxy,
            offer,
            auth=self.auth,
            user_agent="apexlocal",
        )
        call.on_ringing = lambda _c: on_ringing()
        self._request_uris[call.call_id] = call.invite.uri
        heard = self._heard[call.call_id] = asyncio.Event()
        answered = asyncio.ensure_future(call.wait_answered(timeout=RING_TIMEOUT_S))
        try:
            await asyncio.wait_for(asyncio.shield(heard.wait()), TRUNK_TIMEOUT_S)
        except TimeoutError:
            answered.cancel()
            self._heard.pop(call.call_id, None)
            self.uac.remove_call(call.call_id)
            raise CallRefused("failed", f"the SIP trunk at {proxy[0]}:{proxy[1]} did not respond") from None
        canceled = await self._hung_up_while_ringing(call, answered, hung_up)
        self._provisional.pop(call.call_id, None)
        if canceled:
            self._request_uris.pop(call.call_id, None)
            raise CallRefused("canceled", "hung up before the answer")
        try:
            await answered
        except TimeoutError:
            self.uac.send_cancel(call)
            raise CallRefused("no-answer", "nobody answered") from None
        except RuntimeError:
            code, reason = call._reject_code, call._reject_reason
            status = "busy" if code in BUSY else "no-answer" if code in NO_ANSWER else "failed"
            raise CallRefused(status, f"the trunk answered {code} {reason}") from None
        answer = call.sdp_answer
        if answer is None or answer.rtp_address is None:
            self.uac.send_bye(call.dialog, proxy)
            raise CallRefused("failed", "the callee's answer had no audio stream")
        payload_type, dtmf = _chosen(answer)
        dialled = Dialled(call, answer.rtp_address, payload_type, dtmf, self.local_ip, rtp_port)
        self._dialled[call.call_id] = dialled
        call.remote_addr = proxy
        return dialled

    async def _hung_up_while_ringing(
        self, call: Any, answered: asyncio.Future[None], hung_up: Callable[[], bool]
    ) -> bool:
        """Waits for the answer; when hung up first, CANCELs the INVITE (once a provisional answer
        came: RFC 3261 9.1) and returns True once it ended (487), or a crossed 200 was ended with a BYE."""
        while not (hung_up() and self._provisional.get(call.call_id) == call.invite.cseq.seq):
            if answered.done():
                return False
            await asyncio.wait({answered}, timeout=POLL_S)
        self._send_cancel(call)
        await asyncio.wait({answered}, timeout=CANCEL_WAIT_S)
        if not answered.done():
            answered.cancel()
        elif not answered.cancelled() and answered.exception() is None:  # answered as the CANCEL crossed
            call.remote_addr = self.config.proxy_addr()
            call.hangup(self.uac)
        self.uac.remove_call(call.call_id)
        return True

    def _send_cancel(self, call: Any) -> None:
        """aiosipua's CANCEL forgets the call as it sends it; it is tracked again (its dialog still
        early) so that the 487 ending the INVITE, or a 200 that crossed the CANCEL, still reach it."""
        from aiosipua.dialog import DialogState

        self.uac.send_cancel(call)
        call.dialog.state = DialogState.EARLY
        self.uac._calls[call.call_id] = call

    def hangup(self, dialled: Dialled) -> None:
        self._dialled.pop(dialled.call.call_id, None)
        self.call_soon(lambda: dialled.call.hangup(self.uac))


def _offer(ip: str, port: int) -> Any:
    """An SDP offer of G.711 u-law, then A-law, and RFC 4733 telephone-events."""
    from aiosipua import build_sdp

    sdp = build_sdp(local_ip=ip, rtp_port=port, payload_type=0, codec_name="PCMU")
    audio: Any = sdp.audio
    audio.formats = ["0", "8", "101"]
    audio.attributes.setdefault("rtpmap", [])
    rtpmaps = [r for r in audio.attributes["rtpmap"] if not r.startswith("8 ")]
    audio.attributes["rtpmap"] = [*rtpmaps[:1], "8 PCMA/8000", *rtpmaps[1:]]
    return sdp


def _chosen(answer: Any) -> tuple[int, int | None]:
    """The G.711 codec the callee picked first, and its telephone-event payload type."""
    audio = answer.audio
    formats = [int(f) for f in audio.formats if str(f).isdigit()]
    payload_type = next((f for f in formats if f in CODECS), None)
    if payload_type is None:
        raise CallRefused("failed", "the callee accepts neither G.711 u-law nor A-law")
    dtmf = next((int(r.split()[0]) for r in audio.attributes.get("rtpmap", []) if "telephone-event" in r.lower()), None)
    return payload_type, dtmf


def _udp_transport_class() -> Any:
    """aiosipua's UDP transport with a protocol of our own: its protocol asserts that asyncio's
    datagram transport is a DatagramTransport, which Python 3.11's is not (3.12's is)."""
    from aiosipua.transport import UdpSipTransport

    class Protocol(asyncio.DatagramProtocol):
        def __init__(self, owner: Any) -> None:
            self.owner = owner

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.owner._dispatch(data, (str(addr[0]), int(addr[1])))

        def error_received(self, exc: Exception) -> None:
            log.debug("SIP UDP error: %s", exc)

    class Transport(UdpSipTransport):
        async def start(self) -> None:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: Protocol(self), local_addr=self.local_addr)
            self._udp_transport = transport

    return Transport
