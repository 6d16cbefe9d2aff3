// A form built from a request schema of the OpenAPI document: one control per property, the
// schema's bounds as help text, and the server's "field: rule" messages shown beside their field.
// The form does not validate on its own (novalidate): the server's rules are the ones that count.
// Fields that this server can fill in (a model, a voice, an uploaded file) get a picker by their
// name and format: see ui/pickers.js.

import { fieldSchema } from '../openapi.js';
import { field, h, labelFor } from '../dom.js';
import { mediaKind } from './dropzone.js';
import { pickerFor } from './pickers.js';

function helpText(schema) {
  const parts = [];
  if (schema.description) parts.push(schema.description);
  const lo = schema.minimum ?? schema.minLength;
  const hi = schema.maximum ?? schema.maxLength;
  if (schema.type === 'integer' || schema.type === 'number') {
    if (lo !== undefined && hi !== undefined) parts.push(`${lo}–${hi}`);
    else if (lo !== undefined) parts.push(`at least ${lo}`);
    else if (hi !== undefined) parts.push(`at most ${hi}`);
  } else if (hi !== undefined && schema.type === 'string') {
    parts.push(`up to ${hi.toLocaleString()} characters`);
  }
  const saysDefault = /\bdefault\b/i.test(schema.description || '');
  if (schema.default !== undefined && schema.default !== null && !saysDefault) parts.push(`default ${schema.default}`);
  return parts.join(' · ');
}

function selectControl(name, schema, required) {
  const options = schema.enum.map((v) => h('option', { value: String(v) }, String(v)));
  const blank = required ? null : h('option', { value: '' }, schema.default !== undefined ? `Default (${schema.default})` : 'Default');
  return h('select', { name }, blank, options);
}

function controlFor(name, schema, required) {
  if (schema.enum && schema.enum.length) return selectControl(name, schema, required);
  if (schema.type === 'boolean') return h('input', { type: 'checkbox', name, checked: Boolean(schema.default) });
  if (schema.type === 'integer' || schema.type === 'number') {
    return h('input', { type: 'number', name, inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
      step: schema.type === 'integer' ? 1 : 'any', min: schema.minimum, max: schema.maximum,
      placeholder: schema.default ?? '' });
  }
  const kind = mediaKind(name, schema);
  const long = schema.type === 'string' && !kind && (schema.maxLength || 0) > 300;
  if (schema.type === 'array' || schema.type === 'object' || long) {
    return h('textarea', { name, rows: schema.type === 'string' ? 4 : 3 });
  }
  return h('input', { type: kind || /url$/i.test(name) ? 'url' : 'text', name,
    placeholder: schema.default ?? '', spellcheck: kind ? false : null, autocomplete: 'off' });
}

function readValue(control, schema) {
  if (control.type === 'checkbox') {
    return control.checked === Boolean(schema.default) ? undefined : control.checked;
  }
  const raw = control.value.trim();
  if (raw === '') return undefined;
  if (schema.enum) return schema.enum.find((v) => String(v) === raw) ?? raw;
  if (schema.type === 'integer' || schema.type === 'number') return Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (schema.type === 'array') {
    if (schema.items?.type === 'object') return JSON.parse(raw);
    const items = raw.split('\n').map((l) => l.trim()).filter(Boolean);
    return schema.items?.type === 'integer' || schema.items?.type === 'number' ? items.map(Number) : items;
  }
  if (schema.type === 'object') return JSON.parse(raw);
  return raw;
}

function buildField(doc, name, raw, required, pickers) {
  const schema = fieldSchema(doc, raw);
  let control = controlFor(name, schema, required);
  const label = `${labelFor(name)}${required ? ' (required)' : ''}`;
  let help = helpText(schema);
  if (schema.type === 'array') help = `${help ? `${help} · ` : ''}one per line`;
  const errorEl = h('p', { class: 'field-error', 'aria-live': 'polite' });
  // A picker may replace the control, set it in a `host` element (at `slot`'s start), add `extras`
  // below it, and say its own help: see ui/pickers.js.
  const picker = pickerFor(name, schema);
  const built = picker ? picker.build({ name, schema, required, control, errorEl }, pickers?.data[picker.name], pickers) : null;
  if (built) control = built.control;
  if (built && 'help' in built) help = built.help;
  const wrapper = field(label, control, { help: help || null });
  wrapper.querySelector('.field-error').replaceWith(Object.assign(errorEl, { id: `${control.id}-error` }));
  if (built?.host) {
    control.replaceWith(built.host);
    built.slot.prepend(control);
  }
  if (built?.extras) (built.host || control).after(...built.extras);
  if (built) wrapper.dataset.picker = picker.name;
  if (control.type === 'checkbox') wrapper.classList.add('check');
  if (built?.wide || control.tagName === 'TEXTAREA' || (schema.maxLength || 0) > 200) wrapper.classList.add('wide');
  if (required) control.setAttribute('aria-required', 'true');
  return { name, schema, control, wrapper };
}

// `pickers`: what the form's pickers list, from `await loadPickers(doc, schema, { task })`; without
// it, only the pickers that list nothing (uploads) attach.
export function schemaForm(doc, schema, { submitLabel = 'Submit', pickers = null, id } = {}) {
  const required = new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {})
    .map(([name, raw]) => buildField(doc, name, raw, required.has(name), pickers));
  const formError = h('div', { class: 'alert error', role: 'alert', 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h('form', { novalidate: true, id, class: 'schema-form' }, formError,
    h('div', { class: 'schema-fields' }, fields.map((f) => f.wrapper)), h('div', { class: 'form-actions' }, button));
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  function clearErrors() {
    formError.textContent = '';
    fields.forEach((f) => {
      f.control.removeAttribute('aria-invalid');
      f.wrapper.querySelector('.field-error').textContent = '';
    });
  }

  function showError(message, fieldName) {
    const target = byName[(fieldName || '').split(/[.[]/)[0]];
    if (!target) {
      formError.textContent = message;
      formError.focus?.();
      return;
    }
    target.control.setAttribute('aria-invalid', 'true');
    target.wrapper.querySelector('.field-error').textContent = message;
    target.control.focus();
  }

  function values() {
    const out = {};
    for (const f of fields) {
      try {
        const value = readValue(f.control, f.schema);
        if (value !== undefined) out[f.name] = value;
      } catch {
        throw Object.assign(new Error(`${f.name}: must be valid JSON`), { field: f.name });
      }
    }
    return out;
  }

  return { form, button, values, clearErrors, showError };
}
