"""The far end of a test call: SIPp (Debian's sip-tester) as the callee's SIP user agent, with
digest authentication of the INVITE, and the callee's RTP endpoint in this process, which records
what it hears (with arrival times) and says a prepared recording when told to.

SIPp answers with an SDP whose audio port is the RtpPeer's, so the signalling is SIPp's and the
media is ours: SIPp plays and records no RTP of its own that a test could read back."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

USER, PASSWORD = "agent", "s3cret"


def _reply(status: str, *, tag: bool = True, cseq: str = "[last_CSeq:]", headers: str = "", attrs: str = "") -> str:
    """A SIPp <send> of a response without a body to the last request (`tag`: the callee's To tag)."""
    to = "[last_To:];tag=[pid]SIPpTag01[call_number]" if tag else "[last_To:]"
    return f"""  <send{attrs}><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
{to}
[last_Call-ID:]
{cseq}
{headers}Content-Length: 0

]]></send>
"""


_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
"""
_CHALLENGE = (
    """  <recv request="INVITE" />
"""
    + _reply(
        "401 Unauthorized",
        headers='WWW-Authenticate: Digest realm="apexlocal-test", nonce="n[pid][call_number]", algorithm=MD5\n',
    )
    + """  <recv request="ACK" />
  <recv request="INVITE">
    <action>
      <verifyauth assign_to="authvalid" username="{user}" password="{password}" />{saves}
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="goodauth" />
"""
    + _reply("403 Forbidden", attrs=' next="end"')
    + """  <label id="goodauth" />
"""
)
_SAVES = """
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from" />
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="remote_contact" />"""
_ANSWER = (
    _reply("180 Ringing")
    + """  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=callee 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {rtp_port} RTP/AVP {codec} 101
a=rtpmap:{codec} {codec_name}/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
]]></send>
  <recv request="ACK" />
"""
)
_AGENT_HANGS_UP = """  <recv request="BYE" timeout="{timeout_ms}" />
""" + _reply("200 OK", tag=False)
_CALLEE_HANGS_UP = """  <pause milliseconds="{after_ms}" />
  <send retrans="500"><![CDATA[
BYE [$remote_contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:callee@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$remote_from]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" />
"""
_BUSY = (
    """  <recv request="INVITE" />
"""
    + _reply("486 Busy Here")
    + """  <recv request="ACK" />
"""
)
_RINGS_UNTIL_CANCELED = (
    _reply("180 Ringing")
    + """  <recv request="CANCEL" timeout="{timeout_ms}" />
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""
    + _reply("487 Request Terminated", cseq="CSeq: [$invite_cseq] INVITE")
    + """  <recv request="ACK" />
"""
)
_INVITE_CSEQ = """
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq" />"""
_TAIL = """  <label id="end" />
</scenario>
"""


def scenario(
    kind: str, rtp_port: int = 0, *, hangup_after_ms: int = 3000, timeout_ms: int = 120_000, codec: int = 0
) -> str:
    if kind == "busy":
        return _HEAD.format(name="busy") + _BUSY + _TAIL
    if kind == "rings-until-canceled":  # a CANCEL is expected within timeout_ms of the ringing
        body = _CHALLENGE.format(user=USER, password=PASSWORD, saves=_INVITE_CSEQ)
        return _HEAD.format(name=kind) + body + _RINGS_UNTIL_CANCELED.format(timeout_ms=timeout_ms) + _TAIL
    saves = "" if kind == "agent-hangs-up" else _SAVES  # SIPp refuses variables set and never read
    body = _CHALLENGE.format(user=USER, password=PASSWORD, saves=saves) + _ANSWER.format(
        rtp_port=rtp_port, codec=codec, codec_name="PCMA" if codec == 8 else "PCMU"
    )
    if kind == "agent-hangs-up":
        body += _AGENT_HANGS_UP.format(timeout_ms=timeout_ms)
    else:
        body += _CALLEE_HANGS_UP.format(after_ms=hangup_after_ms)
    return _HEAD.format(name=kind) + body + _TAIL


def sipp_binary() -> str:
    exe = shutil.which("sipp")
    if exe is None:
        raise AssertionError("SIPp is missing: install Debian's sip-tester (apt-get install -y sip-tester)")
    return exe


class Sipp:
    """One SIPp callee run (-m 1: it exits after one call), on a port of its own."""

    def __init__(self, workdir: Path, port: int, xml: str) -> None:
        self.path = workdir / f"scenario-{port}.xml"
        self.path.write_text(xml)
        self.port = port
        self.proc = subprocess.Popen(
            [sipp_binary(), "-sf", str(self.path), "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin",
             "-timeout", "150s", "-trace_err", "-error_file", str(workdir / f"sipp-{port}-errors.log")],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(0.3)  # bound before the INVITE comes

    def wait(self, timeout: float = 150) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def free_udp_pair() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port % 2 == 0 and port < 65000:
            return port
    raise AssertionError("no free UDP port")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtpPeer:
    """The callee's audio: receives the agent's PCMU packets (kept with arrival times), answers to
    the address they come from, and sends a recording in real time when `say` is called."""

    def __init__(self, port: int, payload_type: int = 0) -> None:
        from aiortp.codecs.g711 import PcmaCodec, PcmuCodec

        self.payload_type = payload_type
        self.codec = PcmaCodec() if payload_type == 8 else PcmuCodec()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.port = port
        self.heard: list[tuple[float, np.ndarray]] = []  # (monotonic arrival, 160 samples)
        self.remote: Any = None
        self.said_at: float | None = None
        self._stop = threading.Event()
        self._seq = 0
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except OSError:
                continue
            if len(data) < 12 or data[1] & 0x7F != self.payload_type:
                continue  # RTCP or telephone-events
            self.remote = addr
            pcm = np.frombuffer(self.codec.decode(data[12:]), "<i2").astype(np.float32) / 32768.0
            self.heard.append((time.monotonic(), pcm))

    def say(self, samples: np.ndarray) -> None:
        """8 kHz float32 speech, sent as 20 ms PCMU packets in real time."""
        assert self.remote is not None, "nothing heard from the agent yet"
        self.said_at = time.monotonic()
        deadline = time.monotonic()
        for i in range(0, samples.size - 159, 160):
            frame = (np.clip(samples[i : i + 160], -1, 1) * 32767).astype("<i2").tobytes()
            self._send(self.payload_type, (self._seq * 160), self.codec.encode(frame))
            deadline += 0.02
            time.sleep(max(0.0, deadline - time.monotonic()))

    def _send(self, payload_type: int, timestamp: int, payload: bytes, marker: bool = False) -> None:
        header = bytes([0x80, payload_type | (0x80 if marker else 0)]) + self._seq.to_bytes(2, "big")
        header += (timestamp & 0xFFFFFFFF).to_bytes(4, "big") + b"\x00\x00\x30\x39"
        self.sock.sendto(header + payload, self.remote)
        self._seq = (self._seq + 1) & 0xFFFF

    def press(self, digit: str, payload_type: int = 101) -> None:
        """An RFC 4733 telephone-event: updates every 20 ms, then the end packet three times."""
        assert self.remote is not None, "nothing heard from the agent yet"
        event = "0123456789*#".index(digit)
        timestamp = self._seq * 160
        for i in range(1, 9):
            end = i >= 6
            payload = bytes([event, (0x80 if end else 0) | 10]) + (i * 160).to_bytes(2, "big")
            self._send(payload_type, timestamp, payload, marker=i == 1)
            time.sleep(0.02)

    def audio(self, since: float = 0.0) -> np.ndarray:
        chunks = [pcm for t, pcm in list(self.heard) if t >= since]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)

    def voiced_times(self, threshold: float = 0.02) -> list[float]:
        """Arrival times of the packets with speech in them."""
        return [t for t, pcm in list(self.heard) if float(np.sqrt(np.mean(pcm**2))) > threshold]

    def wait_for_speech_then_quiet(self, since: float = 0.0, quiet_s: float = 0.8, timeout: float = 60) -> float:
        """Waits until the agent spoke after `since` and then was quiet for `quiet_s`; returns when it stopped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            voiced = [t for t in self.voiced_times() if t > since]
            if voiced and time.monotonic() - voiced[-1] >= quiet_s:
                return voiced[-1]
            time.sleep(0.05)
        raise AssertionError("the agent did not speak and stop within the timeout")

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
