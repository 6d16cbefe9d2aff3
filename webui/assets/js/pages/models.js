// The model catalogue: installed or not, size, memory, license; admins pull (with a live progress
// bar) and remove.

import { del, get, post } from '../api.js';
import { fmtBytes, h, pageHead, replace } from '../dom.js';
import { isAdmin } from '../session.js';
import { confirmAction } from '../ui/confirm.js';
import { toast } from '../ui/toast.js';

function pullStatus(model) {
  const pull = model.pull;
  if (!pull || !['queued', 'running'].includes(pull.status)) {
    return pull?.status === 'failed' ? h('p', { class: 'job-error', role: 'alert' }, `Pull failed: ${pull.error}`) : null;
  }
  const attrs = { max: 1, 'aria-label': `Pull progress of ${model.name}` };
  if (typeof pull.progress === 'number') attrs.value = pull.progress;
  const text = pull.status === 'queued' ? 'Waiting to start…'
    : pull.total ? `${fmtBytes(pull.downloaded)} of ${fmtBytes(pull.total)}${pull.file ? ` · ${pull.file}` : ''}`
      : 'Installing…';
  return h('div', { class: 'pull-progress' }, h('progress', attrs), h('p', { class: 'muted small', 'aria-live': 'polite' }, text));
}

function follow(model, onChange, streams) {
  const source = new EventSource(`/api/models/${encodeURIComponent(model.id)}/events`);
  streams.add(source);
  const stop = () => { source.close(); streams.delete(source); };
  source.addEventListener('pull', (event) => {
    const pull = JSON.parse(event.data);
    onChange({ ...model, pull, installed: pull.status === 'completed' || model.installed });
    if (!['queued', 'running'].includes(pull.status)) stop();
  });
  source.addEventListener('error', async () => {
    stop();
    try { onChange((await get(`/api/models/${encodeURIComponent(model.id)}`)).data); } catch { /* the list stays as it was */ }
  });
}

function adminActions(model, update, streams) {
  if (!isAdmin()) return null;
  const pulling = model.pull && ['queued', 'running'].includes(model.pull.status);
  if (model.installed && !pulling) {
    const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-action': 'remove' }, 'Remove');
    remove.addEventListener('click', async () => {
      if (!await confirmAction(`Remove ${model.name} from this server? Jobs pull it again when they need it.`, { ok: 'Remove' })) return;
      remove.disabled = true;
      try {
        const payload = await del(`/api/models/${encodeURIComponent(model.id)}`);
        toast(`Removed ${model.name}; freed ${fmtBytes(payload.data.freedBytes)}.`);
        update(payload.data);
      } catch (error) {
        remove.disabled = false;
        toast(error.message, 'error');
      }
    });
    return remove;
  }
  const pull = h('button', { type: 'button', class: 'btn btn-small btn-primary', disabled: pulling, 'data-action': 'pull' }, pulling ? 'Pulling…' : 'Pull');
  pull.addEventListener('click', async () => {
    pull.disabled = true;
    try {
      const payload = await post(`/api/models/${encodeURIComponent(model.id)}/pull`);
      update(payload.data);
      if (payload.data.pull && !payload.data.installed) follow(payload.data, update, streams);
    } catch (error) {
      pull.disabled = false;
      toast(error.message, 'error');
    }
  });
  return pull;
}

function modelCard(model, streams) {
  const card = h('article', { class: 'card model-card', dataset: { modelId: model.id } });
  const update = (next) => replace(card, ...cardContent(next, update, streams));
  update(model);
  if (model.pull && ['queued', 'running'].includes(model.pull.status)) follow(model, update, streams);
  return card;
}

function cardContent(model, update, streams) {
  return [
    h('header', {}, h('div', {}, h('h2', {}, model.name), h('code', { class: 'small muted' }, model.id)),
      h('span', { class: `badge ${model.installed ? 'installed' : ''}` }, model.installed ? 'installed' : 'not installed')),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Tasks'), h('dd', {}, model.tasks.join(', ')),
      h('dt', {}, 'Download'), h('dd', {}, `${model.sizeGb} GB`),
      h('dt', {}, 'Memory'), h('dd', {}, `${model.memoryGb} GB`),
      h('dt', {}, 'License'), h('dd', {}, model.license, model.commercialUse ? '' : ' (non-commercial)'),
      model.aliases.length ? [h('dt', {}, 'Stands in for'), h('dd', {}, model.aliases.join(', '))] : null),
    model.notes ? h('p', { class: 'muted small' }, model.notes) : null,
    pullStatus(model),
    h('div', { class: 'row end' }, adminActions(model, update, streams)),
  ];
}

export async function render(main) {
  const payload = await get('/api/models');
  const streams = new Set();
  main.append(pageHead('Models', isAdmin()
    ? 'The open models this server runs. Pull one ahead of time, or remove one to free disk space.'
    : 'The open models this server runs.'),
  h('div', { class: 'grid grid-gallery', id: 'models' }, payload.data.map((m) => modelCard(m, streams))));
  return () => streams.forEach((source) => source.close());
}
