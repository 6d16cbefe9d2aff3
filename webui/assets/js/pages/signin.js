// Sign in with an API key. A login link (from `apexlocal users login-link EMAIL`) signs the
// browser in on its own and lands on the dashboard, so it needs nothing here.

import { field, h } from '../dom.js';
import { navigate } from '../router.js';
import { signInWithKey } from '../session.js';
import { renderShell } from '../ui/shell.js';

const NOTICES = {
  link: 'That login link is not valid any more: links work once and for 15 minutes. Ask for a new one.',
  expired: 'Your session has ended. Sign in again.',
};

function showError(input, error, message) {
  input.setAttribute('aria-invalid', 'true');
  error.textContent = message;
  input.focus();
}

async function submit(form, input, error, button) {
  error.textContent = '';
  input.removeAttribute('aria-invalid');
  if (!input.value.trim()) return showError(input, error, 'apiKey: is required');
  button.disabled = true;
  try {
    await signInWithKey(input.value.trim());
    renderShell();
    await navigate('/dashboard', { replace: true });
  } catch (err) {
    button.disabled = false;
    showError(input, error, err.status === 401 ? 'That API key is not valid (revoked, expired or mistyped).' : err.message);
  }
  return null;
}

export function render(main, { query }) {
  const input = h('input', {
    type: 'password', name: 'apiKey', autocomplete: 'off', spellcheck: false, placeholder: 'sk_live_…', required: true,
  });
  const keyField = field('API key', input, { help: 'Any active key of your account.' });
  const error = keyField.querySelector('.field-error');
  const button = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Sign in');
  const form = h('form', { novalidate: true, 'aria-labelledby': 'signin-title' }, keyField,
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(form, input, error, button);
  });
  const notice = NOTICES[query.get('error')];
  main.append(h('div', { class: 'signin-wrap' }, h('section', { class: 'card signin-card' },
    h('div', { class: 'row' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 40, height: 40 }),
      h('h1', { id: 'signin-title' }, 'Sign in to the studio')),
    notice ? h('p', { class: 'alert warn', role: 'alert' }, notice) : null,
    form,
    h('p', { class: 'muted small' }, 'No key at hand? On the server, run ',
      h('code', {}, 'apexlocal users login-link you@example.com'),
      ' and open the link it prints: it signs you in directly.'))));
  input.focus();
  return null;
}
