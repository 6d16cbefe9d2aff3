// Admins: every user, with their plan (changeable), credits (grantable) and a one-time login link
// to hand to someone new; and a form to create a user.

import { get, idempotencyKey, patch, post } from '../api.js';
import { field, fmtDate, fmtNumber, h, pageHead, replace } from '../dom.js';
import { secretBox } from '../ui/copy.js';
import { toast } from '../ui/toast.js';

const planSelect = (plans, current, attrs = {}) => h('select', { name: 'plan', ...attrs },
  plans.map((p) => h('option', { value: p.name, selected: p.name === current }, p.name)));

function fieldError(wrapper, control, error) {
  const target = wrapper.querySelector('.field-error');
  target.textContent = error ? error.message : '';
  if (error) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

function createForm(plans, onCreated) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'off', placeholder: 'name@example.com' });
  const plan = planSelect(plans, 'free');
  const credits = h('input', { type: 'number', name: 'credits', min: 0, step: 1, value: '0', inputmode: 'numeric' });
  const admin = h('input', { type: 'checkbox', name: 'isAdmin', id: 'new-user-admin' });
  const fields = { email: field('Email', email), plan: field('Plan', plan), credits: field('Starting credits', credits) };
  const adminField = h('div', { class: 'field check' }, admin, h('label', { for: 'new-user-admin' }, 'Admin'));
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create user');
  const form = h('form', { novalidate: true, id: 'create-user' }, h('div', { class: 'fields-2' }, Object.values(fields)),
    adminField, h('div', { class: 'form-actions' }, button));
  const controls = { email, plan, credits };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Object.entries(fields).forEach(([name, wrapper]) => fieldError(wrapper, controls[name], null));
    button.disabled = true;
    try {
      const body = { email: email.value.trim(), plan: plan.value, credits: Number(credits.value || 0), isAdmin: admin.checked };
      const payload = await post('/api/admin/users', body, { headers: { 'Idempotency-Key': idempotencyKey() } });
      toast(`Created ${payload.data.email}.`);
      form.reset();
      onCreated();
    } catch (error) {
      const name = error.field && fields[error.field] ? error.field : 'email';
      fieldError(fields[name], controls[name], error);
      controls[name].focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function grantForm(user, onDone) {
  const amount = h('input', { type: 'number', name: 'amount', step: 1, inputmode: 'numeric', placeholder: '1000',
    'aria-label': `Credits to grant to ${user.email}` });
  const button = h('button', { type: 'submit', class: 'btn btn-small' }, 'Grant');
  const form = h('form', { novalidate: true, class: 'row grant-form', dataset: { grantFor: user.email } }, amount, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const payload = await post(`/api/admin/users/${encodeURIComponent(user.id)}/credits`, { amount: Number(amount.value) },
        { headers: { 'Idempotency-Key': idempotencyKey() } });
      toast(`${user.email} now has ${fmtNumber(payload.data.credits)} credits.`);
      onDone();
    } catch (error) {
      toast(error.message, 'error');
      button.disabled = false;
    }
  });
  return form;
}

async function showLink(user, target) {
  try {
    const payload = await post(`/api/admin/users/${encodeURIComponent(user.id)}/login-link`);
    const box = secretBox(payload.data.url, { label: `Login link for ${user.email}` });
    replace(target, h('p', { class: 'small' }, `One-time link for ${user.email}, valid ${payload.data.expiresInSeconds / 60} minutes:`), box.element);
    box.input.focus();
  } catch (error) {
    toast(error.message, 'error');
  }
}

function userRow(user, plans, refresh, linkTarget) {
  const plan = planSelect(plans, user.plan, { 'aria-label': `Plan of ${user.email}` });
  plan.addEventListener('change', async () => {
    try {
      await patch(`/api/admin/users/${encodeURIComponent(user.id)}`, { plan: plan.value });
      toast(`${user.email} is now on ${plan.value}.`);
    } catch (error) {
      plan.value = user.plan;
      toast(error.message, 'error');
    }
  });
  const link = h('button', { type: 'button', class: 'btn btn-small' }, 'Login link');
  link.addEventListener('click', () => showLink(user, linkTarget));
  return h('tr', { dataset: { userId: user.id, email: user.email } },
    h('td', { 'data-label': 'User' }, h('strong', {}, user.email), user.isAdmin ? [' ', h('span', { class: 'badge accent' }, 'admin')] : null),
    h('td', { 'data-label': 'Plan' }, plan),
    h('td', { 'data-label': 'Credits', class: 'num', dataset: { role: 'credits' } }, fmtNumber(user.credits)),
    h('td', { 'data-label': 'Grant' }, grantForm(user, refresh)),
    h('td', { 'data-label': 'Since' }, fmtDate(user.createdAt, false)),
    h('td', { class: 'actions' }, link));
}

export async function render(main) {
  const plans = (await get('/api/admin/plans')).data;
  const linkTarget = h('div', { id: 'login-link', 'aria-live': 'polite' });
  const list = h('section', { class: 'card', 'aria-labelledby': 'users-title' });
  const refresh = async () => {
    const users = (await get('/api/admin/users')).data;
    replace(list, h('h2', { id: 'users-title' }, `Users (${users.length})`), linkTarget,
      h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', id: 'users-table' },
        h('thead', {}, h('tr', {}, ['User', 'Plan', 'Credits', 'Grant credits', 'Since', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, users.map((u) => userRow(u, plans, refresh, linkTarget))))));
  };
  main.append(pageHead('Users', 'Accounts on this server: plans, credits and a way in.'),
    h('section', { class: 'card', 'aria-labelledby': 'new-user-title' }, h('h2', { id: 'new-user-title' }, 'New user'),
      createForm(plans, refresh)), list);
  await refresh();
  return null;
}
