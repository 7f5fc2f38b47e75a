// Shared pieces of the UI: the API client, element building (text is
// always inserted as text, never as HTML), status names and colours, and
// times shown in a stream's time zone.

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.field = error?.field;
  }
}

export const session = { user: null, role: null, csrf: null };

export async function api(method, path, body, { raw = false, contentType } = {}) {
  const headers = {};
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let payload;
  if (body !== undefined) {
    if (contentType) {
      headers['Content-Type'] = contentType;
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (raw && res.ok) return res.text();
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error);
  return data;
}

// h('a', {href: '/x', class: 'c', onclick}, 'text', child, [more]) -> element
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'g', 'rect', 'path', 'text', 'title', 'line'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k in el && !svg && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const ATTEMPT_STATUS = {
  0: 'success', 1: 'running', 2: 'queued', 3: 'skipped', 4: 'upstream failed', 5: 'waiting',
  6: 'up for retry', 98: 'timed out', 99: 'failed',
};
export const RUN_STATUS = { 0: 'success', 1: 'running', 2: 'queued', 97: 'cancelled', 99: 'failed' };

export function square(status, title, href) {
  const attrs = { class: `sq st-${status}`, title };
  return href ? h('a', { ...attrs, href }) : h('span', attrs);
}

export function badge(status, names = ATTEMPT_STATUS) {
  return h('span', { class: `badge st-${status}` }, names[status] ?? String(status));
}

export function legend() {
  return h('p', { class: 'legend muted' },
    Object.entries(ATTEMPT_STATUS).map(([code, name]) => h('span', {}, square(code, name), `${code} ${name}`)));
}

// Store timestamps are UTC text ("2024-11-16 15:00:03.120"); shown in `tz`.
export function fmtTime(utc, tz) {
  if (!utc) return '';
  const d = new Date(utc.replace(' ', 'T') + (utc.endsWith('Z') ? '' : 'Z'));
  if (isNaN(d)) return utc;
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(d);
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  } catch {
    return utc;
  }
}

export function duration(start, end) {
  if (!start) return '';
  const a = Date.parse(start.replace(' ', 'T') + 'Z');
  const b = end ? Date.parse(end.replace(' ', 'T') + 'Z') : Date.now();
  const s = Math.max(0, (b - a) / 1000);
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function flash(text, bad = false) {
  const el = document.getElementById('flash');
  el.textContent = text;
  el.className = bad ? 'bad' : '';
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { el.textContent = ''; }, 6000);
}

export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, err.message || String(err));
}

export function pager(offset, limit, more, go, [back, forward] = ['← newer', 'older →']) {
  return h('div', { class: 'pager' },
    h('button', { disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, back),
    h('span', { class: 'muted' }, `${offset + 1}–${offset + limit}`),
    h('button', { disabled: !more, onclick: () => go(offset + limit) }, forward));
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
