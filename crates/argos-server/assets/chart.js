// Small time-series charts as inline SVG (no library, attributes and CSS classes only: CSP friendly).
// Colours come from app.css (.chart .s0 ... .s7); data goes into text nodes only.
import { h, s, tz } from './dom.js';

const M = { l: 48, r: 14, t: 22, b: 24 }; // plot margins
const CHAR_W = 6.4;                          // approx. width of one 11px sans character
export const SERIES_CLASSES = 8;

// Nice upper bound and step for a y axis from 0 to max.
function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];
const p2 = (n) => String(n).padStart(2, '0');

function clockParts(us) {
  const d = new Date(Math.floor(us / 1000));
  return tz.utc
    ? { mo: d.getUTCMonth() + 1, d: d.getUTCDate(), hh: d.getUTCHours(), mm: d.getUTCMinutes(), ss: d.getUTCSeconds() }
    : { mo: d.getMonth() + 1, d: d.getDate(), hh: d.getHours(), mm: d.getMinutes(), ss: d.getSeconds() };
}

// Label of a time: seconds when the step is under a minute, the date at midnight / for day steps.
export function timeLabel(us, stepS, full = false) {
  const p = clockParts(us);
  const day = `${p2(p.mo)}-${p2(p.d)}`;
  const hm = `${p2(p.hh)}:${p2(p.mm)}`;
  if (full) return `${day} ${hm}${stepS < 60 ? `:${p2(p.ss)}` : ''}`;
  if (stepS >= 86400) return day;
  if (stepS < 60) return `${hm}:${p2(p.ss)}`;
  return p.hh === 0 && p.mm === 0 ? day : hm;
}

function timeTicks(x0, x1, plotW) {
  const spanS = (x1 - x0) / 1e6;
  const want = Math.max(2, Math.floor(plotW / 90));
  const step = TIME_STEPS.find((st) => spanS / st <= want) || TIME_STEPS[TIME_STEPS.length - 1];
  const stepUs = step * 1e6;
  // Align ticks to round times of the zone the user reads (local or UTC).
  const off = tz.utc ? 0 : -new Date(x0 / 1000).getTimezoneOffset() * 60e6;
  const ticks = [];
  for (let t = Math.ceil((x0 + off) / stepUs) * stepUs - off; t <= x1 && ticks.length < 200; t += stepUs) ticks.push(t);
  return { ticks, step };
}

// opts: {width, height, x0, x1 (µs), bucketUs, series: [{name, points: [[tsUs, v|null]], kind: 'line'|'bar', cls}],
//        yMax (fixed top, e.g. 100 for %), unit, fmt(v) -> text, empty}
// Returns an SVG element (class chart-svg) with a hover read-out.
export function timeChart(opts) {
  const W = Math.max(260, Math.floor(opts.width || 600));
  const H = opts.height || 180;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const x0 = opts.x0;
  const x1 = Math.max(opts.x1, x0 + 1);
  const bucket = opts.bucketUs || 60e6;
  const fmt = opts.fmt || ((v) => fmtNum(v));
  const series = opts.series.map((sr, i) => ({ ...sr, cls: sr.cls || `s${i % SERIES_CLASSES}`, map: new Map(sr.points.map(([t, v]) => [t, v])) }));
  const xOf = (t) => M.l + ((t - x0) / (x1 - x0)) * pw;

  let max = 0;
  for (const sr of series) for (const [, v] of sr.points) if (typeof v === 'number' && v > max) max = v;
  const y = opts.yMax ? { max: opts.yMax, step: opts.yMax / 4 } : niceScale(max);
  const yOf = (v) => M.t + ph - (Math.min(v, y.max) / y.max) * ph;

  const svg = s('svg', { class: 'chart-svg', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': opts.label || 'chart' });
  const grid = s('g', { class: 'grid' });
  for (let v = 0; v <= y.max + 1e-9; v += y.step) {
    const yy = Math.round(yOf(v)) + 0.5;
    grid.append(s('line', { x1: M.l, x2: W - M.r, y1: yy, y2: yy, class: v === 0 ? 'base' : null }),
      s('text', { x: M.l - 6, y: yy + 3.5, 'text-anchor': 'end', class: 'ytick' }, fmt(v)));
  }
  const { ticks, step } = timeTicks(x0, x1, pw);
  for (const t of ticks) {
    const xx = Math.round(xOf(t)) + 0.5;
    const label = timeLabel(t, step);
    const half = (label.length * CHAR_W) / 2;
    // Keep the first and last labels inside the chart.
    const [lx, anchor] = xx + half > W - 2 ? [W - 2, 'end'] : xx - half < 2 ? [2, 'start'] : [xx, 'middle'];
    grid.append(s('line', { x1: xx, x2: xx, y1: M.t + ph, y2: M.t + ph + 4, class: 'xtickmark' }),
      s('text', { x: lx, y: H - 6, 'text-anchor': anchor, class: 'xtick' }, label));
  }
  if (opts.unit) grid.append(s('text', { x: M.l - 6, y: 10, 'text-anchor': 'end', class: 'unit' }, opts.unit));
  svg.append(grid);

  const plot = s('g', { class: 'plot' });
  const clipId = `clip${Math.random().toString(36).slice(2, 9)}`;
  svg.append(s('defs', null, s('clipPath', { id: clipId }, s('rect', { x: M.l, y: M.t - 2, width: pw, height: ph + 2 }))));
  plot.setAttribute('clip-path', `url(#${clipId})`);

  // Bars: side by side inside their bucket when there is room, else overlaid.
  const bars = series.filter((sr) => sr.kind === 'bar');
  const bucketPx = (bucket / (x1 - x0)) * pw;
  const side = bars.length > 1 && bucketPx >= 3 * bars.length;
  bars.forEach((sr, k) => {
    const g = s('g', { class: `series bar ${sr.cls}` });
    const bw = Math.max(1, side ? (bucketPx * 0.84) / bars.length : bucketPx * 0.84);
    for (const [t, v] of sr.points) {
      if (typeof v !== 'number' || v <= 0) continue;
      const xx = xOf(t) + bucketPx * 0.08 + (side ? k * bw : 0);
      const yy = yOf(v);
      g.append(s('rect', { x: xx.toFixed(1), y: yy.toFixed(1), width: bw.toFixed(1), height: Math.max(0.5, M.t + ph - yy).toFixed(1) }));
    }
    plot.append(g);
  });

  // Lines through bucket centres; a null breaks the line, a lone point gets a dot.
  for (const sr of series.filter((x) => x.kind !== 'bar')) {
    const g = s('g', { class: `series line ${sr.cls}` });
    const pts = sr.points.slice().sort((a, b) => a[0] - b[0]);
    const dots = pts.filter(([, v]) => typeof v === 'number').length <= 40;
    let d = '';
    let run = [];
    const flush = () => {
      if (run.length === 1 && !dots) g.append(s('circle', { class: 'dot', cx: run[0][0].toFixed(1), cy: run[0][1].toFixed(1), r: 2.5 }));
      else if (run.length > 1) d += `M${run.map(([a, b]) => `${a.toFixed(1)} ${b.toFixed(1)}`).join('L')}`;
      run = [];
    };
    let prevT = null;
    for (const [t, v] of pts) {
      // A gap of missing buckets breaks the line too, unless the series is zero-filled.
      if (typeof v !== 'number' || (prevT !== null && t - prevT > bucket * 1.5 && !sr.dense)) flush();
      if (typeof v === 'number') run.push([xOf(t + bucket / 2), yOf(v)]);
      prevT = t;
    }
    flush();
    if (d) g.prepend(s('path', { d }));
    if (dots) {
      for (const [t, v] of pts) if (typeof v === 'number') g.append(s('circle', { class: 'dot', cx: xOf(t + bucket / 2).toFixed(1), cy: yOf(v).toFixed(1), r: 2 }));
    }
    plot.append(g);
  }
  svg.append(plot);

  // No data: no value at all, or only the zeros a count series was filled with.
  if (!series.some((sr) => sr.points.some(([, v]) => typeof v === 'number' && (!sr.dense || v !== 0)))) {
    svg.append(s('text', { x: M.l + pw / 2, y: M.t + ph / 2, 'text-anchor': 'middle', class: 'nodata' }, opts.empty || 'no data in this range'));
    return svg;
  }

  // Hover read-out: a cursor line on the bucket and a box listing each series' value.
  const cursor = s('line', { class: 'cursor', y1: M.t, y2: M.t + ph, x1: 0, x2: 0, visibility: 'hidden' });
  const tip = s('g', { class: 'tip', visibility: 'hidden' });
  const hit = s('rect', { class: 'hit', x: M.l, y: M.t, width: pw, height: ph });
  svg.append(cursor, tip, hit);
  hit.addEventListener('mousemove', (ev) => {
    const box = svg.getBoundingClientRect();
    const px = ev.clientX - box.left;
    const t = x0 + ((px - M.l) / pw) * (x1 - x0);
    const b = Math.floor(t / bucket) * bucket;
    const cx = xOf(b + bucket / 2);
    cursor.setAttribute('x1', cx.toFixed(1));
    cursor.setAttribute('x2', cx.toFixed(1));
    cursor.setAttribute('visibility', 'visible');
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    const lines = [[null, timeLabel(b, bucket / 1e6, true)]];
    for (const sr of series) {
      const v = sr.map.get(b);
      lines.push([sr.cls, `${sr.name}: ${typeof v === 'number' ? fmt(v) : sr.dense ? fmt(0) : '—'}`]);
    }
    const tw = Math.max(...lines.map(([, txt]) => txt.length)) * CHAR_W + 24;
    const th = lines.length * 15 + 8;
    const tx = cx + 12 + tw > W ? cx - 12 - tw : cx + 12;
    const ty = Math.max(2, Math.min(H - th - 2, ev.clientY - box.top - th / 2));
    tip.setAttribute('transform', `translate(${tx.toFixed(1)} ${ty.toFixed(1)})`);
    tip.append(s('rect', { width: tw.toFixed(1), height: th, rx: 4 }));
    lines.forEach(([cls, txt], i) => {
      if (cls) tip.append(s('rect', { class: `key ${cls}`, x: 8, y: 8 + i * 15 - 1, width: 8, height: 8, rx: 2 }));
      tip.append(s('text', { x: cls ? 21 : 8, y: 15 + i * 15, class: cls ? null : 'tip-head' }, txt));
    });
    tip.setAttribute('visibility', 'visible');
  });
  hit.addEventListener('mouseleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    tip.setAttribute('visibility', 'hidden');
  });
  return svg;
}

// HTML legend for a chart's series.
export function legend(series) {
  return h('ul.chart-legend', null, series.map((sr, i) => h(`li.${sr.cls || `s${i % SERIES_CLASSES}`}`, { title: sr.title || sr.name },
    h('span.sw', { 'aria-hidden': 'true' }), h('span.name', null, sr.name))));
}

export function fmtNum(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(+v.toFixed(a >= 10 ? 1 : 2));
}
