// An instant ad's card shows every variation: its creative (the PNG) and its video ad (the MP4),
// side by side, with the copy the writer wrote for it (headline, body, call to action, angle).

import { h } from '../dom.js';

function media(out, label) {
  if (!out) return null;
  if (out.type.startsWith('video/')) {
    return h('video', { src: out.url, controls: true, preload: 'metadata', playsInline: true, 'aria-label': `${label}, video` });
  }
  return h('img', { src: out.url, alt: `${label}, image`, loading: 'lazy', decoding: 'async' });
}

export function adGrid(job) {
  if (job.status !== 'completed' || job.type !== 'instant-ad') return null;
  const variations = job.metadata?.variations || [];
  const outputs = job.outputs || [];
  return h('section', { class: 'shot-grid ad-grid', 'aria-label': 'Ad variations' },
    variations.map((copy, i) => {
      const label = `Variation ${i + 1}`;
      const mine = outputs.filter((o) => o.variation === i + 1);
      return h('figure', { class: 'shot', dataset: { variation: String(i + 1) } },
        mine.map((out) => media(out, label)),
        h('figcaption', {}, h('strong', {}, copy.headline), h('br'), copy.body, h('br'),
          h('span', { class: 'badge' }, copy.callToAction), ' ', h('span', { class: 'muted small' }, copy.angle)));
    }));
}
