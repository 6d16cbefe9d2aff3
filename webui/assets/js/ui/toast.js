// Short status messages, announced politely to screen readers through the live region.

import { h } from '../dom.js';

export function toast(message, kind = 'info', ms = 4000) {
  const region = document.getElementById('toasts');
  const item = h('div', { class: ['toast', kind === 'error' ? 'error' : null] }, message);
  region.append(item);
  setTimeout(() => item.remove(), ms);
}
