// One job: a preview that plays (image, audio with its waveform, video), status, stage and
// progress, download, cancel or delete, and on demand its parameters and metadata.

import { del, get } from '../api.js';
import { fmtAgo, fmtBytes, fmtNumber, h, replace, titleCase } from '../dom.js';
import { confirmAction } from './confirm.js';
import { isTerminal } from './jobwatch.js';
import { adGrid } from './adgrid.js';
import { clipGrid } from './clipgrid.js';
import { shotGrid } from './shotgrid.js';
import { toast } from './toast.js';
import { waveform } from './waveform.js';

function mediaOf(job) {
  const type = job.outputType || job.outputs?.[0]?.type || '';
  return type.split('/')[0];
}

const isSubtitles = (out) => (out.type || '').startsWith('text/vtt');

function preview(job) {
  const kind = mediaOf(job);
  const alt = `${titleCase(job.type)} output${job.metadata?.model ? ` (${job.metadata.model})` : ''}`;
  if (job.status === 'completed' && job.outputUrl) {
    if (kind === 'image') return h('img', { src: job.outputUrl, alt, loading: 'lazy', decoding: 'async' });
    if (kind === 'video') {
      const subtitles = (job.outputs || []).find(isSubtitles);
      const language = job.metadata?.outputLanguage;
      return h('video', { src: job.outputUrl, controls: true, preload: 'metadata', playsInline: true, 'aria-label': alt },
        subtitles ? h('track', { kind: 'subtitles', src: subtitles.url, srclang: language || null, label: language || 'Subtitles', default: true }) : null);
    }
    if (kind === 'audio') {
      const audio = h('audio', { src: job.outputUrl, controls: true, preload: 'metadata', 'aria-label': alt });
      return [waveform(job.outputUrl, audio), audio];
    }
  }
  const label = job.status === 'processing' ? (job.stage || 'processing') : job.status;
  const note = job.status === 'queued' && job.queuePosition ? `position ${job.queuePosition} in the queue` : '';
  return h('div', { class: 'placeholder' }, h('div', { class: 'big' }, label), note);
}

function stageText(job) {
  if (job.status === 'processing') {
    const pct = typeof job.progress === 'number' ? ` · ${Math.round(job.progress * 100)}%` : '';
    return `${titleCase(job.stage || 'processing')}${pct}`;
  }
  if (job.status === 'queued') return job.queuePosition ? `Queued · position ${job.queuePosition}` : 'Queued';
  if (job.status === 'completed') return `Done ${fmtAgo(job.completedAt)}`;
  if (job.status === 'failed') return `Failed ${fmtAgo(job.failedAt)}`;
  return `Canceled ${fmtAgo(job.canceledAt)}`;
}

function progressBar(job) {
  if (isTerminal(job.status)) return null;
  const attrs = { max: 1, 'aria-label': `Progress of the ${job.type} job` };
  if (job.status === 'processing' && typeof job.progress === 'number') attrs.value = job.progress;
  return h('progress', attrs);
}

function metaLine(job) {
  const parts = [`created ${fmtAgo(job.createdAt)}`];
  if (job.model) parts.push(job.model);
  if (job.creditsCharged) parts.push(`${fmtNumber(job.creditsCharged)} credits`);
  if (job.creditsRefunded) parts.push(`${fmtNumber(job.creditsRefunded)} refunded`);
  return parts.join(' · ');
}

async function loadParams(job, target) {
  try {
    const payload = await get(`/api/jobs/${encodeURIComponent(job.jobId)}/params`);
    replace(target, h('pre', {}, JSON.stringify(payload.data.params, null, 2)));
  } catch (error) {
    replace(target, h('p', { class: 'muted small' }, `Parameters unavailable: ${error.message}`));
  }
}

// A job whose metadata holds a written script (a commercial) shows it: each part's voice-over,
// its on-screen text and where its picture came from.
function scriptView(job) {
  const script = job.metadata?.script;
  if (!script?.hook) return null;
  const clips = job.metadata.sceneClips || [];
  const parts = [['Hook', script.hook], ...(script.scenes || []).map((s, i) => [`Scene ${i + 1}`, s]),
    ['Call to action', script.callToAction]];
  return h('details', { class: 'job-script', open: true }, h('summary', {}, 'Script'),
    h('ol', {}, parts.map(([label, part], i) => h('li', {},
      h('strong', {}, label), ` ${part.voiceover} `,
      part.onScreenText ? h('em', { class: 'muted' }, `“${part.onScreenText}”`) : null,
      clips[i]?.source ? h('span', { class: 'badge' }, clips[i].source) : null))));
}

function details(card) {
  const params = h('div', {}, h('p', { class: 'muted small' }, 'Loading…'));
  const metadata = h('div', { class: 'job-metadata' });
  const box = h('details', { class: 'job-details' }, h('summary', {}, 'Parameters and metadata'),
    h('h4', {}, 'Parameters'), params, h('h4', {}, 'Metadata'), metadata);
  box.addEventListener('toggle', () => {
    if (box.open && !box.dataset.loaded) {
      box.dataset.loaded = 'true';
      loadParams(card.job, params);
    }
  });
  return { box, metadata };
}

function actions(card) {
  const { job } = card;
  const buttons = [];
  if (job.status === 'completed') {
    // Subtitles (a translated video's WebVTT) are a link of their own beside the media's downloads.
    const media = job.outputs.filter((out) => !isSubtitles(out));
    media.forEach((out, i) => buttons.push(h('a', {
      class: 'btn btn-small', href: out.url, download: '', 'data-action': 'download',
    }, media.length > 1 ? `Download ${i + 1}` : `Download (${fmtBytes(out.size)})`)));
    job.outputs.filter(isSubtitles).forEach((out) => buttons.push(h('a', {
      class: 'btn btn-small', href: out.url, download: '', 'data-action': 'subtitles', type: 'text/vtt',
    }, 'Subtitles (WebVTT)')));
  }
  const active = !isTerminal(job.status);
  const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-action': active ? 'cancel' : 'delete' },
    active ? 'Cancel' : 'Delete');
  remove.addEventListener('click', () => (active ? cancel(card, remove) : destroy(card, remove)));
  buttons.push(remove);
  return buttons;
}

async function cancel(card, button) {
  button.disabled = true;
  try {
    const payload = await del(`/api/jobs/${encodeURIComponent(card.job.jobId)}`);
    card.update(payload.data);
    toast('Job canceled; its credits were refunded.');
  } catch (error) {
    button.disabled = false;
    toast(`Cancel failed: ${error.message}`, 'error');
  }
}

async function destroy(card, button) {
  if (!await confirmAction('Delete this job and its files? This cannot be undone.', { ok: 'Delete' })) return;
  button.disabled = true;
  try {
    await del(`/api/jobs/${encodeURIComponent(card.job.jobId)}`);
    card.element.remove();
    card.onRemoved?.();
    toast('Job deleted.');
  } catch (error) {
    button.disabled = false;
    toast(`Delete failed: ${error.message}`, 'error');
  }
}

export function jobCard(job, { onRemoved } = {}) {
  const parts = {
    preview: h('div', { class: 'job-preview' }),
    status: h('span', { class: 'badge', 'data-role': 'status' }),
    stage: h('p', { class: 'job-stage', 'aria-live': 'polite' }),
    progress: h('div', { class: 'job-progress' }),
    meta: h('p', { class: 'job-meta' }),
    error: h('p', { class: 'job-error', role: 'alert' }),
    actions: h('div', { class: 'job-actions' }),
    shots: h('div', { class: 'job-shots-slot' }),
    script: h('div', { class: 'job-script-slot' }),
  };
  const card = { job, onRemoved, previewKey: null };
  const info = details(card);
  card.element = h('article', { class: 'card job-card', dataset: { jobId: job.jobId }, 'aria-label': `${titleCase(job.type)} job` },
    parts.preview,
    h('div', { class: 'job-body' },
      h('header', {}, h('h3', {}, titleCase(job.type)), parts.status),
      parts.stage, parts.progress, parts.meta, parts.error, parts.actions, parts.shots, parts.script, info.box));
  card.update = (next) => {
    card.job = next;
    card.element.dataset.status = next.status;
    parts.status.textContent = next.status;
    parts.status.className = `badge ${next.status}`;
    parts.stage.textContent = stageText(next);
    replace(parts.progress, progressBar(next));
    parts.meta.textContent = metaLine(next);
    parts.error.textContent = next.error || '';
    // The preview is rebuilt only when what it shows changes, so a playing video keeps playing.
    const key = `${next.status}|${next.stage}|${next.queuePosition}|${next.outputs?.length}`;
    if (key !== card.previewKey) {
      card.previewKey = key;
      replace(parts.preview, preview(next));
      parts.preview.className = `job-preview ${mediaOf(next) === 'audio' && next.status === 'completed' ? 'audio' : ''}`;
      replace(parts.actions, actions(card));
      replace(parts.shots, shotGrid(next) || adGrid(next) || clipGrid(next));
    }
    replace(parts.script, scriptView(next));
    replace(info.metadata, next.metadata ? h('pre', {}, JSON.stringify(next.metadata, null, 2)) : h('p', { class: 'muted small' }, 'None yet.'));
  };
  card.update(job);
  return card;
}
