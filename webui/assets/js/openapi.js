// The server's OpenAPI document drives the generation forms: every POST /api/generate/* route with a
// JSON body becomes a form, so a new endpoint shows up here without new UI code.

import { get } from './api.js';

let documentPromise = null;

export function openapi() {
  documentPromise = documentPromise || get('/schema/openapi.json').catch((error) => {
    documentPromise = null;
    throw error;
  });
  return documentPromise;
}

export function resolve(doc, schema) {
  let current = schema;
  while (current && current.$ref) {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((node, key) => node?.[key], doc);
  }
  return current || {};
}

export function hasRoute(doc, path, method = 'get') {
  return Boolean(doc.paths?.[path]?.[method]);
}

export function generateEndpoints(doc) {
  return Object.entries(doc.paths || {})
    .filter(([path, ops]) => path.startsWith('/api/generate/') && ops.post)
    .map(([path, ops]) => endpoint(doc, path, ops.post))
    .filter((e) => e.schema)
    .sort((a, b) => (a.name === 'image' ? -1 : b.name === 'image' ? 1 : a.name.localeCompare(b.name)));
}

export function endpoint(doc, path, op) {
  const body = op.requestBody?.content?.['application/json']?.schema;
  return {
    path,
    name: path.slice('/api/generate/'.length),
    title: op.summary || path,
    description: op.description || '',
    schema: body ? resolve(doc, body) : null,
  };
}

// A property's effective schema: `oneOf/anyOf [X, null]` and `type: [null, X]` reduce to X, with the
// bounds Litestar puts beside them kept.
export function fieldSchema(doc, raw) {
  let schema = resolve(doc, raw);
  const variants = schema.oneOf || schema.anyOf;
  let nullable = false;
  if (variants) {
    const real = variants.map((v) => resolve(doc, v)).filter((v) => v.type !== 'null');
    nullable = real.length < variants.length;
    const { oneOf, anyOf, ...rest } = schema;
    schema = real.length === 1 ? { ...real[0], ...rest } : { ...rest, type: 'string' };
  }
  if (Array.isArray(schema.type)) {
    nullable = nullable || schema.type.includes('null');
    schema = { ...schema, type: schema.type.find((t) => t !== 'null') || 'string' };
  }
  if (schema.enum) schema = { ...schema, enum: schema.enum.filter((v) => v !== null) };
  return { ...schema, nullable };
}
