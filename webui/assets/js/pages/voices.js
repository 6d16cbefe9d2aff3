// Voices: your cloned voices (with their sample, playable, and a waveform), the stock voices of the
// voice models (filterable), and cloning a new one from an upload. Each part appears when this
// server offers it (GET /api/voices, POST /api/generate/voice-clone); until then the page says so.

import { del, get, idempotencyKey, post } from '../api.js';
import { fmtDate, h, pageHead, replace } from '../dom.js';
import { endpoint, hasRoute, openapi } from '../openapi.js';
import { confirmAction } from '../ui/confirm.js';
import { schemaForm } from '../ui/schemaform.js';
import { toast } from '../ui/toast.js';
import { waveform } from '../ui/waveform.js';

const CLONE_PATH = '/api/generate/voice-clone';
const idOf = (voice) => voice.voiceId || voice.id;
const isCloned = (voice) => voice.type === 'cloned' || Boolean(voice.cloned ?? voice.isCloned);

function notAvailable(title, text) {
  return h('section', { class: 'card empty', 'data-state': 'unavailable' }, h('h2', {}, title), h('p', {}, text));
}

function clonedCard(voice, canDelete, onDeleted) {
  const audio = voice.sampleUrl ? h('audio', { src: voice.sampleUrl, controls: true, preload: 'none', 'aria-label': `Sample of ${voice.name}` }) : null;
  const remove = canDelete ? h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Delete') : null;
  remove?.addEventListener('click', async () => {
    if (!await confirmAction(`Delete the voice “${voice.name}” and its sample?`, { ok: 'Delete' })) return;
    try {
      await del(`/api/voices/${encodeURIComponent(idOf(voice))}`);
      toast(`Deleted “${voice.name}”.`);
      onDeleted();
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return h('li', { class: 'card', dataset: { voiceId: idOf(voice) } },
    h('div', { class: 'row spread' }, h('strong', {}, voice.name), voice.usable === false ? h('span', { class: 'badge failed' }, 'not usable') : null),
    h('p', { class: 'muted small' }, [voice.language, voice.durationSeconds ? `${voice.durationSeconds.toFixed(1)} s sample` : null,
      voice.createdAt ? fmtDate(voice.createdAt, false) : null].filter(Boolean).join(' · ')),
    audio ? [waveform(voice.sampleUrl, audio), audio] : null,
    voice.transcript ? h('details', { class: 'small' }, h('summary', {}, 'Transcript'), h('p', {}, voice.transcript)) : null,
    h('div', { class: 'row end' }, h('code', { class: 'small muted grow' }, idOf(voice)), remove));
}

function stockTable(voices) {
  const rows = voices.map((v) => h('tr', { dataset: { search: [idOf(v), v.name, v.language, v.gender, v.model].join(' ').toLowerCase() } },
    h('td', { 'data-label': 'Voice' }, h('strong', {}, v.name), v.name !== idOf(v) ? h('div', {}, h('code', { class: 'small' }, idOf(v))) : null),
    h('td', { 'data-label': 'Language' }, v.language || '—'),
    h('td', { 'data-label': 'Gender' }, v.gender || '—'),
    h('td', { 'data-label': 'Model' }, v.model || '—', v.installed === false ? [' ', h('span', { class: 'badge' }, 'not installed')] : null)));
  const filter = h('input', { type: 'search', 'aria-label': 'Filter stock voices', placeholder: 'Filter by name, language, model…', class: 'voice-filter' });
  const count = h('p', { class: 'muted small', 'aria-live': 'polite' }, `${rows.length} voices`);
  filter.addEventListener('input', () => {
    const wanted = filter.value.trim().toLowerCase();
    let shown = 0;
    rows.forEach((row) => { row.hidden = Boolean(wanted) && !row.dataset.search.includes(wanted); shown += row.hidden ? 0 : 1; });
    count.textContent = `${shown} of ${rows.length} voices`;
  });
  return [filter, count, h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', id: 'stock-voices' },
    h('thead', {}, h('tr', {}, ['Voice', 'Language', 'Gender', 'Model'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)))];
}

async function catalogue(doc, target) {
  if (!hasRoute(doc, '/api/voices')) {
    return replace(target, notAvailable('No voice catalogue on this server yet',
      'The voice list appears here once this server serves GET /api/voices. Voice generation, where offered, works from the Generate page.'));
  }
  try {
    const payload = await get('/api/voices');
    const voices = Array.isArray(payload.data) ? payload.data : (payload.data?.voices || []);
    const cloned = voices.filter(isCloned);
    const canDelete = hasRoute(doc, '/api/voices/{voice_id}', 'delete');
    const refresh = () => catalogue(doc, target);
    return replace(target,
      h('section', { class: 'card', 'aria-labelledby': 'cloned-title' }, h('h2', { id: 'cloned-title' }, 'Your cloned voices'),
        cloned.length ? h('ul', { class: 'voice-cards', id: 'cloned-voices' }, cloned.map((v) => clonedCard(v, canDelete, refresh)))
          : h('p', { class: 'muted' }, 'You have not cloned a voice yet.')),
      h('section', { class: 'card', 'aria-labelledby': 'stock-title' }, h('h2', { id: 'stock-title' }, 'Stock voices'),
        stockTable(voices.filter((v) => !isCloned(v)))));
  } catch (error) {
    if (error.status === 404) return replace(target, notAvailable('No voice catalogue on this server yet', 'This server does not list voices.'));
    if (error.status === 403) return replace(target, notAvailable('Voices are not on your plan', error.message));
    throw error;
  }
}

function cloneSection(doc, onCloned) {
  const op = doc.paths?.[CLONE_PATH]?.post;
  if (!op) {
    return notAvailable('Voice cloning is not offered here yet', 'A clone form appears here once this server offers POST /api/generate/voice-clone.');
  }
  const spec = endpoint(doc, CLONE_PATH, op);
  const built = schemaForm(doc, spec.schema, { submitLabel: 'Clone voice', id: 'form-voice-clone' });
  built.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    built.clearErrors();
    built.button.disabled = true;
    try {
      const payload = await post(CLONE_PATH, built.values(), { headers: { 'Idempotency-Key': idempotencyKey() } });
      toast(payload.message || 'Voice cloned.');
      built.form.reset();
      onCloned();
    } catch (error) {
      built.showError(error.message, error.field);
    } finally {
      built.button.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'clone-title' }, h('h2', { id: 'clone-title' }, 'Clone a voice'),
    h('p', { class: 'muted' }, spec.description || 'Upload a clear sample of the voice.'), built.form);
}

export async function render(main) {
  const doc = await openapi();
  const list = h('div', { class: 'stack', id: 'voices' });
  main.append(pageHead('Voices', 'Your cloned voices and the stock voices of this server.'),
    h('div', { class: 'grid dashboard-panels' }, list, h('div', {}, cloneSection(doc, () => catalogue(doc, list)))));
  await catalogue(doc, list);
  list.dataset.loaded = 'true';
  return null;
}
