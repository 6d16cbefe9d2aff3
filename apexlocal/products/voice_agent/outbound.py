"""POST /api/voice-agent/calls/outbound: checks in the order a caller can fix them (the number's
form, the plan, the agent, the trunk, capacity, credits), records the call `queued` and starts it.
The phone side of a call: its models loaded before it dials, the trunk's INVITE, RTP audio, and
the BYE whichever side sends it."""

from __future__ import annotations

import uuid
from typing import Any

from apexlocal.accounts import credits
from apexlocal.accounts.plans import require_feature
from apexlocal.accounts.users import User
from apexlocal.db import agents as agents_db
from apexlocal.db import calls as calls_db
from apexlocal.errors import NotFound, PaymentRequired, ServiceUnavailable
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent import billing
from apexlocal.products.voice_agent.runner import CallRunner, RunningCall, load_brain, registry
from apexlocal.products.voice_agent.schemas import CallStarted, OutboundCall
from apexlocal.telephony.config import TrunkConfig

FEATURE = "calls"
LINE_RATE = 8000


def owned_agent(services: Services, user: User, agent_id: str) -> dict[str, Any]:
    agent = agents_db.get_owned(services.db, agent_id, user.id)
    if agent is None:
        raise NotFound(f"agentId: no agent of yours has the id {agent_id!r}")
    return agent


def check_can_call(services: Services, user: User) -> None:
    """Capacity and the first minute's price: a call is refused before it starts, never cut at once."""
    if services.draining:
        raise ServiceUnavailable("Server is shutting down; retry in a few seconds")
    if len(registry(services).calls) >= services.settings.max_concurrent_calls:
        raise ServiceUnavailable(
            f"{services.settings.max_concurrent_calls} calls are running (the max_concurrent_calls setting); "
            "retry when one ends"
        )
    cost, balance = billing.minute_cost(services), credits.balance(services.db, user.id)
    if balance < cost:
        raise PaymentRequired(f"Insufficient credits: a call minute costs {cost}, the balance is {balance}")


def start_outbound(services: Services, user: User, data: OutboundCall) -> CallStarted:
    require_feature(services.settings.plans, user, FEATURE, "Voice agent calls")
    agent = owned_agent(services, user, data.agent_id)
    config = TrunkConfig.from_settings(services.settings)
    check_can_call(services, user)
    call_id = str(uuid.uuid4())
    calls_db.insert(services.db, call_id, user.id, agent["id"], "sip", data.phone_number)
    runner = CallRunner(services, RunningCall(call_id, user.id), agent)
    runner.start(lambda r: phone(r, config, data.phone_number))
    return CallStarted(call_id, "queued")


def _trunk(services: Services, config: TrunkConfig) -> Any:
    from apexlocal.telephony.sip import SipTrunk

    reg = registry(services)
    with reg.lock:
        if reg.trunk is None:
            trunk = SipTrunk(config)
            trunk.start()
            reg.trunk = trunk
        return reg.trunk


def start_trunk(services: Services) -> None:
    """At startup, with a registrar and username set: register now, and keep the registration alive."""
    settings = services.settings
    if settings.sip_registrar_uri and settings.sip_username:
        _trunk(services, TrunkConfig.from_settings(settings))


def phone(runner: CallRunner, config: TrunkConfig, number: str) -> None:
    from apexlocal.telephony.audio import CallAudio
    from apexlocal.telephony.rtp import RtpLine, free_rtp_port
    from apexlocal.telephony.sip import CallRefused

    services, call_id = runner.services, runner.running.call_id
    brain = load_brain(services, runner.agent, runner.context())
    if runner.running.stop_reason:  # hung up while its models loaded: never dialled
        runner.finish("canceled", error=None, ended_by=runner.running.stop_reason, duration=None)
        return
    trunk = _trunk(services, config)
    port = free_rtp_port(trunk.local_ip, *config.rtp_ports)
    try:
        dialled = trunk.dial(
            number,
            port,
            lambda: calls_db.set_status(services.db, call_id, "ringing"),
            lambda: runner.running.stop_reason is not None,
        )
    except CallRefused as refused:
        if refused.status == "canceled":  # hung up while ringing: the INVITE was CANCELled
            runner.finish("canceled", error=None, ended_by=runner.running.stop_reason, duration=None)
        else:
            runner.finish(refused.status, error=refused.reason, ended_by=None, duration=None)
        return
    if runner.running.stop_reason:
        trunk.hangup(dialled)
        runner.finish("canceled", error=None, ended_by=runner.running.stop_reason, duration=0.0)
        return
    audio = CallAudio(LINE_RATE)
    line = RtpLine(trunk, dialled, audio, runner.press)
    line.start()
    try:
        ended_by = runner.converse(audio, brain, dialled.hung_up_by_peer.is_set)
    finally:
        audio.closed.set()
        if not dialled.hung_up_by_peer.is_set():
            trunk.hangup(dialled)
        line.close()
    runner.finish("completed", error=None, ended_by=ended_by, duration=audio.clock(), audio=audio)
