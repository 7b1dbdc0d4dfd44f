// Call page additions: the tracker's record of the call ("Summary") and its findings ("Diagnosis").
// Both come with GET /api/v1/calls/{id} as `record` and `diagnosis`; an older server sends neither.
import { h, fmtDateTime, fmtDelta, fmtDuration, callStatusBadge, statusClass, num } from './dom.js';

// The usual ITU-T Q.850 cause values.
const Q850 = {
  1: 'Unallocated number', 3: 'No route to destination', 16: 'Normal call clearing', 17: 'User busy',
  18: 'No user responding', 19: 'No answer from user', 20: 'Subscriber absent', 21: 'Call rejected',
  22: 'Number changed', 27: 'Destination out of order', 28: 'Invalid number format', 29: 'Facility rejected',
  31: 'Normal, unspecified', 34: 'No circuit/channel available', 38: 'Network out of order',
  41: 'Temporary failure', 42: 'Switching equipment congestion', 44: 'Requested channel not available',
  47: 'Resource unavailable', 50: 'Facility not subscribed', 55: 'Incoming calls barred', 57: 'Bearer capability not authorized',
  58: 'Bearer capability not available', 65: 'Bearer capability not implemented', 69: 'Facility not implemented',
  79: 'Service not implemented', 88: 'Incompatible destination', 102: 'Recovery on timer expiry',
  111: 'Protocol error', 127: 'Interworking, unspecified',
};

const LEVELS = {
  problem: ['✖', 'Problem'],
  warning: ['▲', 'Warning'],
  info: ['ℹ', 'Info'],
};

const ms = (v) => (num(v) === null ? null : `${Math.round(v).toLocaleString()} ms`);

// dl rows from [label, value] pairs, skipping empty values.
function group(title, pairs) {
  const dl = h('dl');
  for (const [k, v, title2] of pairs) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) continue;
    dl.append(h('dt', null, k), h('dd', { title: title2 || null }, v));
  }
  if (!dl.childNodes.length) return null;
  return h('div.sum-group', null, h('h3', null, title), dl);
}

function media(side) {
  if (!side || typeof side !== 'object') return null;
  const codecs = Array.isArray(side.codecs) ? side.codecs.map(String) : [];
  return [h('span.mono', null, String(side.addr || '?')), codecs.length ? h('span.muted', null, `  ${codecs.join(', ')}`) : null];
}

// A time of the call: relative to its start (the full time in the tooltip).
function at(rec, us) {
  if (num(us) === null) return null;
  if (num(rec.start_us) === null || us === rec.start_us) return h('span.mono', { title: fmtDateTime(us) }, fmtDateTime(us).slice(11));
  return h('span.mono', { title: fmtDateTime(us) }, fmtDelta(us - rec.start_us));
}

// The Summary box; null when there is no record.
export function summaryBox(rec) {
  if (!rec || typeof rec !== 'object') return null;
  const code = rec.final_code
    ? h(`span.status.${statusClass(rec.final_code)}`, null, `${rec.final_code}${rec.final_reason ? ` ${rec.final_reason}` : ''}`)
    : null;
  const cause = num(rec.q850_cause) !== null ? `${rec.q850_cause} ${Q850[rec.q850_cause] || ''}`.trim() : null;
  const hang = rec.hangup_by === 'caller' ? 'caller' : rec.hangup_by === 'callee' ? 'callee' : rec.hangup_by ? String(rec.hangup_by) : null;
  const legs = Array.isArray(rec.legs) ? rec.legs : [];
  const groups = [
    group('Outcome', [
      ['Status', [callStatusBadge(rec.status), code ? ' ' : null, code]],
      ['Hung up by', hang],
      ['Q.850 cause', cause],
      ['Reason', rec.reason_header ? h('span.mono', null, String(rec.reason_header)) : null],
      ['Legs', legs.length ? `${legs.length} · ${num(rec.messages) ?? '?'} messages` : null,
        legs.map((l) => `${l.call_id}  ${l.src} → ${l.dst}${l.final_code ? `  ${l.final_code}` : ''}`).join('\n')],
    ]),
    group('Timing', [
      ['Start', at(rec, rec.start_us)],
      ['Ringing', at(rec, rec.ringing_us)],
      ['Answer', at(rec, rec.answer_us)],
      ['End', at(rec, rec.end_us)],
      ['PDD', ms(rec.pdd_ms), 'Post-dial delay: INVITE to first 18x (or to the final answer)'],
      ['Setup', ms(rec.setup_ms), 'INVITE to 2xx'],
      ['Duration', num(rec.duration_ms) !== null ? fmtDuration(rec.duration_ms * 1000) : null, 'Talk time: 2xx to first BYE'],
    ]),
    group('Media', [
      ['Offer', media(rec.offer)],
      ['Answer', media(rec.answer)],
      ['Codec', rec.codec ? String(rec.codec) : null],
      ['MOS', num(rec.mos) !== null ? rec.mos.toFixed(2) : null, 'Lowest MOS reported for the call'],
    ]),
    group('Endpoints', [
      ['Caller', rec.src_ip ? h('span.mono', null, String(rec.src_ip)) : null],
      ['Callee', rec.dst_ip ? h('span.mono', null, String(rec.dst_ip)) : null],
      ['Caller UA', rec.caller_ua ? String(rec.caller_ua) : null],
      ['Callee UA', rec.callee_ua ? String(rec.callee_ua) : null],
      ['Node', rec.node ? `${rec.node}${rec.capture_id ? ` (capture id ${rec.capture_id})` : ''}` : (rec.capture_id ? `capture id ${rec.capture_id}` : null)],
      ['INVITE retrans.', rec.invite_retransmissions ? String(rec.invite_retransmissions) : null],
      ['Re-INVITEs', rec.reinvites ? String(rec.reinvites) : null],
    ]),
  ].filter(Boolean);
  return h('section.card.call-summary', { 'aria-label': 'Call summary' },
    h('div.card-title', null, 'Summary'),
    h('div.sum-groups', null, groups));
}

// The Diagnosis list; onPick(message_ids) when a finding with messages is clicked.
export function diagnosisBox(list, { onPick, hasRecord }) {
  if (!Array.isArray(list)) return null;
  const box = h('section.card.diagnosis', { 'aria-label': 'Diagnosis' }, h('div.card-title', null, 'Diagnosis'));
  if (!list.length) {
    box.append(h('p.diag-none', null, h('span.lvl.ok', { 'aria-hidden': 'true' }, '✓'),
      hasRecord ? 'Nothing unusual found in this call.' : 'No findings.'));
    return box;
  }
  const order = { problem: 0, warning: 1, info: 2 };
  const sorted = list.slice().sort((a, b) => (order[a.level] ?? 3) - (order[b.level] ?? 3));
  const ul = h('ul.findings');
  let active = null;
  for (const f of sorted) {
    const [icon, word] = LEVELS[f.level] || ['•', String(f.level || '')];
    const ids = Array.isArray(f.message_ids) ? f.message_ids : [];
    const li = h(`li.finding.lvl-${LEVELS[f.level] ? f.level : 'info'}`, {
      tabindex: ids.length ? 0 : null,
      title: ids.length ? `${word}: click to show the ${ids.length === 1 ? 'message' : `${ids.length} messages`} in the call flow` : word,
      dataset: { code: String(f.code || '') },
    },
    h('span.lvl', { 'aria-label': word }, icon),
    h('span.text', null, String(f.text || f.code || '')),
    ids.length ? h('span.msgs', null, ids.length === 1 ? '1 msg' : `${ids.length} msgs`) : null);
    if (ids.length && onPick) {
      const pick = () => {
        if (active) active.classList.remove('active');
        active = li;
        li.classList.add('active');
        onPick(ids);
      };
      li.addEventListener('click', pick);
      li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); } });
    }
    ul.append(li);
  }
  box.append(ul);
  return box;
}
