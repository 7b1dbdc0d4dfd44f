// Renders /api/v1/openapi.json as a list of operations: method, path, login, parameters,
// request body and each response with an example. Text goes in through textContent only,
// so nothing in the document can inject markup (the page runs under the UI's strict CSP).

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

// Text with `code` spans (the document's descriptions use Markdown backticks), as nodes.
function prose(tag, text, attrs = {}) {
  const e = el(tag, attrs);
  String(text || '').split('`').forEach((part, i) => {
    if (part) e.append(i % 2 ? el('code', {}, part) : document.createTextNode(part));
  });
  return e;
}

// Follows a local "#/components/..." reference; anything else is returned as is.
function resolve(doc, obj) {
  let o = obj;
  for (let hops = 0; o && typeof o.$ref === 'string' && hops < 10; hops++) {
    if (!o.$ref.startsWith('#/')) return o;
    o = o.$ref.slice(2).split('/').reduce((acc, key) => (acc ? acc[key] : undefined), doc);
  }
  return o || {};
}

// A skeleton value for a schema, when the document gives no example.
function sample(doc, schema, depth = 0) {
  const s = resolve(doc, schema);
  if (depth > 5) return null;
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (Array.isArray(s.oneOf) && s.oneOf.length) return sample(doc, s.oneOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out = {};
      for (const [k, v] of Object.entries(s.properties || {})) out[k] = sample(doc, v, depth + 1);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        out['<name>'] = sample(doc, s.additionalProperties, depth + 1);
      }
      return out;
    }
    case 'array': return [sample(doc, s.items || {}, depth + 1)];
    case 'integer': return s.default ?? s.minimum ?? 0;
    case 'number': return 0.0;
    case 'boolean': return true;
    case 'string': return s.format === 'date-time' ? '2026-11-25T10:00:00Z' : 'string';
    default: return null;
  }
}

function typeText(doc, schema) {
  const s = resolve(doc, schema || {});
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type || '');
  const parts = [t];
  if (Array.isArray(s.enum)) parts.push('one of ' + s.enum.filter((v) => v !== null).join(', '));
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ''}..${s.maximum ?? ''}`);
  if (s.default !== undefined) parts.push(`default ${s.default}`);
  return parts.filter(Boolean).join('; ');
}

function paramTable(doc, params) {
  if (!params.length) return null;
  const rows = params.map((p) => el('tr', {},
    el('td', {}, el('code', {}, p.name)),
    el('td', {}, p.in + (p.required ? ', required' : '')),
    el('td', {}, typeText(doc, p.schema)),
    prose('td', p.description)));
  return el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Parameter'), el('th', {}, 'In'),
    el('th', {}, 'Type'), el('th', {}, 'Description'))), el('tbody', {}, ...rows));
}

function contentBlock(doc, content) {
  const out = [];
  for (const [mime, media] of Object.entries(content || {})) {
    out.push(el('div', { class: 'muted' }, mime));
    if (mime.includes('json')) {
      const ex = media.example !== undefined ? media.example : sample(doc, media.schema || {});
      out.push(el('pre', {}, JSON.stringify(ex, null, 2)));
    } else if (media.example !== undefined) {
      out.push(el('pre', {}, String(media.example)));
    }
  }
  return out;
}

function operation(doc, path, method, op, pathItem) {
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map((p) => resolve(doc, p));
  const security = op.security !== undefined ? op.security : (doc.security || []);
  const open = security.length === 0;
  const summary = el('summary', {},
    el('span', { class: `method ${method}` }, method), ' ',
    el('span', { class: 'path' }, path), ' — ', op.summary || '',
    el('span', { class: 'lock' }, open ? 'no login' : 'login: bearer token or session cookie'));
  const body = op.requestBody ? resolve(doc, op.requestBody) : null;
  const responses = Object.entries(op.responses || {}).map(([code, r]) => {
    const resp = resolve(doc, r);
    return el('div', {}, el('strong', {}, code), ' ', prose('span', resp.description), ...contentBlock(doc, resp.content));
  });
  return el('details', { class: 'op', id: op.operationId || `${method}-${path}` }, summary,
    op.description ? prose('p', op.description) : null,
    paramTable(doc, params),
    body ? el('div', {}, el('h4', {}, 'Request body'), ...contentBlock(doc, body.content)) : null,
    el('h4', {}, 'Responses'), ...responses);
}

function render(doc) {
  document.getElementById('title').textContent = `${doc.info?.title || 'API'} (v${doc.info?.version || '?'})`;
  const intro = document.getElementById('intro');
  intro.replaceChildren(...prose('span', doc.info?.description).childNodes, ' ');
  intro.append(el('a', { href: '/api/v1/openapi.json' }, `OpenAPI ${doc.openapi} document`));
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(doc, path, method, op, item));
    }
  }
  const tagInfo = new Map((doc.tags || []).map((t) => [t.name, t.description || '']));
  const order = [...(doc.tags || []).map((t) => t.name), ...byTag.keys()];
  const main = document.getElementById('ops');
  for (const tag of new Set(order)) {
    const ops = byTag.get(tag);
    if (!ops) continue;
    main.append(el('h2', {}, tag), prose('p', tagInfo.get(tag), { class: 'muted' }), ...ops);
  }
  // `/api/docs#getCall` opens that operation.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target instanceof HTMLDetailsElement) {
    target.open = true;
    target.scrollIntoView();
  }
}

async function main() {
  try {
    const r = await fetch('/api/v1/openapi.json', { headers: { Accept: 'application/json' } });
    if (!r.ok) throw new Error(`GET /api/v1/openapi.json: ${r.status}`);
    render(await r.json());
  } catch (e) {
    const box = document.getElementById('error');
    box.textContent = String(e);
    box.hidden = false;
  }
}

main();
