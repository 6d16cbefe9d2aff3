// Webhooks: the URL jobs report to, the secret that signs deliveries (hidden until revealed;
// rotatable), and every delivery with its attempts, each one redeliverable.

import { get, patch, post } from '../api.js';
import { field, fmtAgo, fmtDate, h, pageHead, replace } from '../dom.js';
import { confirmAction } from '../ui/confirm.js';
import { copyText } from '../ui/copy.js';
import { toast } from '../ui/toast.js';

function urlForm(current, onSaved) {
  const input = h('input', { type: 'url', name: 'webhookUrl', value: current || '', placeholder: 'https://example.com/hooks/apexlocal', autocomplete: 'off', spellcheck: false });
  const wrapper = field('Webhook URL', input, { help: 'Receives job.completed and job.failed events, signed the Standard Webhooks way. Empty: no webhooks.' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const form = h('form', { novalidate: true, id: 'webhook-form' }, wrapper, h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = wrapper.querySelector('.field-error');
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    save.disabled = true;
    try {
      const payload = await patch('/api/settings', { webhookUrl: input.value.trim() || null });
      input.value = payload.data.webhookUrl || '';
      toast(payload.data.webhookUrl ? 'Webhook URL saved.' : 'Webhook URL cleared.');
      onSaved(payload.data.webhookUrl);
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = err.message;
      input.focus();
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function secretPanel(secret) {
  const input = h('input', { type: 'password', readOnly: true, value: secret, id: 'webhook-secret', spellcheck: false });
  const reveal = h('button', { type: 'button', class: 'btn', 'aria-pressed': 'false', 'aria-controls': 'webhook-secret' }, 'Reveal');
  const copy = h('button', { type: 'button', class: 'btn' }, 'Copy');
  const rotate = h('button', { type: 'button', class: 'btn btn-danger' }, 'Rotate secret');
  reveal.addEventListener('click', () => {
    const shown = input.type === 'text';
    input.type = shown ? 'password' : 'text';
    reveal.textContent = shown ? 'Reveal' : 'Hide';
    reveal.setAttribute('aria-pressed', String(!shown));
  });
  copy.addEventListener('click', () => copyText(input.value, input));
  rotate.addEventListener('click', async () => {
    if (!await confirmAction('Rotate the signing secret? Receivers must switch to the new one: the old one stops at once.', { ok: 'Rotate' })) return;
    try {
      const payload = await post('/api/settings/webhook-secret/rotate');
      input.value = payload.data.webhookSecret;
      toast('Webhook secret rotated.');
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return h('div', {},
    h('label', { for: 'webhook-secret' }, 'Signing secret'),
    h('div', { class: 'secret-box' }, input, reveal, copy),
    h('div', { class: 'form-actions' }, rotate));
}

function attemptsList(delivery) {
  if (!delivery.attempts.length) return h('p', { class: 'muted small' }, 'No attempt yet.');
  return h('ul', { class: 'small' }, delivery.attempts.map((a) => h('li', {},
    `#${a.attempt} ${fmtDate(a.startedAt)} — `,
    a.statusCode ? `HTTP ${a.statusCode}` : 'no answer',
    a.durationMs !== null ? ` in ${Math.round(a.durationMs)} ms` : '',
    a.error ? ` (${a.error})` : '')));
}

function deliveryRow(delivery, onRedeliver) {
  const button = h('button', { type: 'button', class: 'btn btn-small', disabled: delivery.status === 'pending' }, 'Redeliver');
  button.addEventListener('click', () => onRedeliver(delivery, button));
  return h('tr', { dataset: { deliveryId: delivery.id } },
    h('td', { 'data-label': 'When' }, fmtAgo(delivery.createdAt)),
    h('td', { 'data-label': 'Event' }, h('code', {}, delivery.event)),
    h('td', { 'data-label': 'Status' }, h('span', { class: `badge ${delivery.status}` }, delivery.status)),
    h('td', { 'data-label': 'Attempts' }, h('details', {}, h('summary', {}, `${delivery.attemptCount} of ${delivery.maxAttempts}`), attemptsList(delivery))),
    h('td', { 'data-label': 'Job' }, h('code', { class: 'small' }, delivery.jobId.slice(0, 8))),
    h('td', { class: 'actions' }, button));
}

const REFRESH_MS = 1500;

async function deliveriesSection(section, polls = 0) {
  const payload = await get('/api/webhooks/deliveries?limit=20');
  const redeliver = async (delivery, button) => {
    button.disabled = true;
    try {
      const result = await post(`/api/webhooks/deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
      button.closest('tr').replaceWith(deliveryRow(result.data, redeliver));
      toast(result.data.status === 'pending' ? 'Redelivery queued.' : `Redelivered: ${result.data.status}.`);
      // The attempt runs on the server's io queue: read the log again to show how it went.
      setTimeout(() => deliveriesSection(section, 5), REFRESH_MS);
    } catch (error) {
      button.disabled = false;
      toast(error.message, 'error');
    }
  };
  const body = payload.data.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', id: 'deliveries-table' },
      h('thead', {}, h('tr', {}, ['When', 'Event', 'Status', 'Attempts', 'Job', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, payload.data.map((d) => deliveryRow(d, redeliver)))))
    : h('p', { class: 'muted' }, 'No deliveries yet: they appear when a job ends while a webhook URL is set.');
  replace(section, h('h2', { id: 'deliveries-title' }, 'Deliveries'), body);
  if (polls > 0 && payload.data.some((d) => d.status === 'pending') && section.isConnected) {
    setTimeout(() => deliveriesSection(section, polls - 1), REFRESH_MS);
  }
}

export async function render(main) {
  const settings = (await get('/api/settings')).data;
  const deliveries = h('section', { class: 'card', 'aria-labelledby': 'deliveries-title' });
  main.append(pageHead('Settings', 'Webhooks tell your own systems when a job ends.'),
    h('div', { class: 'grid grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'webhook-title' },
        h('h2', { id: 'webhook-title' }, 'Webhook'), urlForm(settings.webhookUrl, () => {})),
      h('section', { class: 'card', 'aria-labelledby': 'secret-title' },
        h('h2', { id: 'secret-title' }, 'Signing secret'),
        h('p', { class: 'muted small' }, 'Verify the webhook-signature header with it (HMAC-SHA256 of id.timestamp.body).'),
        secretPanel(settings.webhookSecret))),
    deliveries);
  await deliveriesSection(deliveries);
  return null;
}
