// Who is signed in. The cookie is HttpOnly, so the page learns about its session from /auth/me,
// which also hands over the CSRF token that state-changing requests must carry.

import { post, request, setCsrfToken } from './api.js';

export const session = { me: null };

function adopt(data) {
  session.me = data && data.signedIn ? data : null;
  setCsrfToken(session.me ? session.me.csrfToken : null);
  return session.me;
}

export async function loadMe() {
  const payload = await request('/auth/me');
  return adopt(payload.data);
}

export async function signInWithKey(apiKey) {
  const payload = await post('/auth/login', { apiKey });
  return adopt(payload.data);
}

export async function signOut() {
  try {
    await post('/auth/logout');
  } finally {
    adopt(null);
  }
}

export const isAdmin = () => Boolean(session.me?.permissions?.admin);
export const canUseKeys = () => Boolean(session.me?.permissions?.apiKeys);
