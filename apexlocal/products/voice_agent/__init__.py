"""Voice agents: agents that talk on phone calls over a SIP trunk, and in the studio's test call.
Calls are no huey jobs (`runner` says how they run beside the `gpu` queue)."""

from apexlocal.products.base import Product
from apexlocal.products.voice_agent import agent_routes, call_routes, test_call
from apexlocal.products.voice_agent.calls import reconcile
from apexlocal.products.voice_agent.outbound import start_trunk
from apexlocal.products.voice_agent.runner import stop_all

PRODUCT = Product(
    name="voice-agent",
    routes=[*agent_routes.routes, *call_routes.routes, *test_call.routes],
    on_startup=[reconcile, start_trunk],
    on_shutdown=[stop_all],
)
