// The frame around every page: brand, main navigation (a menu button on phones), who is signed in,
// and the sign-out button.

import { h, replace } from '../dom.js';
import { navigate, onRoute, PAGES } from '../router.js';
import { isAdmin, session, signOut } from '../session.js';
import { toast } from './toast.js';

const NAV = ['dashboard', 'generate', 'jobs', 'keys', 'settings', 'voices', 'brands', 'agents', 'models', 'users'];
let current = null;

function navList() {
  const items = NAV.filter((name) => !PAGES[name].admin || isAdmin());
  return h('ul', {}, items.map((name) => h('li', {},
    h('a', { href: `/${name}`, 'aria-current': name === current ? 'page' : null }, PAGES[name].title))));
}

function setMenu(topbar, open) {
  topbar.classList.toggle('menu-open', open);
  topbar.querySelector('.site-nav').classList.toggle('open', open);
  topbar.querySelector('.menu-toggle').setAttribute('aria-expanded', String(open));
}

async function onSignOut(button) {
  button.disabled = true;
  try {
    await signOut();
    renderShell();
    await navigate('/signin', { replace: true });
    toast('Signed out.');
  } catch (error) {
    button.disabled = false;
    toast(`Sign-out failed: ${error.message}`, 'error');
  }
}

export function renderShell() {
  const topbar = document.getElementById('topbar');
  if (!session.me) {
    topbar.hidden = true;
    replace(topbar);
    return;
  }
  const signOutButton = h('button', { class: 'btn btn-small', type: 'button', id: 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', () => onSignOut(signOutButton));
  const toggle = h('button', {
    class: 'btn btn-small menu-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'site-nav',
  }, 'Menu');
  toggle.addEventListener('click', () => setMenu(topbar, !topbar.classList.contains('menu-open')));
  replace(topbar,
    h('a', { class: 'brand', href: '/dashboard' },
      h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 }), 'apexlocal', h('span', {}, 'studio')),
    toggle,
    h('nav', { class: 'site-nav', id: 'site-nav', 'aria-label': 'Main' }, navList()),
    h('div', { class: 'account' },
      h('span', { class: 'who', title: session.me.user.email }, session.me.user.email),
      signOutButton));
  topbar.hidden = false;
}

onRoute((name) => {
  current = name;
  const topbar = document.getElementById('topbar');
  const nav = topbar.querySelector('.site-nav');
  if (!nav) return;
  replace(nav, navList());
  setMenu(topbar, false);
});
