// Small DOM helpers. Every piece of data goes through text nodes: never innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('div.cls1.cls2', {attr: v, onclick: fn}, child, 'text', [children]...)
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

// Same for SVG elements.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// ---- time formatting -------------------------------------------------------

let useUtc = localStorage.getItem('argos.utc') === '1';
export const tz = {
  get utc() { return useUtc; },
  set utc(v) { useUtc = !!v; localStorage.setItem('argos.utc', v ? '1' : '0'); },
};

const p2 = (n) => String(n).padStart(2, '0');
const p3 = (n) => String(n).padStart(3, '0');

function parts(d) {
  return useUtc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
}

// Microseconds since the epoch from a message/call, preferring the *_us field.
export function usOf(us, iso) {
  if (typeof us === 'number' && us > 0) return us;
  if (typeof iso === 'string' && iso) {
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) {
      const m = /\.(\d+)/.exec(iso);
      const frac = m ? Number((m[1] + '000000').slice(0, 6)) % 1000 : 0;
      return t * 1000 + frac;
    }
  }
  return null;
}

// Short label of the zone times are shown in.
export function tzLabel() { return useUtc ? 'UTC' : 'local'; }

export function fmtDateTime(us) {
  if (us === null || us === undefined) return '';
  const [y, mo, d, hh, mm, ss, ms] = parts(new Date(Math.floor(us / 1000)));
  return `${y}-${p2(mo)}-${p2(d)} ${p2(hh)}:${p2(mm)}:${p2(ss)}.${p3(ms)}`;
}

export function fmtTime(us) {
  if (us === null || us === undefined) return '';
  const [, , , hh, mm, ss, ms] = parts(new Date(Math.floor(us / 1000)));
  return `${p2(hh)}:${p2(mm)}:${p2(ss)}.${p3(ms)}`;
}

// Full precision, for the message details.
export function fmtDateTimeUs(us) {
  if (us === null || us === undefined) return '';
  const base = fmtDateTime(us);
  const micro = String(Math.abs(us) % 1000).padStart(3, '0');
  return base + micro + (useUtc ? ' UTC' : '');
}

export function fmtDelta(us) {
  if (us === null || us === undefined || Number.isNaN(us)) return '';
  const ms = us / 1000;
  if (Math.abs(ms) < 1000) return `+${ms.toFixed(ms < 10 ? 3 : 1).replace(/\.?0+$/, '') || '0'} ms`;
  return `+${(ms / 1000).toFixed(3)} s`;
}

export function fmtDuration(us) {
  if (us === null || us === undefined || us < 0) return '';
  const ms = us / 1000;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec.toFixed(1)} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} m ${p2(Math.floor(sec % 60))} s`;
  return `${Math.floor(m / 60)} h ${p2(m % 60)} m`;
}

// datetime-local input value <-> Date, in the chosen time zone.
export function toInputValue(date) {
  const [y, mo, d, hh, mm, ss] = parts(date);
  return `${y}-${p2(mo)}-${p2(d)}T${p2(hh)}:${p2(mm)}:${p2(ss)}`;
}

export function fromInputValue(v) {
  if (!v) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(v);
  if (!m) return null;
  const n = m.slice(1, 7).map((x) => Number(x || 0));
  const ms = m[7] ? Number((m[7] + '00').slice(0, 3)) : 0;
  const d = useUtc
    ? new Date(Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5], ms))
    : new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5], ms);
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---- SIP display helpers -----------------------------------------------------

export function statusClass(status) {
  const n = Number(status);
  if (!status || !Number.isFinite(n)) return 'st-none';
  if (n >= 500) return 'st-5xx';
  if (n >= 400) return 'st-4xx';
  if (n >= 300) return 'st-3xx';
  if (n >= 200) return 'st-2xx';
  return 'st-1xx';
}

export function msgLabel(m) {
  if (m.method) return m.method;
  if (m.status) return m.reason ? `${m.status} ${m.reason}` : String(m.status);
  return (m.proto_name || 'packet').toUpperCase();
}

export function hostOf(ip, port) {
  if (!ip) return '?';
  const a = String(ip).includes(':') ? `[${ip}]` : String(ip);
  return port || port === 0 ? `${a}:${port}` : a;
}

export function isSdp(m) {
  return typeof m.content_type === 'string' && /application\/sdp/i.test(m.content_type);
}

// ---- call tracker display helpers ----------------------------------------------

// Call record status: [value, label, colour class] (answered green, busy-ish amber, failures red, live blue).
export const CALL_STATUSES = [
  ['trying', 'trying', 'cs-live'],
  ['ringing', 'ringing', 'cs-live'],
  ['in_call', 'in call', 'cs-live'],
  ['answered', 'answered', 'cs-ok'],
  ['busy', 'busy', 'cs-warn'],
  ['cancelled', 'cancelled', 'cs-warn'],
  ['no_answer', 'no answer', 'cs-warn'],
  ['rejected', 'rejected', 'cs-bad'],
  ['failed', 'failed', 'cs-bad'],
  ['timeout', 'timeout', 'cs-bad'],
];

export function callStatusBadge(status) {
  const st = CALL_STATUSES.find(([v]) => v === status);
  if (!st) return h('span.cstat.cs-none', null, status ? String(status) : '—');
  return h(`span.cstat.${st[2]}`, { dataset: { status: st[0] } }, st[1]);
}

// Registration status: registered green, expired/unregistered grey, failed red, pending amber.
export const REG_STATUSES = [
  ['registered', 'registered', 'cs-ok'],
  ['pending', 'pending', 'cs-warn'],
  ['failed', 'failed', 'cs-bad'],
  ['expired', 'expired', 'cs-grey'],
  ['unregistered', 'unregistered', 'cs-grey'],
];

export function regStatusBadge(status) {
  const st = REG_STATUSES.find(([v]) => v === status);
  if (!st) return h('span.cstat.cs-none', null, status ? String(status) : '—');
  return h(`span.cstat.${st[2]}`, { dataset: { status: st[0] } }, st[1]);
}

export const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// 83000 ms -> "1:23", 3723000 -> "1:02:03".
export function fmtMmSs(ms) {
  if (num(ms) === null || ms < 0) return '';
  const t = Math.round(ms / 1000);
  const hh = Math.floor(t / 3600);
  const mm = Math.floor((t % 3600) / 60);
  return hh ? `${hh}:${p2(mm)}:${p2(t % 60)}` : `${mm}:${p2(t % 60)}`;
}

// Seconds as a short span: "45 s", "12 min", "3 h 05 min", "2 d 4 h".
export function fmtSpan(sec) {
  const s = Math.abs(Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${p2(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${p2(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

// Compact time for dense tables: "14:03:22" today, "11-24 14:03" otherwise.
export function fmtShort(us) {
  if (us === null || us === undefined) return '';
  const [y, mo, d, hh, mm, ss] = parts(new Date(Math.floor(us / 1000)));
  const [ty, tmo, td] = parts(new Date());
  if (y === ty && mo === tmo && d === td) return `${p2(hh)}:${p2(mm)}:${p2(ss)}`;
  return y === ty ? `${p2(mo)}-${p2(d)} ${p2(hh)}:${p2(mm)}` : `${y}-${p2(mo)}-${p2(d)} ${p2(hh)}:${p2(mm)}`;
}

// "5 min ago" for a past µs time.
export function fmtAgo(us, nowUs = Date.now() * 1000) {
  if (num(us) === null) return '';
  const d = (nowUs - us) / 1e6;
  return d >= 0 ? `${fmtSpan(d)} ago` : `in ${fmtSpan(-d)}`;
}

// ---- dialogs and clipboard ----------------------------------------------------------

/**
 * Ask before a destructive action, in a modal <dialog> (not window.confirm: it blocks the page
 * and cannot be styled). Resolves true for the confirm button, false for Cancel or Escape.
 */
export function confirmDialog({ title, text, confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    const ok = h(`button${danger ? '.danger' : '.primary'}`, { type: 'submit', value: 'ok' }, confirmLabel);
    const dlg = h('dialog.confirm-dialog', { 'aria-label': title },
      h('form', { method: 'dialog' },
        h('h2', null, title),
        text ? h('p', null, text) : null,
        h('div.dialog-buttons', null,
          h('button', { type: 'submit', value: 'cancel' }, 'Cancel'),
          ok)));
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
    ok.focus();
  });
}

/** Copy text to the clipboard; falls back to a hidden textarea where the Clipboard API is refused. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea.offscreen', { readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}
