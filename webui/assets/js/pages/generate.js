// One form per generation endpoint, built from the OpenAPI document, with pickers for the fields
// this server can fill in (ui/pickers.js). A submitted job appears below the form and updates live
// until its output is there.

import { ApiError, idempotencyKey, post } from '../api.js';
import { h, pageHead, titleCase } from '../dom.js';
import { generateEndpoints, openapi } from '../openapi.js';
import { jobCard } from '../ui/jobcard.js';
import { watchJob } from '../ui/jobwatch.js';
import { loadPickers } from '../ui/pickers.js';
import { schemaForm } from '../ui/schemaform.js';
import { toast } from '../ui/toast.js';

function endpointNav(endpoints, current) {
  return h('nav', { 'aria-label': 'Generation endpoints' }, h('ul', { class: 'endpoint-list' },
    endpoints.map((e) => h('li', {}, h('a', {
      href: `/generate?type=${encodeURIComponent(e.name)}`, 'aria-current': e.name === current.name ? 'page' : null,
    }, titleCase(e.name))))));
}

function showResult(results, payload, stops) {
  const data = payload.data || payload;
  if (!data.jobId) {
    // Not a job (voice-clone answers with the new voice): show what came back.
    results.prepend(h('div', { class: 'alert ok', role: 'status' }, payload.message || 'Done.',
      h('pre', {}, JSON.stringify(data, null, 2))));
    return;
  }
  const card = jobCard({ ...data, type: data.type || results.dataset.type, outputs: [], createdAt: new Date().toISOString() });
  results.prepend(card.element);
  stops.push(watchJob(data.jobId, (job) => card.update(job), () => card.element.remove()));
}

async function submit(endpoint, built, results, stops) {
  built.clearErrors();
  let body;
  try {
    body = built.values();
  } catch (error) {
    built.showError(error.message, error.field);
    return;
  }
  built.button.disabled = true;
  try {
    const payload = await post(endpoint.path, body, { headers: { 'Idempotency-Key': idempotencyKey() } });
    showResult(results, payload, stops);
    toast(`${titleCase(endpoint.name)} job queued.`);
  } catch (error) {
    if (error instanceof ApiError && error.field) built.showError(error.message, error.field);
    else built.showError(error.message);
  } finally {
    built.button.disabled = false;
  }
}

async function formFor(doc, endpoint, results, stops) {
  const built = schemaForm(doc, endpoint.schema, {
    submitLabel: `Generate ${endpoint.name.replace(/-/g, ' ')}`,
    // The endpoint's name is the task its models serve: /api/generate/image -> image.
    pickers: await loadPickers(doc, endpoint.schema, { task: endpoint.name }),
    id: `form-${endpoint.name}`,
  });
  built.form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(endpoint, built, results, stops);
  });
  return built.form;
}

export async function render(main, { query }) {
  const doc = await openapi();
  const endpoints = generateEndpoints(doc);
  if (!endpoints.length) {
    main.append(pageHead('Generate'), h('div', { class: 'card empty' }, 'This server offers no generation endpoint.'));
    return null;
  }
  const current = endpoints.find((e) => e.name === query.get('type')) || endpoints[0];
  const stops = [];
  const results = h('div', { class: 'grid grid-gallery', id: 'generate-results', dataset: { type: current.name } });
  const form = await formFor(doc, current, results, stops);
  main.append(
    pageHead('Generate', 'Every generation endpoint of this server, from its API description.'),
    h('div', { class: 'generate-layout' },
      endpointNav(endpoints, current),
      h('div', { class: 'stack' },
        h('section', { class: 'card', 'aria-labelledby': 'endpoint-title' },
          h('h2', { id: 'endpoint-title' }, current.title),
          current.description ? h('p', { class: 'muted' }, current.description) : null,
          h('p', { class: 'muted small' }, h('code', {}, `POST ${current.path}`)),
          form),
        results)));
  return () => stops.forEach((stop) => stop());
}
