// Account page (#/account; "Admin" in the nav for admins): who I am, my password, my API tokens;
// for admins also the users table and the audit log. Every action is one call of the documented
// API (users.rs, tokens.rs, audit.rs); the server checks roles, the page only leaves out what the
// role would be refused, and shows every API error next to the form that caused it.
import { h, clear, append, tzLabel, fmtDateTime, fmtAgo, usOf, confirmDialog, copyText } from './dom.js';
import { api, loadMe, forgetMe, hasRole, roleLabel, ApiError } from './api.js';

const ROLES = [
  ['read_only', 'read-only', 'search and view only'],
  ['user', 'user', 'also own password and API tokens'],
  ['admin', 'admin', 'also users, settings and the audit log'],
];
const MIN_PASSWORD = 8; // auth::MIN_PASSWORD_LEN
const NAME_PATTERN = '[A-Za-z0-9._@\\-]{1,64}'; // auth::valid_name
const TOKEN_DAYS_DEFAULT = 90;
const TOKEN_DAYS_MAX = 365;
const AUDIT_LIMIT = 1000;

const errText = (e) => (e instanceof ApiError && e.status ? `${e.message} (HTTP ${e.status})` : (e && e.message ? e.message : String(e)));

// A form's message line: errors in red, confirmations in green. `which` names it (a card has several).
function messageLine(which = '') {
  const base = `form-msg${which ? ` ${which}` : ''}`;
  const el = h('p', { class: base, role: 'status', hidden: true });
  return {
    el,
    error(e) { el.className = `${base} error`; el.setAttribute('role', 'alert'); el.textContent = errText(e); el.hidden = false; },
    ok(text) { el.className = `${base} ok`; el.setAttribute('role', 'status'); el.textContent = text; el.hidden = false; },
    hide() { el.hidden = true; },
  };
}

// Disable the submit button while the call runs; report the outcome on `msg`.
async function busy(btn, msg, fn) {
  btn.disabled = true;
  msg.hide();
  try { return await fn(); } catch (e) {
    if (e && e.name === 'AbortError') return undefined;
    if (e instanceof ApiError && e.status === 401) return undefined;
    msg.error(e);
    return undefined;
  } finally { btn.disabled = false; }
}

export function roleBadge(role) {
  return h(`span.role-badge.role-${String(role || 'none').replace(/[^a-z_]/g, '')}`, { dataset: { role: String(role || '') } }, roleLabel(role) || '—');
}

function roleSelect(value, attrs = {}) {
  return h('select', attrs, ROLES.map(([v, label, help]) => h('option', { value: v, selected: v === value, title: help }, label)));
}

export async function renderUsers(root, r, ctx) {
  const me = await loadMe();
  const admin = hasRole('admin');
  document.title = `${admin ? 'Admin' : 'Account'} · Argos`;
  clear(root);
  const cards = [accountCard(me), tokensCard(me, ctx)];
  if (admin) cards.push(usersCard(me, ctx), auditCard(ctx));
  root.append(
    h('div.page-head', null, h('h1.page-title', null, admin ? 'Admin' : 'Account')),
    h('div.account-grid', null, cards));
}

// ---- me and my password ---------------------------------------------------------------

function accountCard(me) {
  const card = h('section.card.account-me', null, h('div.card-title', null, 'Your account'),
    h('dl.facts', null,
      h('dt', null, 'User'), h('dd.me-name', null, me.name),
      h('dt', null, 'Role'), h('dd', null, roleBadge(me.role), ' ',
        h('span.muted.small', null, (ROLES.find(([v]) => v === me.role) || ['', '', ''])[2]))));
  // PUT /me/password needs the user role (session::required_role).
  if (!hasRole('user')) {
    card.append(h('p.muted.small.ro-note', null, 'A read-only account cannot change its password or create API tokens: ask an admin.'));
    return card;
  }
  if (me.credential && typeof me.credential === 'object' && me.credential.token) {
    card.append(h('p.muted.small', null, 'Logged in with an API token.'));
  }
  const cur = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
  const pw1 = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const pw2 = h('input', { type: 'password', name: 'new_password2', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const msg = messageLine();
  const btn = h('button.primary', { type: 'submit' }, 'Change password');
  const form = h('form.stack-form.password-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      if (pw1.value !== pw2.value) { msg.error(new Error('The two new passwords differ.')); pw2.select(); return; }
      busy(btn, msg, async () => {
        await api('/api/v1/me/password', { method: 'PUT', body: { current_password: cur.value, new_password: pw1.value } });
        form.reset();
        msg.ok('Password changed. Other sessions stay logged in until they log out.');
      });
    },
  },
  h('div.form-title', null, 'Change your password'),
  h('label', null, h('span', null, 'Current password'), cur),
  h('label', null, h('span', null, `New password (at least ${MIN_PASSWORD} characters)`), pw1),
  h('label', null, h('span', null, 'New password again'), pw2),
  h('div.form-row', null, btn), msg.el);
  card.append(form);
  return card;
}

// ---- API tokens -------------------------------------------------------------------------

function tokensCard(me, ctx) {
  const allTokens = hasRole('admin');
  const mayWrite = hasRole('user');
  const listBox = h('div.table-wrap.tokens-box', null, h('p.muted.small', null, 'Loading…'));
  const listMsg = messageLine('list-msg');
  const secretBox = h('div.token-secret', { hidden: true, 'aria-live': 'polite' });
  const card = h('section.card.account-tokens', null,
    h('div.card-title', null, allTokens ? 'API tokens (all users)' : 'Your API tokens'),
    h('p.muted.small', null, 'Scripts send a token as ', h('code', null, 'Authorization: Bearer <secret>'),
      '; it acts with its owner\'s role until it expires or is revoked.'));

  async function load() {
    let list;
    try { list = await api('/api/v1/tokens', { signal: ctx.signal }); } catch (e) {
      if (ctx.signal.aborted) return;
      clear(listBox);
      listMsg.error(e);
      return;
    }
    if (ctx.signal.aborted) return;
    listMsg.hide();
    fill(Array.isArray(list) ? list : []);
  }

  function fill(list) {
    clear(listBox);
    if (!list.length) { listBox.append(h('p.muted.small.tokens-none', null, 'No API token yet.')); return; }
    // Newest first.
    const rows = list.slice().sort((a, b) => String(b.created || '').localeCompare(String(a.created || '')));
    const now = Date.now() * 1000;
    listBox.append(h('table.grid.compact.tokens', null,
      h('thead', null, h('tr', null,
        h('th', null, 'Name'), allTokens ? h('th', null, 'Owner') : null, h('th', null, 'Role'),
        h('th', null, `Created (${tzLabel()})`), h('th', null, 'Expires'), h('th', null, 'Last used'), mayWrite ? h('th', null, '') : null)),
      h('tbody', null, rows.map((t) => {
        const exp = usOf(null, t.expires);
        const used = usOf(null, t.last_used);
        const expired = t.expired === true || (exp !== null && exp <= now);
        return h(`tr${expired ? '.expired' : ''}`, { dataset: { id: String(t.id || ''), name: String(t.name || '') } },
          h('td', null, String(t.name || '')),
          allTokens ? h('td', null, String(t.owner || '')) : null,
          h('td', null, roleBadge(t.role)),
          h('td.mono.nowrap', null, fmtDateTime(usOf(null, t.created))),
          h('td.nowrap', { title: fmtDateTime(exp) }, expired ? h('span.cstat.cs-bad', null, 'expired') : fmtAgo(exp, now)),
          h('td.nowrap', { title: used === null ? '' : fmtDateTime(used) }, used === null ? h('span.muted', null, 'never') : fmtAgo(used, now)),
          mayWrite ? h('td.actions', null, revokeButton(t)) : null);
      }))));
  }

  function revokeButton(t) {
    const btn = h('button.danger-link', { type: 'button', title: `Revoke token ${t.name}` }, 'Revoke');
    btn.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: `Revoke the token “${t.name}”?`,
        text: `Scripts using it${t.owner && t.owner !== me.name ? ` (owner: ${t.owner})` : ''} are refused from now on. This cannot be undone.`,
        confirmLabel: 'Revoke', danger: true,
      });
      if (!yes) return;
      await busy(btn, listMsg, async () => {
        await api(`/api/v1/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
        secretBox.hidden = true;
        await load();
        listMsg.ok(`Token “${t.name}” revoked.`);
      });
    });
    return btn;
  }

  if (mayWrite) {
    const name = h('input', { name: 'token_name', required: true, maxlength: 100, placeholder: 'e.g. nightly export', spellcheck: 'false' });
    const days = h('input.num', { name: 'expires_in_days', type: 'number', min: 1, max: TOKEN_DAYS_MAX, required: true, value: String(TOKEN_DAYS_DEFAULT) });
    const msg = messageLine('create-msg');
    const btn = h('button.primary', { type: 'submit' }, 'Create token');
    const form = h('form.inline-form.token-form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(btn, msg, async () => {
          const t = await api('/api/v1/tokens', { method: 'POST', body: { name: name.value.trim(), expires_in_days: Number(days.value) } });
          name.value = '';
          showSecret(t);
          await load();
        });
      },
    },
    h('label', null, h('span', null, 'Name'), name),
    h('label', null, h('span', null, 'Expires in (days)'), days),
    btn);
    card.append(h('div.form-title', null, 'New token'), form, msg.el, secretBox);
  } else {
    card.append(h('p.muted.small', null, 'Read-only accounts cannot create tokens.'));
  }
  card.append(listMsg.el, listBox);

  // The secret exists only in this answer (the server keeps a hash): show it once, with a copy button.
  function showSecret(t) {
    const secret = t && typeof t.secret === 'string' ? t.secret : '';
    clear(secretBox);
    if (!secret) { secretBox.hidden = true; return; }
    const copyBtn = h('button', { type: 'button' }, 'Copy');
    copyBtn.addEventListener('click', async () => {
      const ok = await copyText(secret);
      copyBtn.textContent = ok ? 'Copied' : 'Copy failed: select the text';
      setTimeout(() => { copyBtn.textContent = 'Copy'; }, 1500);
    });
    secretBox.append(
      h('p.secret-title', null, h('strong', null, `Token “${t.name}” created`),
        t.expires ? h('span.muted', null, ` · expires ${fmtDateTime(usOf(null, t.expires))}`) : null),
      h('div.secret-row', null, h('code.secret', { tabindex: 0 }, secret), copyBtn,
        h('button.linkish', { type: 'button', onclick: () => { clear(secretBox); secretBox.hidden = true; } }, 'Done')),
      h('p.secret-warn', null, 'Copy it now: this secret will not be shown again.'));
    secretBox.hidden = false;
  }

  load();
  return card;
}

// ---- users (admin) --------------------------------------------------------------------------

function usersCard(me, ctx) {
  const listBox = h('div.table-wrap.users-box', null, h('p.muted.small', null, 'Loading…'));
  const listMsg = messageLine('list-msg');

  async function load() {
    let list;
    try { list = await api('/api/v1/users', { signal: ctx.signal }); } catch (e) {
      if (ctx.signal.aborted) return;
      clear(listBox);
      listMsg.error(e);
      return;
    }
    if (ctx.signal.aborted) return;
    fill(Array.isArray(list) ? list : []);
  }

  function fill(list) {
    clear(listBox);
    const rows = list.slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
    listBox.append(h('table.grid.compact.users', null,
      h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Role'), h('th', null, ''))),
      h('tbody', null, rows.map((u) => userRow(u)))));
  }

  function userRow(u) {
    const name = String(u.name || '');
    const self = name === me.name;
    const sel = roleSelect(u.role, { 'aria-label': `Role of ${name}`, name: 'role' });
    sel.addEventListener('change', async () => {
      const role = sel.value;
      const ok = await busy(sel, listMsg, async () => {
        await api(`/api/v1/users/${encodeURIComponent(name)}`, { method: 'PUT', body: { role } });
        listMsg.ok(`${name} is now ${roleLabel(role)}.`);
        return true;
      });
      if (!ok) { sel.value = u.role; return; }
      u.role = role;
      // Demoted oneself: the page (and the nav) must follow the new role.
      if (self) {
        forgetMe();
        const { go } = await import('./app.js');
        go('#/account');
      }
    });
    const resetRow = h('tr.reset-row', { hidden: true });
    const pw = h('input', { type: 'password', name: 'reset_password', autocomplete: 'new-password', minlength: MIN_PASSWORD, required: true, 'aria-label': `New password for ${name}` });
    const saveBtn = h('button.primary', { type: 'submit' }, 'Set password');
    resetRow.append(h('td', { colspan: 3 }, h('form.inline-form', {
      onsubmit: (ev) => {
        ev.preventDefault();
        busy(saveBtn, listMsg, async () => {
          await api(`/api/v1/users/${encodeURIComponent(name)}`, { method: 'PUT', body: { password: pw.value } });
          pw.value = '';
          resetRow.hidden = true;
          listMsg.ok(`Password of ${name} reset.`);
        });
      },
    }, h('label', null, h('span', null, `New password for ${name}`), pw), saveBtn,
    h('button.linkish', { type: 'button', onclick: () => { resetRow.hidden = true; } }, 'Cancel'))));
    const resetBtn = h('button', { type: 'button', onclick: () => { resetRow.hidden = !resetRow.hidden; if (!resetRow.hidden) pw.focus(); } }, 'Reset password');
    const delBtn = h('button.danger-link', { type: 'button', title: `Delete ${name}` }, 'Delete');
    delBtn.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: `Delete the user “${name}”?`,
        text: `${self ? 'This is your own account: you will be logged out. ' : ''}Its sessions and API tokens stop working now.`,
        confirmLabel: 'Delete user', danger: true,
      });
      if (!yes) return;
      await busy(delBtn, listMsg, async () => {
        await api(`/api/v1/users/${encodeURIComponent(name)}`, { method: 'DELETE' });
        // One's own account is gone, and its session with it: this call answers 401 -> login.
        if (self) await api('/api/v1/me');
        await load();
        listMsg.ok(`User ${name} deleted.`);
      });
    });
    return [
      h('tr', { dataset: { user: name } },
        h('td', null, name, self ? h('span.muted.small', null, ' (you)') : null),
        h('td', null, sel),
        h('td.actions', null, resetBtn, delBtn)),
      resetRow,
    ];
  }

  const nameIn = h('input', { name: 'new_user', required: true, pattern: NAME_PATTERN, maxlength: 64, autocomplete: 'off', spellcheck: 'false', title: '1 to 64 letters, digits or . _ @ -' });
  const pwIn = h('input', { type: 'password', name: 'new_user_password', required: true, minlength: MIN_PASSWORD, autocomplete: 'new-password' });
  const roleIn = roleSelect('user', { name: 'new_user_role' });
  const msg = messageLine('create-msg');
  const btn = h('button.primary', { type: 'submit' }, 'Create user');
  const form = h('form.inline-form.user-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      busy(btn, msg, async () => {
        const name = nameIn.value.trim();
        await api('/api/v1/users', { method: 'POST', body: { name, password: pwIn.value, role: roleIn.value } });
        form.reset();
        roleIn.value = 'user';
        msg.ok(`User ${name} created.`);
        await load();
      });
    },
  },
  h('label', null, h('span', null, 'Name'), nameIn),
  h('label', null, h('span', null, `Password (${MIN_PASSWORD}+ characters)`), pwIn),
  h('label', null, h('span', null, 'Role'), roleIn),
  btn);

  load();
  return h('section.card.account-users', null,
    h('div.card-title', null, 'Users'),
    h('p.muted.small', null, ROLES.map(([, label, help], i) => [i ? ' · ' : '', h('strong', null, label), `: ${help}`])),
    h('div.form-title', null, 'New user'), form, msg.el,
    listMsg.el, listBox);
}

// ---- audit log (admin) ------------------------------------------------------------------------

const AUDIT_KNOWN = new Set(['ts', 'ts_unix', 'action', 'user', 'ip']);

function auditDetails(ev) {
  return Object.entries(ev).filter(([k, v]) => !AUDIT_KNOWN.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('  ');
}

function auditCard(ctx) {
  const userSel = h('select', { name: 'audit_user', 'aria-label': 'Filter by user' });
  const actionSel = h('select', { name: 'audit_action', 'aria-label': 'Filter by action' });
  const count = h('span.muted.small.audit-count');
  const listBox = h('div.table-wrap.audit-box', null, h('p.muted.small', null, 'Loading…'));
  const msg = messageLine();
  let events = [];

  const options = (sel, label, values) => {
    const keep = sel.value;
    append(clear(sel), [h('option', { value: '' }, label), values.map((v) => h('option', { value: v }, v))]);
    sel.value = values.includes(keep) ? keep : '';
  };

  function fill() {
    const u = userSel.value;
    const a = actionSel.value;
    const shown = events.filter((ev) => (!u || ev.user === u) && (!a || ev.action === a));
    count.textContent = `${shown.length} of ${events.length} events${events.length >= AUDIT_LIMIT ? ` (the latest ${AUDIT_LIMIT})` : ''}`;
    clear(listBox);
    if (!shown.length) { listBox.append(h('p.muted.small', null, events.length ? 'No event matches the filter.' : 'The audit log is empty.')); return; }
    listBox.append(h('table.grid.compact.audit', null,
      h('thead', null, h('tr', null, h('th', null, `Time (${tzLabel()})`), h('th', null, 'User'), h('th', null, 'Action'), h('th', null, 'From'), h('th', null, 'Details'))),
      h('tbody', null, shown.map((ev) => h('tr', { dataset: { action: String(ev.action || '') } },
        h('td.mono.nowrap', null, fmtDateTime(typeof ev.ts_unix === 'number' ? ev.ts_unix * 1e6 : usOf(null, ev.ts))),
        h('td.nowrap', null, String(ev.user || '')),
        h('td.nowrap', null, h('span.audit-action', null, String(ev.action || ''))),
        h('td.mono.nowrap', null, String(ev.ip || '')),
        h('td.mono.wrap.small', null, auditDetails(ev)))))));
  }

  async function load() {
    let list;
    try { list = await api(`/api/v1/audit?limit=${AUDIT_LIMIT}`, { signal: ctx.signal }); } catch (e) {
      if (ctx.signal.aborted) return;
      clear(listBox);
      msg.error(e);
      return;
    }
    if (ctx.signal.aborted) return;
    msg.hide();
    events = (Array.isArray(list) ? list : []).filter((ev) => ev && typeof ev === 'object')
      .sort((x, y) => (Number(y.ts_unix) || 0) - (Number(x.ts_unix) || 0));
    const distinct = (k) => [...new Set(events.map((ev) => ev[k]).filter((v) => typeof v === 'string' && v))].sort();
    options(userSel, 'all users', distinct('user'));
    options(actionSel, 'all actions', distinct('action'));
    fill();
  }
  userSel.addEventListener('change', fill);
  actionSel.addEventListener('change', fill);

  load();
  return h('section.card.account-audit', null,
    h('div.card-title', null, 'Audit log'),
    h('p.muted.small', null, 'Logins, user and token changes, and exports, newest first.'),
    h('div.inline-form.audit-filter', null,
      h('label', null, h('span', null, 'User'), userSel),
      h('label', null, h('span', null, 'Action'), actionSel),
      h('button', { type: 'button', onclick: () => load() }, 'Refresh'),
      count),
    msg.el, listBox);
}
