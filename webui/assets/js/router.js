// A small history-API router. Every page is an ES module loaded on first visit; it renders into
// <main> and may return a cleanup function (closing its event streams) for when it is left.

import { clear, h } from './dom.js';
import { session } from './session.js';

export const PAGES = {
  dashboard: { title: 'Dashboard', load: () => import('./pages/dashboard.js') },
  generate: { title: 'Generate', load: () => import('./pages/generate.js') },
  jobs: { title: 'Jobs', load: () => import('./pages/jobs.js') },
  keys: { title: 'API keys', load: () => import('./pages/keys.js') },
  settings: { title: 'Settings', load: () => import('./pages/settings.js') },
  voices: { title: 'Voices', load: () => import('./pages/voices.js') },
  agents: { title: 'Agents', load: () => import('./pages/agents.js') },
  brands: { title: 'Brands', load: () => import('./pages/brands.js') },
  models: { title: 'Models', load: () => import('./pages/models.js') },
  users: { title: 'Users', load: () => import('./pages/users.js'), admin: true },
  signin: { title: 'Sign in', load: () => import('./pages/signin.js'), public: true },
};

const listeners = new Set();
let cleanup = null;
let renderCount = 0;

export const onRoute = (listener) => listeners.add(listener);

function pageName(pathname) {
  const name = pathname.replace(/^\/+|\/+$/g, '').split('/')[0];
  if (!session.me) return 'signin';
  if (!name || name === 'signin') return 'dashboard';
  return PAGES[name] ? name : 'dashboard';
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return render();
}

// Query changes that should not add history entries (filters) use this.
export function setQuery(params) {
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
}

async function runCleanup() {
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (error) { console.warn('page cleanup failed', error); }
  }
  cleanup = null;
}

export async function render() {
  const name = pageName(location.pathname);
  const wanted = `/${name}`;
  if (location.pathname !== wanted) history.replaceState(null, '', wanted + location.search);
  const page = PAGES[name];
  const main = document.getElementById('main');
  const count = ++renderCount;
  await runCleanup();
  document.title = `${page.title} · apexlocal studio`;
  listeners.forEach((listener) => listener(name));
  clear(main).append(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    const module = await page.load();
    if (count !== renderCount) return;
    clear(main);
    const ctx = { query: new URLSearchParams(location.search), navigate };
    cleanup = (page.admin && !session.me?.permissions?.admin)
      ? adminsOnly(main)
      : await module.render(main, ctx);
  } catch (error) {
    if (count !== renderCount) return;
    clear(main).append(h('div', { class: 'alert error', role: 'alert' }, `This page could not be shown: ${error.message}`));
  }
  if (renderCount > 1) main.focus();
}

function adminsOnly(main) {
  main.append(h('div', { class: 'card empty' }, h('h1', {}, 'Admins only'),
    h('p', {}, 'Managing users needs an admin account.')));
  return null;
}

export function interceptLinks() {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (link.target || link.hasAttribute('download') || link.dataset.external !== undefined) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !PAGES[url.pathname.slice(1).split('/')[0]]) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => render());
}
