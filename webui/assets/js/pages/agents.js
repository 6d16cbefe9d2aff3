// Voice agents: create one (the form is built from POST /api/voice-agent/agents), list and delete
// them, try one with a test call over this browser's microphone and speaker (the same
// conversation as a phone call, the same credits per minute) with its live transcript, and the
// calls made lately with their recordings.

import { del, get, post } from '../api.js';
import { fmtDate, h, pageHead, replace } from '../dom.js';
import { endpoint, openapi } from '../openapi.js';
import { newCallContext, openCallAudio } from '../ui/callaudio.js';
import { confirmAction } from '../ui/confirm.js';
import { schemaForm } from '../ui/schemaform.js';
import { toast } from '../ui/toast.js';

const AGENTS = '/api/voice-agent/agents';
const CALLS = '/api/voice-agent/calls';

function transcriptList(entries) {
  return entries.map((e) => h('li', { class: ['transcript-line', e.role], dataset: { role: e.role } },
    h('span', { class: 'muted small' }, `${e.start.toFixed(1)} s `),
    h('strong', {}, e.role === 'agent' ? 'Agent: ' : 'You: '), e.text,
    e.interrupted ? h('span', { class: 'muted small' }, ' (interrupted)') : null));
}

function testCallPanel(agent, onEnded) {
  const status = h('p', { class: 'muted', id: 'call-status', role: 'status' }, 'Connecting…');
  const lines = h('ol', { class: 'transcript', id: 'call-transcript', 'aria-live': 'polite' });
  const hangup = h('button', { type: 'button', class: 'btn btn-danger', id: 'call-hangup' }, 'Hang up');
  const panel = h('section', { class: 'card', id: 'test-call', 'aria-labelledby': 'test-call-title' },
    h('h2', { id: 'test-call-title' }, `Test call: ${agent.name}`), status, lines, h('div', { class: 'row end' }, hangup));
  const context = newCallContext();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}${AGENTS}/${encodeURIComponent(agent.id)}/test-call`);
  socket.binaryType = 'arraybuffer';
  let audio = null;
  const finish = () => {
    if (audio) audio.close(); else if (context.state !== 'closed') context.close();
    audio = null;
    hangup.disabled = true;
  };
  hangup.addEventListener('click', () => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'hangup' }));
    status.textContent = 'Hanging up…';
  });
  const openMicrophone = async () => {
    try {
      let sent = 0;
      audio = await openCallAudio(socket, context, (samples) => { sent += samples; panel.dataset.micSamples = String(sent); });
    } catch (error) {
      status.textContent = `No microphone: ${error.message}`;
      socket.close();
    }
  };
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') { audio?.play(event.data); return; }
    const message = JSON.parse(event.data);
    if (message.type === 'call') {
      panel.dataset.callId = message.callId;
      status.textContent = 'Connecting: loading the agent…';
    } else if (message.type === 'live') {
      status.textContent = 'Connected: speak after the greeting. Each started minute is charged.';
      openMicrophone();
    } else if (message.type === 'transcript') {
      replace(lines, transcriptList(message.entries));
    } else if (message.type === 'clear') {
      audio?.clear();
    } else if (message.type === 'error') {
      status.textContent = message.error;
      panel.dataset.state = 'error';
      finish();
    } else if (message.type === 'ended') {
      const call = message.call;
      replace(lines, transcriptList(call.transcript));
      status.textContent = `Call ${call.status} (${call.endedBy || 'ended'}): ${(call.durationSeconds || 0).toFixed(1)} s, ${call.creditsCharged} credits.`;
      panel.dataset.state = 'ended';
      finish();
      onEnded();
    }
  });
  socket.addEventListener('close', finish);
  return panel;
}

function agentCard(agent, { onCall, onDeleted }) {
  const call = h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'test-call' } }, 'Test call');
  const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Delete');
  call.addEventListener('click', () => onCall(agent));
  remove.addEventListener('click', async () => {
    if (!await confirmAction(`Delete the agent “${agent.name}”? Its calls stay listed.`, { ok: 'Delete' })) return;
    try {
      await del(`${AGENTS}/${encodeURIComponent(agent.id)}`);
      onDeleted();
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return h('li', { class: 'card', dataset: { agentId: agent.id } },
    h('div', { class: 'row spread' }, h('strong', {}, agent.name), h('span', { class: 'badge' }, agent.language)),
    h('p', {}, `“${agent.greeting}”`),
    h('p', { class: 'muted small' }, `${agent.ttsModel} · ${agent.llmModel} · up to ${agent.maxCallSeconds} s`
      + (agent.endCallPhrase ? ` · ends on “${agent.endCallPhrase}”` : '')),
    h('div', { class: 'row end' }, remove, call));
}

function callsTable(calls) {
  if (!calls.length) return h('p', { class: 'muted' }, 'No calls yet.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', id: 'calls' },
    h('thead', {}, h('tr', {}, ['When', 'To', 'Status', 'Length', 'Credits', 'Recording'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, calls.map((c) => h('tr', { dataset: { callId: c.id } },
      h('td', { 'data-label': 'When' }, fmtDate(c.createdAt)),
      h('td', { 'data-label': 'To' }, c.phoneNumber || 'test call'),
      h('td', { 'data-label': 'Status' }, h('span', { class: ['badge', c.status] }, c.status)),
      h('td', { 'data-label': 'Length' }, c.durationSeconds ? `${c.durationSeconds.toFixed(1)} s` : '—'),
      h('td', { 'data-label': 'Credits' }, String(c.creditsCharged)),
      h('td', { 'data-label': 'Recording' }, c.recordingUrl
        ? h('audio', { src: c.recordingUrl, controls: true, preload: 'none', 'aria-label': 'Call recording' }) : '—'))))));
}

export async function render(main) {
  const doc = await openapi();
  const list = h('ul', { class: 'voice-cards', id: 'agents' });
  const callArea = h('div', { id: 'call-area' });
  const recent = h('section', { class: 'card', 'aria-labelledby': 'calls-title' }, h('h2', { id: 'calls-title' }, 'Recent calls'));
  const refreshCalls = async () => {
    const payload = await get(`${CALLS}?limit=10`);
    replace(recent, h('h2', { id: 'calls-title' }, 'Recent calls'), callsTable(payload.data));
  };
  const refresh = async () => {
    const payload = await get(AGENTS);
    replace(list, payload.data.length
      ? payload.data.map((a) => agentCard(a, { onCall: (agent) => replace(callArea, testCallPanel(agent, refreshCalls)), onDeleted: refresh }))
      : h('li', { class: 'muted' }, 'No agents yet: create one.'));
    list.dataset.loaded = 'true';
  };
  const op = doc.paths?.[AGENTS]?.post;
  const built = schemaForm(doc, endpoint(doc, AGENTS, op).schema, { submitLabel: 'Create agent', id: 'form-agent' });
  built.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    built.clearErrors();
    built.button.disabled = true;
    try {
      const payload = await post(AGENTS, built.values());
      toast(`Created “${payload.data.name}”.`);
      built.form.reset();
      await refresh();
    } catch (error) {
      built.showError(error.message, error.field);
    } finally {
      built.button.disabled = false;
    }
  });
  main.append(pageHead('Voice agents', 'Agents that answer phone calls through your SIP trunk. Try one here with a test call.'),
    h('div', { class: 'grid dashboard-panels' },
      h('div', { class: 'stack' }, callArea, h('section', { class: 'card', 'aria-labelledby': 'agents-title' },
        h('h2', { id: 'agents-title' }, 'Your agents'), list), recent),
      h('section', { class: 'card', 'aria-labelledby': 'new-agent-title' }, h('h2', { id: 'new-agent-title' }, 'New agent'), built.form)));
  await Promise.all([refresh(), refreshCalls()]);
  return null;
}
