// A job with several pictures (a product photoshoot) shows them as a grid, the product photo it
// started from first ("Before") and each shot after it with its seed and what it shows: the
// photo's own product pixels, or a new view the editing model rendered (`newView`).

import { get } from '../api.js';
import { h, replace } from '../dom.js';

const isImage = (out) => (out.type || '').startsWith('image/');

function caption(out, i) {
  const facts = [`Shot ${i + 1}`];
  if (out.seed !== undefined) facts.push(`seed ${out.seed}`);
  if (out.newView) facts.push('new view, rendered by the model');
  return facts.join(' · ');
}

function tile(src, label, alt, extra = {}) {
  return h('figure', { class: 'shot', ...extra },
    h('img', { src, alt, loading: 'lazy', decoding: 'async' }),
    h('figcaption', {}, label));
}

async function loadBefore(job, slot) {
  try {
    const payload = await get(`/api/jobs/${encodeURIComponent(job.jobId)}/params`);
    const source = payload.data.params?.productImage;
    if (source) replace(slot, [...tile(source, 'Before', 'The product photo').childNodes]);
    else slot.remove();
  } catch {
    slot.remove(); // the photo's URL is not readable here: the shots stand alone
  }
}

export function shotGrid(job) {
  const shots = (job.outputs || []).filter(isImage);
  if (job.status !== 'completed' || job.type !== 'photoshoot' || !shots.length) return null;
  const before = h('figure', { class: 'shot before', dataset: { role: 'before' } }, h('p', { class: 'muted small' }, 'Before…'));
  loadBefore(job, before);
  return h('section', { class: 'shot-grid', 'aria-label': 'Photoshoot results, before and after' },
    before,
    shots.map((out, i) => tile(out.url, `After · ${caption(out, i)}`, `Shot ${i + 1} of the product`, {
      dataset: { role: 'after', newView: out.newView ? 'true' : 'false' },
    })));
}
