"""/api/voice-agent/agents: create, list, read, change and delete voice agents."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import errors
from apexlocal.products.voice_agent import agents
from apexlocal.products.voice_agent.schemas import (
    AgentCreate,
    AgentDeleted,
    AgentDeletedOut,
    AgentList,
    AgentOut,
    AgentUpdate,
)

TAGS = ["voice-agent"]


@post(
    "/voice-agent/agents",
    status_code=201,
    summary="Create Agent",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(400),
    description="Create a new voice agent with system prompt, greeting, and voice configuration. Free; calls "
    "made with it are charged per minute. ttsModel, llmModel and voiceId must resolve on this server (400 naming "
    "the field and listing the accepted values).",
)
def create_agent(request: Request[Any, Any, Any], data: JSONBody[AgentCreate]) -> AgentOut:
    return AgentOut(agents.create(request.app.state.services, current_user(request), data))


@get(
    "/voice-agent/agents",
    summary="List Agents",
    tags=TAGS,
    sync_to_thread=True,
    description="Your agents, newest first.",
)
def list_agents(request: Request[Any, Any, Any]) -> AgentList:
    return AgentList(agents.listed(request.app.state.services, current_user(request)))


@get(
    "/voice-agent/agents/{agent_id:str}",
    summary="Get Agent",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
    description="One of your agents; another user's agent is 404.",
)
def get_agent(request: Request[Any, Any, Any], agent_id: FromPath[str]) -> AgentOut:
    return AgentOut(agents.one(request.app.state.services, current_user(request), agent_id))


@patch(
    "/voice-agent/agents/{agent_id:str}",
    summary="Update Agent",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(400, 404),
    description="Changes the fields sent (voiceId and endCallPhrase may be null), checked as the agent will be "
    "(400). Calls already running keep the agent as it was when they started.",
)
def update_agent(request: Request[Any, Any, Any], agent_id: FromPath[str], data: JSONBody[AgentUpdate]) -> AgentOut:
    return AgentOut(agents.update(request.app.state.services, current_user(request), agent_id, data))


@delete(
    "/voice-agent/agents/{agent_id:str}",
    status_code=200,
    summary="Delete Agent",
    tags=TAGS,
    sync_to_thread=True,
    responses=errors(404),
    description="Deletes the agent; its calls stay listed.",
)
def delete_agent(request: Request[Any, Any, Any], agent_id: FromPath[str]) -> AgentDeletedOut:
    agents.delete(request.app.state.services, current_user(request), agent_id)
    return AgentDeletedOut(AgentDeleted(agent_id, True))


routes = [create_agent, list_agents, get_agent, update_agent, delete_agent]
