// Credits, plan, billing cycle, usage by type, and credits spent per day.

import { get } from '../api.js';
import { fmtDate, fmtNumber, h, labelFor, pageHead } from '../dom.js';
import { session } from '../session.js';
import { creditsChart } from '../ui/chart.js';

function stat(label, value, note, { text = false, id } = {}) {
  return h('section', { class: 'card stat', 'aria-labelledby': `${id}-label` },
    h('div', { class: 'label', id: `${id}-label` }, label),
    h('div', { class: ['value', text ? 'text' : null], id }, value),
    note ? h('div', { class: 'muted small' }, note) : null);
}

function cycleNote(usage) {
  const end = new Date(usage.cycleEnd);
  const days = Math.max(0, Math.ceil((end.getTime() - Date.now()) / 86400000));
  return `${fmtDate(usage.cycleStart, false)} – ${fmtDate(usage.cycleEnd, false)} · ${days} day${days === 1 ? '' : 's'} left`;
}

function cycleProgress(usage) {
  const start = new Date(usage.cycleStart).getTime();
  const end = new Date(usage.cycleEnd).getTime();
  const elapsed = Math.min(1, Math.max(0, (Date.now() - start) / (end - start)));
  return h('progress', { max: 1, value: elapsed, 'aria-label': 'Billing cycle elapsed' });
}

function usageList(used) {
  const entries = Object.entries(used).sort((a, b) => b[1] - a[1]);
  const nonZero = entries.filter(([, n]) => n > 0);
  if (!nonZero.length) return h('p', { class: 'muted' }, 'Nothing generated in this billing cycle yet.');
  return h('ul', { class: 'usage-list', id: 'usage-by-type' }, nonZero.map(([type, n]) =>
    h('li', {}, h('span', {}, labelFor(type)), h('strong', {}, fmtNumber(n)))));
}

export async function render(main) {
  const [usage, daily] = await Promise.all([get('/api/usage'), get('/api/usage/daily')]);
  const u = usage.data;
  main.append(
    pageHead('Dashboard', `Signed in as ${session.me.user.email}`,
      h('a', { class: 'btn btn-primary', href: '/generate' }, 'Generate')),
    h('div', { class: 'grid grid-stats' },
      stat('Credits', fmtNumber(u.credits), 'available now', { id: 'stat-credits' }),
      stat('Plan', u.plan, session.me.user.isAdmin ? 'admin account' : null, { text: true, id: 'stat-plan' }),
      stat('Used this cycle', fmtNumber(u.creditsUsed ?? 0), 'credits', { id: 'stat-used' }),
      h('section', { class: 'card stat', 'aria-labelledby': 'cycle-label' },
        h('div', { class: 'label', id: 'cycle-label' }, 'Billing cycle'),
        h('div', { class: 'small', id: 'stat-cycle' }, cycleNote(u)), cycleProgress(u))),
    h('div', { class: 'grid dashboard-panels' },
      h('section', { class: 'card', 'aria-labelledby': 'chart-title' },
        h('h2', { id: 'chart-title' }, 'Credits spent per day'), creditsChart(daily.data)),
      h('section', { class: 'card', 'aria-labelledby': 'usage-title' },
        h('h2', { id: 'usage-title' }, 'Usage by type this cycle'), usageList(u.used))));
  return null;
}
