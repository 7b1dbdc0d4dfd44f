// Time range control shared by every page: a preset select plus a custom from/to pair.
// State in the URL hash: range=<preset> or range=custom&since=<ISO>&until=<ISO>.
import { h, tz, toInputValue, fromInputValue } from './dom.js';

export const PRESETS = [
  ['15m', 'Last 15 min', 15 * 60],
  ['1h', 'Last 1 h', 3600],
  ['6h', 'Last 6 h', 6 * 3600],
  ['24h', 'Last 24 h', 24 * 3600],
  ['7d', 'Last 7 days', 7 * 86400],
  ['30d', 'Last 30 days', 30 * 86400],
  ['all', 'All time', null],
  ['custom', 'Custom…', 0],
];

export function presetSeconds(key) {
  const p = PRESETS.find(([k]) => k === key);
  return p ? p[2] : null;
}

// {range, since, until} from the hash query; `def` is the page's default preset.
export function rangeFromQuery(q, def = '1h') {
  const st = {
    range: PRESETS.some(([k]) => k === q.get('range')) ? q.get('range') : def,
    since: q.get('since') || '',
    until: q.get('until') || '',
  };
  if (!q.get('range') && (st.since || st.until)) st.range = 'custom';
  return st;
}

export function rangeToQuery(u, st) {
  u.set('range', st.range);
  if (st.range === 'custom') {
    if (st.since) u.set('since', st.since);
    if (st.until) u.set('until', st.until);
  }
}

// API `since`/`until` parameters (epoch seconds or the ISO text the user chose).
export function rangeApiParams(st) {
  const p = {};
  if (st.range === 'custom') {
    if (st.since) p.since = st.since;
    if (st.until) p.until = st.until;
  } else {
    const secs = presetSeconds(st.range);
    // "All time": since the epoch (the server's default `until` is now + 1 min).
    p.since = secs === null ? 0 : Math.floor(Date.now() / 1000) - secs;
  }
  return p;
}

function parseWhen(v) {
  if (!v) return null;
  const d = new Date(isNaN(Number(v)) ? v : Number(v) * 1000);
  return Number.isNaN(d.getTime()) ? null : d;
}

// Range as µs bounds: {sinceUs, untilUs}; sinceUs is null for "all time".
export function rangeBoundsUs(st) {
  const now = Date.now() * 1000;
  if (st.range === 'custom') {
    const a = parseWhen(st.since);
    const b = parseWhen(st.until);
    return { sinceUs: a ? a.getTime() * 1000 : now - 86400e6, untilUs: b ? b.getTime() * 1000 : now };
  }
  const secs = presetSeconds(st.range);
  return { sinceUs: secs === null ? null : now - secs * 1e6, untilUs: now };
}

// The select + custom inputs. Returns {nodes, read(), fill(st)}; `select[name=range]`.
export function rangeControl() {
  const rangeSel = h('select', { name: 'range', 'aria-label': 'Time range' },
    PRESETS.map(([k, label]) => h('option', { value: k }, label)));
  const sinceIn = h('input', { type: 'datetime-local', step: 1, name: 'since', 'aria-label': 'From' });
  const untilIn = h('input', { type: 'datetime-local', step: 1, name: 'until', 'aria-label': 'To' });
  const tzNote = h('span.muted.small');
  const custom = h('span.custom-range', null, sinceIn, h('span.muted', null, '→'), untilIn, tzNote);
  let lastPreset = '1h';
  rangeSel.addEventListener('change', () => {
    custom.hidden = rangeSel.value !== 'custom';
    if (rangeSel.value !== 'custom') { lastPreset = rangeSel.value; return; }
    if (!sinceIn.value) {
      // Start from the preset that was selected, so "custom" refines it.
      const secs = presetSeconds(lastPreset) || 3600;
      sinceIn.value = toInputValue(new Date(Date.now() - secs * 1000));
      untilIn.value = toInputValue(new Date());
    }
    sinceIn.focus();
  });
  return {
    nodes: [h('label.inline', null, h('span', null, 'Time'), rangeSel), custom],
    select: rangeSel,
    read() {
      const st = { range: rangeSel.value, since: '', until: '' };
      if (st.range === 'custom') {
        const a = fromInputValue(sinceIn.value);
        const b = fromInputValue(untilIn.value);
        st.since = a ? a.toISOString() : '';
        st.until = b ? b.toISOString() : '';
      }
      return st;
    },
    fill(st) {
      rangeSel.value = st.range;
      if (st.range !== 'custom') lastPreset = st.range;
      custom.hidden = st.range !== 'custom';
      const a = parseWhen(st.since);
      const b = parseWhen(st.until);
      sinceIn.value = a ? toInputValue(a) : '';
      untilIn.value = b ? toInputValue(b) : '';
      tzNote.textContent = tz.utc ? 'UTC' : 'local time';
    },
  };
}
