// A bar chart of credits spent per day, drawn in SVG at the width it is shown at (so its text
// stays legible on a phone and on a wide screen), styled by classes so the strict style policy
// holds, with a data table beside it for screen readers.

import { fmtNumber, h, replace } from '../dom.js';

const H = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 48 };

function niceMax(value) {
  if (value <= 0) return 10;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value);
  return step * power;
}

const dayLabel = (iso) => new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
  .format(new Date(`${iso}T00:00:00Z`));

function gridLines(width, max, plotH) {
  return [0, 0.5, 1].map((fraction) => {
    const y = PAD.top + plotH - fraction * plotH;
    return [
      h('svg:line', { class: fraction ? 'grid-line' : 'axis', x1: PAD.left, x2: width - PAD.right, y1: y, y2: y }),
      h('svg:text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, fmtNumber(Math.round(max * fraction))),
    ];
  });
}

function bars(days, max, width, plotH) {
  const slot = (width - PAD.left - PAD.right) / days.length;
  const barW = Math.max(2, slot * 0.7);
  const every = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor(width / 70))));
  return days.map((day, i) => {
    const height = max ? (Math.max(0, day.credits) / max) * plotH : 0;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const fromEnd = days.length - 1 - i;
    // The newest day's label ends at its bar, so it is not cut off at the right edge.
    const last = fromEnd === 0;
    const label = fromEnd % every === 0
      ? h('svg:text', { x: last ? x + barW : x + barW / 2, y: H - 8, 'text-anchor': last ? 'end' : 'middle' }, dayLabel(day.date))
      : null;
    return [
      h('svg:rect', { class: 'bar', x, y: PAD.top + plotH - height, width: barW, height },
        h('svg:title', {}, `${dayLabel(day.date)}: ${fmtNumber(day.credits)} credits`)),
      label,
    ];
  });
}

function draw(box, days, summary) {
  const width = Math.max(240, Math.round(box.clientWidth || 600));
  if (Number(box.dataset.width) === width) return;
  box.dataset.width = String(width);
  const max = niceMax(Math.max(...days.map((d) => d.credits), 0));
  const plotH = H - PAD.top - PAD.bottom;
  replace(box, h('svg:svg', { class: 'chart', viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-label': summary },
    gridLines(width, max, plotH), bars(days, max, width, plotH)));
}

export function creditsChart(days) {
  const total = days.reduce((sum, d) => sum + Math.max(0, d.credits), 0);
  const summary = `Credits spent per day over the last ${days.length} days: ${fmtNumber(total)} in total.`;
  const box = h('div', { class: 'chart-box', id: 'credits-chart' });
  new ResizeObserver(() => requestAnimationFrame(() => draw(box, days, summary))).observe(box);
  // A table cannot be narrower than its content, so the wrapper is what gets hidden.
  const table = h('div', { class: 'sr-only' }, h('table', {},
    h('caption', {}, summary),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Credits'))),
    h('tbody', {}, days.map((d) => h('tr', {}, h('td', {}, d.date), h('td', {}, String(d.credits)))))));
  return h('figure', { class: 'chart-figure' }, box, table,
    h('figcaption', { class: 'muted small' }, `${fmtNumber(total)} credits in the last ${days.length} days (UTC).`));
}
