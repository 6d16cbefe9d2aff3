// Brand profiles: your saved brands (colours, font, logo, tone, tagline, banned words), created and
// changed with a form built from the API description (POST /api/brand-profiles), edited in place
// (PATCH) and deleted. The instant-ad form picks one of them by its id (brandProfileId).

import { del, get, idempotencyKey, patch, post } from '../api.js';
import { fmtDate, h, pageHead, replace } from '../dom.js';
import { fieldSchema, hasRoute, openapi, resolve } from '../openapi.js';
import { confirmAction } from '../ui/confirm.js';
import { schemaForm } from '../ui/schemaform.js';
import { toast } from '../ui/toast.js';

const PATH = '/api/brand-profiles';
const CLEARABLE = ['logoUrl', 'tone', 'tagline'];
const LISTS = ['colors', 'bannedWords'];

// Colours are set through the CSSOM: the page's Content-Security-Policy refuses style attributes.
export function swatch(color) {
  const el = h('span', { class: 'brand-swatch', title: color });
  el.style.backgroundColor = color;
  return el;
}

function swatches(colors) {
  return h('span', { class: 'brand-swatches' }, colors.map(swatch));
}

function profileCard(profile, { onEdit, onDeleted }) {
  const edit = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'edit' }, 'Edit');
  const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-action': 'delete' }, 'Delete');
  edit.addEventListener('click', () => onEdit(profile));
  remove.addEventListener('click', async () => {
    if (!await confirmAction(`Delete the brand profile “${profile.name}”?`, { ok: 'Delete' })) return;
    try {
      await del(`${PATH}/${encodeURIComponent(profile.id)}`);
      toast(`Deleted “${profile.name}”.`);
      onDeleted();
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return h('li', { class: 'card', dataset: { profileId: profile.id } },
    h('div', { class: 'row spread' }, h('strong', {}, profile.name), swatches(profile.colors)),
    profile.logoUrl ? h('img', { class: 'brand-logo', src: profile.logoUrl, alt: `Logo of ${profile.name}` }) : null,
    h('p', { class: 'muted small' }, [profile.font, profile.tone, profile.tagline ? `“${profile.tagline}”` : null].filter(Boolean).join(' · ')),
    profile.bannedWords.length ? h('p', { class: 'small' }, 'Never says: ', profile.bannedWords.join(', ')) : null,
    h('p', { class: 'muted small' }, `Updated ${fmtDate(profile.updatedAt)}`),
    h('div', { class: 'row end' }, h('code', { class: 'small muted grow' }, profile.id), edit, remove));
}

function fill(form, profile) {
  for (const control of form.elements) {
    if (!control.name || !(control.name in profile)) continue;
    const value = profile[control.name];
    control.value = Array.isArray(value) ? value.join('\n') : (value ?? '');
  }
}

// What a PATCH sends: every field of the form, cleared ones as null (or an empty list).
function changes(built, form) {
  const body = built.values();
  CLEARABLE.forEach((name) => { if (form.elements[name] && !(name in body)) body[name] = null; });
  LISTS.forEach((name) => { if (form.elements[name] && !(name in body)) body[name] = []; });
  return body;
}

function editor(doc, onSaved) {
  const schema = resolve(doc, doc.paths[PATH].post.requestBody.content['application/json'].schema);
  // The logo is an uploaded image: saying so puts an upload beside its field (ui/pickers.js).
  const logo = { ...fieldSchema(doc, schema.properties.logoUrl), contentMediaType: 'image/*' };
  const fields = { ...schema, properties: { ...schema.properties, logoUrl: logo } };
  const built = schemaForm(doc, fields, { submitLabel: 'Create brand profile', id: 'form-brand-profile' });
  const title = h('h2', { id: 'brand-form-title' }, 'New brand profile');
  const cancel = h('button', { type: 'button', class: 'btn', hidden: true }, 'Cancel editing');
  let editing = null;
  const reset = () => {
    editing = null;
    built.form.reset();
    title.textContent = 'New brand profile';
    built.button.textContent = 'Create brand profile';
    cancel.hidden = true;
  };
  cancel.addEventListener('click', reset);
  built.form.querySelector('.form-actions').append(cancel);
  built.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    built.clearErrors();
    built.button.disabled = true;
    try {
      if (editing) {
        await patch(`${PATH}/${encodeURIComponent(editing.id)}`, changes(built, built.form));
        toast(`Saved “${editing.name}”.`);
      } else {
        const payload = await post(PATH, built.values(), { headers: { 'Idempotency-Key': idempotencyKey() } });
        toast(`Created “${payload.data.name}”.`);
      }
      reset();
      onSaved();
    } catch (error) {
      built.showError(error.message, error.field);
    } finally {
      built.button.disabled = false;
    }
  });
  const edit = (profile) => {
    editing = profile;
    fill(built.form, profile);
    title.textContent = `Edit “${profile.name}”`;
    built.button.textContent = 'Save changes';
    cancel.hidden = false;
    built.form.scrollIntoView({ block: 'start' });
  };
  return { section: h('section', { class: 'card', 'aria-labelledby': 'brand-form-title' }, title, built.form), edit };
}

async function list(target, onEdit) {
  const payload = await get(PATH);
  const refresh = () => list(target, onEdit);
  replace(target, h('section', { class: 'card', 'aria-labelledby': 'brands-title' },
    h('h2', { id: 'brands-title' }, 'Your brand profiles'),
    payload.data.length
      ? h('ul', { class: 'voice-cards', id: 'brand-profiles' }, payload.data.map((p) => profileCard(p, { onEdit, onDeleted: refresh })))
      : h('p', { class: 'muted' }, 'No brand profile yet. An instant ad uses one by its id (brandProfileId).')));
}

export async function render(main) {
  const doc = await openapi();
  main.append(pageHead('Brand profiles', 'Colours, font, logo and voice of your brands, for instant ads.'));
  if (!hasRoute(doc, PATH, 'post')) {
    main.append(h('section', { class: 'card empty' }, h('p', {}, 'This server does not offer brand profiles.')));
    return null;
  }
  const target = h('div', { class: 'stack', id: 'brands' });
  const form = editor(doc, () => list(target, form.edit));
  main.append(h('div', { class: 'grid dashboard-panels' }, target, h('div', {}, form.section)));
  await list(target, form.edit);
  target.dataset.loaded = 'true';
  return null;
}
