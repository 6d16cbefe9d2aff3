// Upload (choose, or drag and drop) a file for an input-URL field: it is uploaded through
// /api/upload/{kind} and the field receives this server's URL of it.

import { upload } from '../api.js';
import { fmtBytes, h, labelFor } from '../dom.js';

const ACCEPT = { image: 'image/*', audio: 'audio/*', video: 'video/*' };

// Which upload kind an input-URL field takes, from its schema's contentMediaType (image/png ->
// image) or else its name: sampleAudioUrl -> audio, avatarImage -> image, sourceVideoUrl -> video.
// websiteUrl is a page, not a file: none.
export function mediaKind(name, schema = {}) {
  if (schema.enum) return null;
  const declared = /^(image|audio|video)\//.exec(schema.contentMediaType || schema.items?.contentMediaType || '');
  if (declared) return declared[1];
  const lower = name.toLowerCase();
  const urlish = /(url|urls)$/.test(lower) || /(image|audio|video)s?$/.test(lower);
  if (!urlish) return null;
  return ['video', 'audio', 'image'].find((kind) => lower.includes(kind)) || null;
}

function setValue(input, url, multiple) {
  if (multiple) {
    const lines = input.value.split('\n').map((l) => l.trim()).filter(Boolean);
    input.value = [...lines, url].join('\n');
  } else {
    input.value = url;
  }
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

async function send(file, { kind, input, multiple, status, bar, errorEl }) {
  errorEl.textContent = '';
  input.removeAttribute('aria-invalid');
  bar.hidden = false;
  bar.value = 0;
  status.textContent = `Uploading ${file.name}…`;
  try {
    const payload = await upload(kind, file, (fraction) => { bar.value = fraction; });
    setValue(input, payload.data.url, multiple);
    status.textContent = `Uploaded ${file.name} (${fmtBytes(payload.data.size)}).`;
  } catch (error) {
    status.textContent = '';
    errorEl.textContent = error.message;
    input.setAttribute('aria-invalid', 'true');
  } finally {
    bar.hidden = true;
  }
}

// The upload control of an input-URL field: `input` goes first in the returned `row`, the upload
// button beside it; the whole `zone` (the field, the button, the status line) takes a dropped file.
export function dropzone({ kind, input, multiple = false, errorEl }) {
  const picker = h('input', { type: 'file', accept: ACCEPT[kind], hidden: true, multiple });
  const article = /^[aeiou]/.test(kind) ? 'an' : 'a';
  const choose = h('button', { type: 'button', class: 'btn', 'aria-label': `Upload ${article} ${kind} file for ${labelFor(input.name)}` },
    `Upload ${kind}${multiple && kind !== 'audio' ? 's' : ''}`);
  const status = h('span', { class: 'hint', 'aria-live': 'polite' }, `or drop ${article} ${kind} file here`);
  const bar = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': `Upload progress for ${input.name}` });
  const row = h('div', { class: 'upload-row' }, input, choose, picker);
  const zone = h('div', { class: 'dropzone', dataset: { dropFor: input.name } }, row, status, bar);
  const ctx = { kind, input, multiple, status, bar, errorEl };
  const sendAll = async (files) => {
    for (const file of Array.from(files).slice(0, multiple ? 10 : 1)) await send(file, ctx);
  };
  choose.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => { sendAll(picker.files); picker.value = ''; });
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragover'); });
  zone.addEventListener('dragleave', (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove('dragover');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragover');
    if (event.dataTransfer?.files?.length) sendAll(event.dataTransfer.files);
  });
  return { zone, row };
}
