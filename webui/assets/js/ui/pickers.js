// Pickers: controls that know this server, attached to the fields of every form that
// ui/schemaform.js builds from the OpenAPI document. They attach by the field's name and format,
// never by endpoint, so a later product's form gets them for free by naming its fields this way:
//
//   field                                   picker                               reads
//   `model` (string)                        the models that serve the form's     GET /api/models
//                                           task and the hosted names they stand
//                                           in for: installed, download size,
//                                           license, non-commercial flagged
//   `voiceId`, `*VoiceId` (string)          stock and cloned voices, with a      GET /api/voices,
//                                           short preview                        GET /api/voices/{id}/preview
//   `brandProfileId` (string)               your brand profiles, with their      GET /api/brand-profiles
//                                           colours, font and tagline
//   `outputLanguage` (string)               the languages video translation      GET /api/translate/languages
//                                           works in here, what each translates
//                                           from, its voice
//   `*Url(s)`, `*Image(s)`, `*Audio`,       an upload beside the URL field: the  POST /api/upload/{kind}
//   `*Video(s)`, or contentMediaType        field receives this server's URL of
//   image/*, audio/*, video/*               the file (ui/dropzone.js)
//
// A picker is { name, matches(name, schema), load?(ctx), build(field, data, ctx) }. `load` reads
// what the picker lists, once per form, before the form is built (`await loadPickers(doc, schema,
// { task })`, then `schemaForm(doc, schema, { pickers })`). `build` gets the field's plain control
// and returns null to keep the plain field, or { control (the named element the form reads), host
// and slot (an element put in the control's place, the control going first in `slot`), extras
// (elements below it), help (its own help text; null for none), wide }. A list that cannot be read
// leaves the plain field: the server's own validation still says what it takes. The task of a form
// is its endpoint's name (`POST /api/generate/image` -> `image`), which is the task its models
// declare in the catalogue. To add a picker, add it to PICKERS.

import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { fieldSchema, hasRoute } from '../openapi.js';
import { dropzone, mediaKind } from './dropzone.js';

// Models ------------------------------------------------------------------------------------------

export function fmtSize(gb) {
  if (typeof gb !== 'number') return '';
  if (gb >= 1) return `${Number(gb.toFixed(1))} GB`;
  return `${Math.max(1, Math.round(gb * 1000))} MB`;
}

// "not installed · 110 GB download · flux-dev-non-commercial · non-commercial": what a model's
// option group says about it.
export function modelFacts(model) {
  const size = fmtSize(model.sizeGb);
  return [model.installed ? 'installed' : 'not installed', size ? `${size} download` : null, model.license,
    model.commercialUse === false ? 'non-commercial' : null].filter(Boolean).join(' · ');
}

function badges(model) {
  return [
    h('span', { class: ['badge', model.installed ? 'installed' : null] }, model.installed ? 'installed' : 'not installed'),
    model.commercialUse === false ? h('span', { class: 'badge noncommercial', title: `License ${model.license}` }, 'non-commercial') : null,
  ];
}

function modelDetails(model, chosen, isDefault) {
  const alias = chosen && chosen !== model.id ? chosen : null;
  const lead = alias ? ['Hosted name ', h('code', {}, alias), ': this server runs ', h('strong', {}, model.name), ' for it.']
    : [isDefault ? 'Default: ' : null, h('strong', {}, model.name), ' ', h('code', { class: 'small muted' }, model.id)];
  const facts = [fmtSize(model.sizeGb) ? `${fmtSize(model.sizeGb)} download` : null, model.memoryGb ? `${model.memoryGb} GB memory` : null,
    `license ${model.license}`].filter(Boolean).join(' · ');
  return [
    h('p', { class: 'picker-title' }, h('span', {}, lead), badges(model)),
    h('p', { class: 'small muted' }, facts,
      model.installed ? '' : model.autoPull ? '. Not installed yet: the first job downloads it.'
        : '. Not installed, and jobs may not download it: an admin installs it on the Models page.'),
    model.commercialUse === false
      ? h('p', { class: 'small picker-warn' }, `Non-commercial license (${model.license}): its outputs may not be used commercially.`) : null,
    model.aliases.length ? h('p', { class: 'small muted' }, 'Stands in for ', model.aliases.join(', ')) : null,
  ];
}

const MODEL_PICKER = {
  name: 'model',
  matches: (name, schema) => name === 'model' && schema.type === 'string' && !schema.enum,
  load: (ctx) => ctx.read('/api/models'),
  build({ name, schema, required }, models, ctx) {
    const serving = (models || []).filter((m) => m.tasks.includes(ctx.task));
    if (!serving.length) return null;
    const fallback = serving.find((m) => m.defaultFor.includes(ctx.task));
    const conditional = /\bdefault\b/i.test(schema.description || '');
    const blank = required ? null : h('option', { value: '' },
      fallback && !conditional ? `Server default (${fallback.name})` : 'Server default');
    const groups = serving.map((m) => h('optgroup', { label: `${m.name} — ${modelFacts(m)}`, dataset: { modelId: m.id } },
      h('option', { value: m.id, dataset: { modelId: m.id } }, `${m.name} (${m.id})`),
      m.aliases.map((alias) => h('option', { value: alias, dataset: { modelId: m.id, alias: 'true' } }, `${alias} — hosted name`))));
    const select = h('select', { name, class: 'picker-select' }, blank, groups);
    const details = h('div', { class: 'picker-details', 'aria-live': 'polite', dataset: { for: name } });
    const show = () => {
      const model = serving.find((m) => m.id === select.selectedOptions[0]?.dataset.modelId);
      details.dataset.modelId = model?.id || '';
      if (model) replace(details, modelDetails(model, select.value, false));
      else if (fallback && !conditional) replace(details, modelDetails(fallback, '', true));
      else replace(details); // the help below says which model the server picks
    };
    select.addEventListener('change', show);
    show();
    // The list says what the description did; a conditional default ("Kokoro on a CUDA machine")
    // is still worth reading.
    return { control: select, extras: [details], help: conditional ? schema.description : null, wide: true };
  },
};

// Voices ------------------------------------------------------------------------------------------

const isCloned = (voice) => voice.type === 'cloned';

function voiceLabel(voice) {
  return [voice.name, voice.language, voice.gender].filter(Boolean).join(' · ');
}

const previewKey = (voice) => `${isCloned(voice) ? 'cloned' : voice.model}/${voice.voiceId}`;

// The URL that plays a few seconds of a voice, or why there is none. GET /api/voices/{id}/preview
// answers a fresh signed URL: of a cloned voice's own sample, or of a stock voice's sentence, which
// the server speaks once and keeps, free. The URL is kept for the page's life (dropped if it fails
// to play, say once it has expired), so playing a preview again asks the server nothing.
async function previewUrl(voice, ctx) {
  if (voice.installed === false) throw new Error(`Previews of ${voice.model} voices play once the model is installed.`);
  if (!ctx.previewRoute) {
    if (voice.sampleUrl) return voice.sampleUrl;
    throw new Error('This server does not offer previews of stock voices yet.');
  }
  const key = previewKey(voice);
  if (!ctx.previews.has(key)) {
    const query = isCloned(voice) || !voice.model ? '' : `?model=${encodeURIComponent(voice.model)}`;
    const pending = get(`/api/voices/${encodeURIComponent(voice.voiceId)}/preview${query}`).then((payload) => payload.data.url);
    pending.catch(() => ctx.previews.delete(key));
    ctx.previews.set(key, pending);
  }
  return ctx.previews.get(key);
}

function previewControls(select, voiceOf, ctx) {
  const button = h('button', { type: 'button', class: 'btn', 'data-action': 'preview' }, 'Play preview');
  const audio = h('audio', { controls: true, preload: 'none', hidden: true, class: 'preview-audio' });
  const status = h('p', { class: 'small muted picker-status', 'aria-live': 'polite' });
  const sync = () => {
    const voice = voiceOf();
    button.disabled = !voice;
    button.setAttribute('aria-label', voice ? `Play a preview of ${voice.name}` : 'Play a preview (choose a voice first)');
    if (!voice || audio.dataset.voiceId !== voice.voiceId) {
      audio.pause();
      audio.hidden = true;
    }
    status.textContent = voice ? [isCloned(voice) ? 'your cloned voice' : `spoken by ${voice.model}`,
      voice.installed === false ? 'not installed' : null, voice.usable === false ? 'needs a voice-cloning model' : null]
      .filter(Boolean).join(' · ') : '';
  };
  button.addEventListener('click', async () => {
    const voice = voiceOf();
    if (!voice) return;
    button.disabled = true;
    status.textContent = 'Loading the preview…';
    try {
      const url = await previewUrl(voice, ctx);
      if (voiceOf() !== voice) return;
      audio.dataset.voiceId = voice.voiceId;
      audio.dataset.key = previewKey(voice);
      if (audio.getAttribute('src') !== url) audio.src = url;
      audio.hidden = false;
      status.textContent = `Preview of ${voice.name}`;
      audio.play().catch(() => { /* autoplay refused: the controls still play it */ });
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = !voiceOf();
    }
  });
  audio.addEventListener('error', () => {
    ctx.previews.delete(audio.dataset.key);
    status.textContent = 'The preview could not be played; try again.';
  });
  select.addEventListener('change', sync);
  sync();
  return { button, panel: h('div', { class: 'voice-preview' }, status, audio) };
}

const VOICE_PICKER = {
  name: 'voice',
  matches: (name, schema) => /^(voiceId|\w+VoiceId)$/.test(name) && schema.type === 'string' && !schema.enum,
  load: (ctx) => (hasRoute(ctx.doc, '/api/voices') ? ctx.read('/api/voices') : null),
  build({ name, schema }, voices, ctx) {
    if (!voices?.length) return null;
    const byValue = new Map();
    const option = (voice) => {
      byValue.set(previewKey(voice), voice);
      return h('option', { value: voice.voiceId, disabled: voice.usable === false, dataset: { key: previewKey(voice), type: voice.type } },
        voiceLabel(voice));
    };
    const cloned = voices.filter(isCloned);
    const byModel = new Map();
    voices.filter((v) => !isCloned(v)).forEach((v) => byModel.set(v.model, [...(byModel.get(v.model) || []), v]));
    const groups = [
      cloned.length ? h('optgroup', { label: 'Your cloned voices' }, cloned.map(option)) : null,
      [...byModel].map(([model, list]) => h('optgroup', {
        label: `${model}${list[0].modelAliases?.length ? ` (${list[0].modelAliases.join(', ')})` : ''} — ${list[0].installed === false ? 'not installed' : 'installed'}`,
        dataset: { model },
      }, list.map(option))),
    ];
    const select = h('select', { name, class: 'picker-select' }, h('option', { value: '' }, 'Default voice'), groups);
    const voiceOf = () => byValue.get(select.selectedOptions[0]?.dataset.key);
    const { button, panel } = previewControls(select, voiceOf, ctx);
    const row = h('div', { class: 'picker-row' }, button);
    return { control: select, host: row, slot: row, extras: [panel], help: schema.description || null, wide: true };
  },
};

// Languages of video translation -------------------------------------------------------------------

function languageDetails(language) {
  const voice = language.voice ? `stock voice ${language.voice.voiceId} (${language.voice.model})` : 'no stock voice';
  return [
    h('p', { class: 'small muted' }, `Video speech in ${language.translatesFrom.join(', ')} · ${voice}`),
    h('p', { class: 'small muted' }, language.originalVoice
      ? 'The original voice can be kept (preserveOriginalVoice).'
      : 'The original voice cannot be kept in this language here.'),
  ];
}

const LANGUAGE_PICKER = {
  name: 'outputLanguage',
  matches: (name, schema) => name === 'outputLanguage' && schema.type === 'string' && !schema.enum,
  load: (ctx) => (hasRoute(ctx.doc, '/api/translate/languages') ? ctx.read('/api/translate/languages') : null),
  build({ name, required }, languages) {
    if (!languages?.length) return null;
    const blank = required ? h('option', { value: '' }, 'Choose a language') : h('option', { value: '' }, 'Default');
    const select = h('select', { name, class: 'picker-select' }, blank,
      languages.map((l) => h('option', { value: l.code }, `${l.name} (${l.code})`)));
    const details = h('div', { class: 'picker-details', 'aria-live': 'polite', dataset: { for: name } });
    const show = () => {
      const language = languages.find((l) => l.code === select.value);
      replace(details, language ? languageDetails(language) : []);
    };
    select.addEventListener('change', show);
    show();
    return { control: select, extras: [details], help: 'The languages this server can translate a video into and speak.', wide: true };
  },
};

// Brand profiles ----------------------------------------------------------------------------------

function brandDetails(profile) {
  return h('p', { class: 'small muted' },
    profile.colors.map((color) => {
      const swatch = h('span', { class: 'brand-swatch', title: color });
      swatch.style.backgroundColor = color; // the CSSOM: the Content-Security-Policy refuses style attributes
      return swatch;
    }),
    [profile.font, profile.tone, profile.tagline ? `“${profile.tagline}”` : null].filter(Boolean).join(' · '));
}

const BRAND_PICKER = {
  name: 'brandProfileId',
  matches: (name, schema) => name === 'brandProfileId' && schema.type === 'string' && !schema.enum,
  load: (ctx) => (hasRoute(ctx.doc, '/api/brand-profiles') ? ctx.read('/api/brand-profiles') : null),
  build({ name }, profiles) {
    if (!profiles) return null;
    const select = h('select', { name, class: 'picker-select' }, h('option', { value: '' }, 'No brand profile (the style alone)'),
      profiles.map((p) => h('option', { value: p.id }, p.name)));
    const details = h('div', { class: 'picker-details', 'aria-live': 'polite', dataset: { for: name } });
    const show = () => {
      const profile = profiles.find((p) => p.id === select.value);
      replace(details, profile ? brandDetails(profile) : []);
    };
    select.addEventListener('change', show);
    show();
    return { control: select, extras: [details], help: 'Its colours, font, logo, tone and banned words. Manage them on the Brands page.', wide: true };
  },
};

// Uploads -----------------------------------------------------------------------------------------

const UPLOAD_PICKER = {
  name: 'upload',
  matches: (name, schema) => Boolean(mediaKind(name, schema)),
  build({ name, schema, control, errorEl }) {
    const { zone, row } = dropzone({ kind: mediaKind(name, schema), input: control, multiple: schema.type === 'array', errorEl });
    return { control, host: zone, slot: row, wide: true };
  },
};

export const PICKERS = [MODEL_PICKER, VOICE_PICKER, LANGUAGE_PICKER, BRAND_PICKER, UPLOAD_PICKER];

export function pickerFor(name, schema) {
  return PICKERS.find((p) => p.matches(name, schema)) || null;
}

// What the pickers of a form list, read once (in parallel) before the form is built.
export async function loadPickers(doc, schema, { task } = {}) {
  const reads = new Map();
  const ctx = {
    doc,
    task,
    data: {},
    previews: new Map(),
    previewRoute: hasRoute(doc, '/api/voices/{voice_id}/preview'),
    read(path) {
      if (!reads.has(path)) reads.set(path, get(path).then((payload) => payload.data));
      return reads.get(path);
    },
  };
  const wanted = new Set(Object.entries(schema.properties || {})
    .map(([name, raw]) => pickerFor(name, fieldSchema(doc, raw)))
    .filter((p) => p && p.load));
  await Promise.all([...wanted].map(async (picker) => {
    try {
      ctx.data[picker.name] = await picker.load(ctx);
    } catch {
      ctx.data[picker.name] = null; // not readable here (a plan, an older server): the plain field stays
    }
  }));
  return ctx;
}
