// Entry point: find out who is signed in, draw the frame, start the router.

import { onUnauthorized } from './api.js';
import { h } from './dom.js';
import { interceptLinks, navigate, render } from './router.js';
import { loadMe, session } from './session.js';
import { renderShell } from './ui/shell.js';

async function boot() {
  try {
    await loadMe();
  } catch (error) {
    document.getElementById('main').replaceChildren(
      h('div', { class: 'alert error', role: 'alert' }, `The server could not be reached: ${error.message}`));
    return;
  }
  onUnauthorized(() => {
    if (!session.me) return;
    session.me = null;
    renderShell();
    navigate('/signin?error=expired', { replace: true });
  });
  renderShell();
  interceptLinks();
  await render();
}

boot();
