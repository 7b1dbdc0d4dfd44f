// Call exports: all messages as text, the flow as SVG or PNG, a JSON bundle (detail + QoS + diagnosis).
// Files are built in the page and saved through a blob: link (a download, not an image load).
import { h, usOf, fmtDateTimeUs, hostOf } from './dom.js';
import { api } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
// Computed CSS properties copied onto each exported SVG element (the file has no stylesheet).
const SVG_PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity',
  'font-family', 'font-size', 'font-weight', 'font-style', 'text-transform', 'color', 'visibility'];

/** Save `data` (string or Blob) as a file called `name`. */
export function saveFile(name, data, type = 'text/plain;charset=utf-8') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Every message as plain text: a header line (time, direction, transport) then the raw message. */
export function callText(callKey, messages, label = (x) => x) {
  const out = [`Call ${callKey} — ${messages.length} messages`, ''];
  messages.forEach((m, i) => {
    const us = usOf(m.ts_us, m.ts);
    out.push(`=== ${i + 1}/${messages.length} ${fmtDateTimeUs(us)} ${label(hostOf(m.src_ip, m.src_port))} -> `
      + `${label(hostOf(m.dst_ip, m.dst_port))} ${(m.transport || '').toUpperCase()} ${m.proto_name || ''}`.trimEnd());
    out.push(typeof m.raw === 'string' ? m.raw.replace(/\r\n/g, '\n').replace(/\n$/, '') : '(no raw payload)');
    out.push('');
  });
  return out.join('\n');
}

// Copy the computed style of each source element onto its clone as presentation attributes.
function inlineStyles(src, dst) {
  const cs = getComputedStyle(src);
  for (const p of SVG_PROPS) {
    const v = cs.getPropertyValue(p);
    if ((v && v !== 'normal' && v !== 'none') || p === 'fill' || p === 'stroke') dst.setAttribute(p, v);
  }
  if (cs.textTransform === 'uppercase' && src.textContent) dst.textContent = src.textContent.toUpperCase();
  // Row backgrounds show the page's selection and hover: not part of the exported flow.
  if (src.classList && src.classList.contains('rowbg')) dst.setAttribute('fill', 'none');
  const sk = src.children;
  const dk = dst.children;
  for (let i = 0; i < sk.length && i < dk.length; i += 1) inlineStyles(sk[i], dk[i]);
}

/** One standalone SVG document of the ladder: host header above the message rows, styles inlined. */
export function ladderSvg(ladderRoot) {
  const head = ladderRoot.querySelector('svg.ladder-head-svg');
  const body = ladderRoot.querySelector('svg.ladder-svg');
  if (!head || !body) return null;
  const W = Number(body.getAttribute('width')) || body.getBoundingClientRect().width;
  const hh = Number(head.getAttribute('height')) || 46;
  const bh = Number(body.getAttribute('height')) || body.getBoundingClientRect().height;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(hh + bh));
  svg.setAttribute('viewBox', `0 0 ${W} ${hh + bh}`);
  const bg = document.createElementNS(SVG_NS, 'rect');
  for (const [k, v] of Object.entries({ x: 0, y: 0, width: W, height: hh + bh, fill: '#ffffff' })) bg.setAttribute(k, String(v));
  svg.append(bg);
  const place = (el, y) => {
    const g = document.createElementNS(SVG_NS, 'g');
    g.setAttribute('transform', `translate(0 ${y})`);
    const clone = el.cloneNode(true);
    inlineStyles(el, clone);
    // Children only: the outer <svg> of the page is replaced by the group.
    for (const k of [...clone.childNodes]) g.append(k);
    for (const p of SVG_PROPS) if (clone.getAttribute(p)) g.setAttribute(p, clone.getAttribute(p));
    return g;
  };
  svg.append(place(head, 0), place(body, hh));
  return { text: '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg), width: W, height: hh + bh };
}

/** PNG of the ladder: the SVG drawn on a canvas (a data: image: allowed by the CSP's img-src). */
export function ladderPng(ladderRoot) {
  const svg = ladderSvg(ladderRoot);
  if (!svg) return Promise.reject(new Error('no ladder to export'));
  // Canvas size limits in browsers are ~16k px a side and ~268M px in all.
  const scale = Math.max(0.1, Math.min(2, 16000 / svg.width, 16000 / svg.height, Math.sqrt(2.5e8 / (svg.width * svg.height))));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(svg.width * scale);
      canvas.height = Math.ceil(svg.height * scale);
      const g = canvas.getContext('2d');
      g.scale(scale, scale);
      g.drawImage(img, 0, 0);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png');
    };
    img.onerror = () => reject(new Error('the browser could not draw the flow'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.text)}`;
  });
}

/** JSON bundle: the call detail (messages, record, diagnosis) and its QoS answer (null when none). */
export async function callBundle(callId, detail, signal) {
  let qos = null;
  try {
    qos = await api(`/api/v1/calls/${encodeURIComponent(callId)}/qos`, { signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    qos = { error: e && e.message ? e.message : String(e) };
  }
  return {
    format: 'argos-call-bundle/1',
    exported_at: new Date().toISOString(),
    call_id: callId,
    call: detail,
    qos,
    diagnosis: (detail && detail.diagnosis) || [],
  };
}
