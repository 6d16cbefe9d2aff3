// The gallery: newest first, filtered by type and status, each running job updated live.

import { get } from '../api.js';
import { field, h, pageHead, titleCase } from '../dom.js';
import { generateEndpoints, openapi } from '../openapi.js';
import { setQuery } from '../router.js';
import { jobCard } from '../ui/jobcard.js';
import { isTerminal, watchJob } from '../ui/jobwatch.js';

const STATUSES = ['queued', 'processing', 'completed', 'failed', 'canceled'];
const PAGE_SIZE = 24;

function select(name, label, allLabel, values, current) {
  const control = h('select', { name },
    h('option', { value: '' }, allLabel),
    values.map((v) => h('option', { value: v, selected: v === current }, titleCase(v))));
  return field(label, control, { id: `filter-${name}` });
}

function emptyState(filtered) {
  return h('div', { class: 'card empty', id: 'jobs-empty' },
    h('h2', {}, filtered ? 'No job matches these filters' : 'No jobs yet'),
    h('p', {}, filtered ? 'Try other filters.' : 'Generate something and it appears here.'),
    filtered ? null : h('a', { class: 'btn btn-primary', href: '/generate' }, 'Generate'));
}

export async function render(main, { query }) {
  const doc = await openapi().catch(() => ({ paths: {} }));
  const types = generateEndpoints(doc).map((e) => e.name);
  const state = { type: query.get('type') || '', status: query.get('status') || '', cursor: null, stops: [] };
  const gallery = h('div', { class: 'grid grid-gallery', id: 'gallery' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    select('type', 'Type', 'All types', types, state.type),
    select('status', 'Status', 'All statuses', STATUSES, state.status));

  function stopAll() {
    state.stops.forEach((stop) => stop());
    state.stops = [];
  }

  function add(job) {
    const card = jobCard(job, { onRemoved: () => { if (!gallery.children.length) gallery.replaceWith(emptyState(false)); } });
    gallery.append(card.element);
    if (!isTerminal(job.status)) state.stops.push(watchJob(job.jobId, (next) => card.update(next), () => card.element.remove()));
  }

  async function load(reset) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.type) params.set('type', state.type);
    if (state.status) params.set('status', state.status);
    if (!reset && state.cursor) params.set('cursor', state.cursor);
    more.disabled = true;
    const payload = await get(`/api/jobs?${params}`);
    if (reset) {
      stopAll();
      gallery.replaceChildren();
      main.querySelector('#jobs-empty')?.replaceWith(gallery);
    }
    payload.data.forEach(add);
    state.cursor = payload.nextCursor;
    more.hidden = !state.cursor;
    more.disabled = false;
    if (reset && !payload.data.length) gallery.replaceWith(emptyState(Boolean(state.type || state.status)));
  }

  filters.addEventListener('change', (event) => {
    state[event.target.name] = event.target.value;
    const params = new URLSearchParams();
    if (state.type) params.set('type', state.type);
    if (state.status) params.set('status', state.status);
    setQuery(params);
    load(true);
  });
  filters.addEventListener('submit', (event) => event.preventDefault());
  more.addEventListener('click', () => load(false));

  main.append(pageHead('Jobs', 'Everything you generated, newest first.'),
    h('section', { class: 'card' }, filters), gallery, h('div', { class: 'gallery-more' }, more));
  await load(true);
  return stopAll;
}
