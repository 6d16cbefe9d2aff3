// An auto-clip job shows its clips as a gallery, best score first: each clip plays with its
// captions track, under its rank, score, title and place in the source, with the reasons for its
// score. A job that made no clip says why (its metadata's message).

import { h } from '../dom.js';

const isVideo = (out) => (out.type || '').startsWith('video/');
const isSubtitles = (out) => (out.type || '').startsWith('text/vtt');

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

function clipTile(out, vtt, info) {
  const score = typeof info.score === 'number' ? info.score.toFixed(1) : '?';
  return h('figure', { class: 'shot clip', dataset: { rank: String(info.rank ?? '') } },
    h('video', { src: out.url, controls: true, preload: 'metadata', playsInline: true, 'aria-label': `Clip ${info.rank}: ${info.title || ''}` },
      vtt ? h('track', { kind: 'captions', src: vtt.url, label: 'Captions' }) : null),
    h('figcaption', {},
      h('strong', {}, `#${info.rank} · ${score}/10`), ' ', info.title || '',
      h('br'),
      h('span', { class: 'muted small' }, `${clock(info.start)} to ${clock(info.end)} of the source`),
      info.reasons?.length ? h('ul', { class: 'small' }, info.reasons.map((r) => h('li', {}, r))) : null));
}

export function clipGrid(job) {
  if (job.status !== 'completed' || job.type !== 'clip') return null;
  const clips = job.metadata?.clips || [];
  if (!clips.length) {
    return h('p', { class: 'muted small', dataset: { role: 'no-clips' } }, job.metadata?.message || 'No clips were made.');
  }
  const videos = (job.outputs || []).filter(isVideo);
  const captions = (job.outputs || []).filter(isSubtitles);
  return h('section', { class: 'shot-grid clip-grid', 'aria-label': 'Clips, best score first' },
    videos.map((out, i) => {
      const info = clips.find((c) => c.rank === out.rank) || clips[i] || {};
      const vtt = captions.find((c) => c.rank === info.rank);
      return clipTile(out, vtt, info);
    }));
}
