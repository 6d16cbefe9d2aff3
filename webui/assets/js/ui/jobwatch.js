// Live job updates over Server-Sent Events (/api/jobs/{id}/events). The session cookie authenticates
// the stream, which EventSource cannot add headers to. A browser allows only a few connections per
// server over HTTP/1.1, so at most MAX_STREAMS run at once and the rest wait their turn.

import { get } from '../api.js';

const MAX_STREAMS = 4;
const TERMINAL = new Set(['completed', 'failed', 'canceled']);
const open = new Map();
const waiting = [];

export const isTerminal = (status) => TERMINAL.has(status);

function next() {
  while (open.size < MAX_STREAMS && waiting.length) {
    const item = waiting.shift();
    if (!item.stopped) start(item);
  }
}

function finish(item) {
  item.source?.close();
  open.delete(item);
  next();
}

async function recheck(item) {
  // The stream broke (network, server restart): read the job once, and resume if it still runs.
  finish(item);
  if (item.stopped) return;
  try {
    const payload = await get(`/api/jobs/${encodeURIComponent(item.jobId)}`);
    item.onUpdate(payload.data);
    if (!isTerminal(payload.data.status)) setTimeout(() => { if (!item.stopped) enqueue(item); }, 1500);
  } catch (error) {
    if (error.status === 404) item.onGone?.();
  }
}

function start(item) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(item.jobId)}/events`);
  item.source = source;
  open.set(item, source);
  source.addEventListener('job', (event) => {
    const job = JSON.parse(event.data);
    item.onUpdate(job);
    if (isTerminal(job.status)) {
      item.stopped = true;
      finish(item);
    }
  });
  source.addEventListener('error', () => {
    if (!item.stopped) recheck(item);
  });
}

function enqueue(item) {
  waiting.push(item);
  next();
}

// Follows a job until it ends; returns a function that stops following it.
export function watchJob(jobId, onUpdate, onGone) {
  const item = { jobId, onUpdate, onGone, stopped: false, source: null };
  enqueue(item);
  return () => {
    item.stopped = true;
    if (open.has(item)) finish(item);
  };
}
