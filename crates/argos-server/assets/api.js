// Fetch wrapper for the Argos JSON API: bearer token + cookie, 401 -> login.

const TOKEN_KEY = 'argos.token';
const USER_KEY = 'argos.user';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// localStorage: every tab of this origin shares the login (like the session cookie does).
export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() { return localStorage.getItem(USER_KEY); },
  set(token, user) {
    if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
    if (user) localStorage.setItem(USER_KEY, user); else localStorage.removeItem(USER_KEY);
    // A new login (or logout) may be someone else: ask /me again.
    forgetMe();
  },
  clear() { this.set(null, null); },
};

// ---- who is logged in ------------------------------------------------------------

// Roles from least to most allowed (the server's session::required_role decides; the UI only
// hides what would be refused).
const ROLE_RANK = { read_only: 0, user: 1, admin: 2 };

let me = null;
let meLoading = null;

/** The caller from GET /api/v1/me ({name, role, credential}), once per login; null before loadMe. */
export function currentUser() { return me; }

/** Fetch GET /api/v1/me once (later calls share the answer until logout). */
export function loadMe() {
  if (me) return Promise.resolve(me);
  if (!meLoading) {
    meLoading = api('/api/v1/me').then((res) => {
      me = {
        name: res && typeof res.name === 'string' ? res.name : (session.user || ''),
        role: res && typeof res.role === 'string' && res.role in ROLE_RANK ? res.role : 'read_only',
        credential: res ? res.credential : null,
      };
      return me;
    }).finally(() => { meLoading = null; });
  }
  return meLoading;
}

export function forgetMe() { me = null; }

/** True when the logged-in user's role is at least `role` ('read_only' < 'user' < 'admin'). */
export function hasRole(role) {
  return !!me && (ROLE_RANK[me.role] ?? -1) >= (ROLE_RANK[role] ?? 99);
}

/** "read_only" -> "read-only", for display. */
export function roleLabel(role) { return String(role || '').replace('_', '-'); }

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(path, { method = 'GET', body, signal, allow401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const tok = session.token;
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, `Network error: ${e && e.message ? e.message : e}`);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.status === 401 && !allow401) {
    onUnauthorized();
    throw new ApiError(401, 'Not logged in');
  }
  // Refused: the role may have changed since GET /me (an admin demoted us); ask again on the next page.
  if (res.status === 403) forgetMe();
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg);
  }
  if (data === null && text) throw new ApiError(res.status, 'The server sent an answer that is not JSON');
  return data;
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    u.append(k, String(v));
  }
  return u.toString();
}
