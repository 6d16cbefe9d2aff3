"""The trunk's registration: REGISTER answered with a digest challenge, sent again with
credentials, and refreshed before the interval the registrar granted runs out (SIPp as the
registrar, granting 2 s)."""

from __future__ import annotations

from apexlocal.telephony.config import TrunkConfig
from apexlocal.telephony.sip import SipTrunk
from tests.telephony.peer import PASSWORD, USER, Sipp, free_udp_port

_OK = """  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=reg[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Contact:]
Expires: 2
Content-Length: 0

]]></send>
"""
REGISTRAR = (
    f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar">
  <recv request="REGISTER" />
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=reg[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="apexlocal-test", nonce="r[pid]", algorithm=MD5
Content-Length: 0

]]></send>
  <recv request="REGISTER">
    <action><verifyauth assign_to="authvalid" username="{USER}" password="{PASSWORD}" /></action>
  </recv>
  <nop hide="true" test="authvalid" next="good" />
  <send next="end"><![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="good" />
"""
    + _OK
    + """  <recv request="REGISTER" timeout="10000" />
"""
    + _OK
    + """  <label id="end" />
</scenario>
"""
)


def test_registration_is_authenticated_and_kept_alive(tmp_path):
    port = free_udp_port()
    sipp = Sipp(tmp_path, port, REGISTRAR)
    config = TrunkConfig(
        registrar_uri=f"sip:127.0.0.1:{port}",
        proxy_uri=f"sip:127.0.0.1:{port}",
        username=USER,
        password=PASSWORD,
        caller_id=USER,
        transport="udp",
        local_address="127.0.0.1",
        local_port=0,
        rtp_ports=(10000, 10100),
    )
    trunk = SipTrunk(config)
    try:
        trunk.start()
        # SIPp waits at most 10 s for the refresh of its 2 s binding: exit 0 means it came.
        assert sipp.wait(20) == 0, "SIPp did not see an authenticated REGISTER and its refresh"
        assert trunk.registration.state.name == "REGISTERED"
    finally:
        trunk.stop()
        sipp.stop()
