// The one way the studio talks to the server: the public API, with the session cookie, the CSRF
// token on every state-changing request, errors as ApiError, and a patient retry on 429.

let csrfToken = null;
const unauthorizedListeners = new Set();

export function setCsrfToken(token) { csrfToken = token; }
export function onUnauthorized(listener) { unauthorizedListeners.add(listener); }

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || 'ERROR';
  }

  // Validation messages read "field: rule"; the field is what the form marks.
  get field() {
    const match = /^([A-Za-z][\w.\[\]]*):\s/.exec(this.message);
    return this.status === 400 && match ? match[1] : null;
  }

  get rule() {
    return this.field ? this.message.slice(this.field.length + 1).trim() : this.message;
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function retryAfterMs(response) {
  const seconds = Number(response.headers.get('Retry-After'));
  return Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, 10) * 1000;
}

async function readJson(response) {
  if (response.status === 204) return null;
  try { return await response.json(); } catch { return null; }
}

function headersFor(method, extra, hasJson) {
  const headers = { Accept: 'application/json', ...extra };
  if (hasJson) headers['Content-Type'] = 'application/json';
  if (!['GET', 'HEAD'].includes(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  return headers;
}

function fail(response, payload) {
  const error = new ApiError(response.status, payload?.error || `Request failed (${response.status})`, payload?.code);
  if (response.status === 401) unauthorizedListeners.forEach((listener) => listener(error));
  throw error;
}

export async function request(path, { method = 'GET', json, headers = {}, retries = 2 } = {}) {
  const init = {
    method,
    headers: headersFor(method, headers, json !== undefined),
    body: json === undefined ? undefined : JSON.stringify(json),
    credentials: 'same-origin',
    cache: 'no-store',
  };
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(path, init);
    // Reads are safe to repeat; a write is not retried here (it carries its own Idempotency-Key).
    if (response.status === 429 && method === 'GET' && attempt < retries) {
      await sleep(retryAfterMs(response));
      continue;
    }
    const payload = await readJson(response);
    if (!response.ok) fail(response, payload);
    return payload;
  }
}

export const get = (path) => request(path);
export const post = (path, json, options = {}) => request(path, { ...options, method: 'POST', json });
export const patch = (path, json) => request(path, { method: 'PATCH', json });
export const del = (path) => request(path, { method: 'DELETE' });

export function idempotencyKey() {
  // crypto.randomUUID needs a secure context; a LAN address over http is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Uploads go through XMLHttpRequest: fetch cannot report upload progress.
export function upload(kind, file, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/upload/${kind}`);
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Idempotency-Key', idempotencyKey());
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const payload = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve(payload);
      else reject(new ApiError(xhr.status, payload?.error || `Upload failed (${xhr.status})`, payload?.code));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'Upload failed: the server could not be reached')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
