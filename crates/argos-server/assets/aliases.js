// Host aliases: "IP:port" (or "IP") -> a name the team knows ("SBC-1"), kept in this browser's
// localStorage and shown in the ladder header and the message list of every call.
import { h } from './dom.js';

const KEY = 'argos.aliases';
const MAX_NAME = 40;

// Parsed once per stored text: tables look aliases up for every row.
let cache = { raw: null, map: {} };
function load() {
  const raw = localStorage.getItem(KEY) || '{}';
  if (raw === cache.raw) return cache.map;
  let map = {};
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) map = v;
  } catch { map = {}; }
  cache = { raw, map };
  return map;
}

/** All aliases: { "10.0.0.1:5060": "SBC-1", "10.0.0.2": "PBX" } (a copy). */
export function allAliases() { return { ...load() }; }

function save(map) {
  const clean = {};
  for (const [k, v] of Object.entries(map)) {
    const name = String(v || '').trim().slice(0, MAX_NAME);
    if (k && name) clean[k] = name;
  }
  localStorage.setItem(KEY, JSON.stringify(clean));
}

// "[2001:db8::1]:5060" -> "2001:db8::1", "10.0.0.1:5060" -> "10.0.0.1".
function ipOf(host) {
  const s = String(host);
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (v6) return v6[1];
  const m = /^([^:]+):\d+$/.exec(s);
  return m ? m[1] : s;
}

/** The alias of a host column ("IP:port" first, then the bare IP), or ''. */
export function aliasOf(host, map = load()) {
  if (!host) return '';
  const s = String(host);
  return map[s] || map[ipOf(s)] || '';
}

/** "SBC-1 (10.0.0.1:5060)" when aliased, else the address. */
export function hostLabel(host, map = load()) {
  const a = aliasOf(host, map);
  return a ? `${a} (${host})` : String(host);
}

/** Modal dialog editing the aliases of `hosts`; onSave() after a change. */
export function openAliasDialog(hosts, onSave) {
  const map = allAliases();
  const rows = hosts.map((host) => {
    const exact = map[host] !== undefined;
    const shown = exact ? map[host] : (map[ipOf(host)] || '');
    const input = h('input', {
      value: shown,
      placeholder: 'name, e.g. SBC-1',
      maxlength: MAX_NAME,
      spellcheck: 'false',
      'aria-label': `Alias for ${host}`,
      dataset: { host },
    });
    const wholeIp = h('input', { type: 'checkbox', checked: !exact && !!map[ipOf(host)], title: 'Apply to every port of this IP' });
    return { host, input, wholeIp, shown, tr: h('tr', null, h('td.mono', null, host), h('td', null, input),
      h('td', null, h('label.small', null, wholeIp, ' all ports'))) };
  });
  const dlg = h('dialog.alias-dialog', { 'aria-label': 'Host aliases' });
  const close = () => { dlg.close(); dlg.remove(); };
  const form = h('form', {
    method: 'dialog',
    onsubmit: (ev) => {
      ev.preventDefault();
      const next = allAliases();
      for (const r of rows) {
        const name = r.input.value.trim();
        const ip = ipOf(r.host);
        delete next[r.host];
        if (r.wholeIp.checked) { if (name) next[ip] = name; else delete next[ip]; } else if (name) next[r.host] = name;
        else if (next[ip] && next[ip] === r.shown) delete next[ip]; // the IP-wide name shown here was cleared
      }
      save(next);
      close();
      if (onSave) onSave();
    },
  },
  h('h2', null, 'Host aliases'),
  h('p.muted.small', null, 'Names are kept in this browser only. Leave empty to show the address.'),
  h('table.alias-table', null, h('tbody', null, rows.map((r) => r.tr))),
  h('div.dialog-buttons', null,
    h('button', { type: 'button', onclick: close }, 'Cancel'),
    h('button.primary', { type: 'submit' }, 'Save')));
  dlg.append(form);
  dlg.addEventListener('cancel', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  if (rows.length) rows[0].input.focus();
  return dlg;
}

