// API keys: create (the key is shown this once, with a copy button), revoke, rotate.

import { del, get, idempotencyKey, post } from '../api.js';
import { field, fmtAgo, fmtDate, h, pageHead, replace } from '../dom.js';
import { canUseKeys, session } from '../session.js';
import { confirmAction } from '../ui/confirm.js';
import { secretBox } from '../ui/copy.js';
import { toast } from '../ui/toast.js';

function revealPanel(target, created, note) {
  const box = secretBox(created.key, { label: `New API key ${created.name}`, id: 'new-key-value' });
  const dismiss = h('button', { type: 'button', class: 'btn' }, 'Done, I saved it');
  const panel = h('section', { class: 'card reveal-once', id: 'new-key', 'aria-labelledby': 'new-key-title' },
    h('h2', { id: 'new-key-title' }, `Your new key “${created.name}”`),
    h('p', {}, 'Copy it now: it is shown this once and cannot be read again.'),
    box.element,
    note ? h('p', { class: 'muted small' }, note) : null,
    h('div', { class: 'form-actions' }, dismiss));
  dismiss.addEventListener('click', () => panel.remove());
  replace(target, panel);
  box.input.focus();
}

function keyRow(key, handlers) {
  const active = key.status === 'active';
  const rotate = h('button', { type: 'button', class: 'btn btn-small', disabled: !active }, 'Rotate');
  const revoke = h('button', { type: 'button', class: 'btn btn-small btn-danger', disabled: key.status === 'revoked' || key.status === 'expired' }, 'Revoke');
  rotate.addEventListener('click', () => handlers.rotate(key));
  revoke.addEventListener('click', () => handlers.revoke(key));
  return h('tr', { dataset: { keyId: key.id, status: key.status } },
    h('td', { 'data-label': 'Name' }, h('strong', {}, key.name)),
    h('td', { 'data-label': 'Key' }, h('code', {}, key.display)),
    h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${key.status}` }, key.status),
      key.expiresAt && key.status === 'rotating' ? h('div', { class: 'muted small' }, `until ${fmtDate(key.expiresAt)}`) : null),
    h('td', { 'data-label': 'Created' }, fmtDate(key.createdAt, false)),
    h('td', { 'data-label': 'Last used' }, key.lastUsedAt ? fmtAgo(key.lastUsedAt) : 'never'),
    h('td', { class: 'actions row end' }, rotate, revoke));
}

function keyTable(keys, handlers) {
  if (!keys.length) return h('p', { class: 'muted' }, 'No keys yet.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', id: 'keys-table' },
    h('thead', {}, h('tr', {}, ['Name', 'Key', 'Status', 'Created', 'Last used', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, keys.map((k) => keyRow(k, handlers)))));
}

function createForm(onCreate) {
  const input = h('input', { type: 'text', name: 'name', maxLength: 100, placeholder: 'e.g. my laptop', autocomplete: 'off' });
  const nameField = field('Key name', input, { help: 'A name to recognise the key by, 1–100 characters.' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create key');
  const form = h('form', { novalidate: true, id: 'create-key' }, nameField, h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = nameField.querySelector('.field-error');
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    button.disabled = true;
    try {
      await onCreate(input.value.trim());
      input.value = '';
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = err.message;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function render(main) {
  main.append(pageHead('API keys', 'Keys authenticate scripts and apps against this server’s API.'));
  if (!canUseKeys()) {
    main.append(h('div', { class: 'card empty' }, h('h2', {}, 'Not on your plan'),
      h('p', {}, `API key management is not part of the ${session.me.user.plan} plan. An admin can change your plan.`)));
    return null;
  }
  const reveal = h('div', { id: 'key-reveal' });
  const list = h('section', { class: 'card', 'aria-labelledby': 'keys-title' });
  const refresh = async () => {
    const payload = await get('/api/keys');
    replace(list, h('h2', { id: 'keys-title' }, 'Your keys'), keyTable(payload.data, handlers));
  };
  const handlers = {
    async rotate(key) {
      if (!await confirmAction(`Rotate “${key.name}”? The old key keeps working for a grace period, then stops.`, { ok: 'Rotate' })) return;
      const payload = await post(`/api/keys/${encodeURIComponent(key.id)}/rotate`, undefined, { headers: { 'Idempotency-Key': idempotencyKey() } });
      revealPanel(reveal, payload.data, `The old key works until ${fmtDate(payload.data.previousKeyExpiresAt)}.`);
      await refresh();
    },
    async revoke(key) {
      if (!await confirmAction(`Revoke “${key.name}”? Anything using it stops working at once.`, { ok: 'Revoke' })) return;
      await del(`/api/keys/${encodeURIComponent(key.id)}`);
      toast(`Revoked “${key.name}”.`);
      await refresh();
    },
  };
  const guarded = (fn) => async (key) => { try { await fn(key); } catch (error) { toast(error.message, 'error'); } };
  handlers.rotate = guarded(handlers.rotate);
  handlers.revoke = guarded(handlers.revoke);
  const create = async (name) => {
    const payload = await post('/api/keys', { name }, { headers: { 'Idempotency-Key': idempotencyKey() } });
    revealPanel(reveal, payload.data);
    await refresh();
  };
  main.append(reveal, h('section', { class: 'card', 'aria-labelledby': 'create-key-title' },
    h('h2', { id: 'create-key-title' }, 'Create a key'), createForm(create)), list);
  await refresh();
  return null;
}
