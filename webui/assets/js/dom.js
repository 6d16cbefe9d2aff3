// Building elements without innerHTML: text always goes in as text, so nothing a server or a user
// wrote can turn into markup, and no inline style or script is ever created.

export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (!svg && (name === 'value' || (name in el && typeof value !== 'string'))) {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

let counter = 0;
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

const numberFormat = new Intl.NumberFormat();
export const fmtNumber = (n) => (n === null || n === undefined ? '—' : numberFormat.format(n));

export function fmtBytes(bytes) {
  if (!bytes) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

export function fmtDate(iso, withTime = true) {
  if (!iso) return '—';
  const date = new Date(iso);
  const opts = withTime
    ? { dateStyle: 'medium', timeStyle: 'short' }
    : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(undefined, opts).format(date);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
export function fmtAgo(iso) {
  if (!iso) return '';
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [Infinity, 'year']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

export function titleCase(text) {
  return String(text).replace(/[-_]/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

// "sampleAudioUrl" -> "Sample audio URL"
export function labelFor(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return (words.charAt(0).toUpperCase() + words.slice(1)).replace(/\burl\b/g, 'URL').replace(/\bid\b/g, 'ID');
}

export function field(label, control, { help, id } = {}) {
  const controlId = id || control.id || uid('f');
  control.id = controlId;
  const error = h('p', { class: 'field-error', id: `${controlId}-error`, 'aria-live': 'polite' });
  const described = [help ? `${controlId}-help` : null, error.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: 'field', dataset: { field: control.name || '' } },
    h('label', { for: controlId }, label),
    control,
    help ? h('p', { class: 'help', id: `${controlId}-help` }, help) : null,
    error);
}

export function pageHead(title, subtitle, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', {}, h('h1', {}, title), subtitle ? h('p', {}, subtitle) : null),
    actions.length ? h('div', { class: 'row' }, actions) : null);
}
