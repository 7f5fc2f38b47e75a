// The ctlflow UI: one page per stable URL (/streams/S, /runs/7, ...),
// rendered from the REST API, refreshed every two seconds while shown.
import {
  api, h, session, square, badge, legend, fmtTime, duration, flash, errorBox, pager, qs, enc,
  ATTEMPT_STATUS, RUN_STATUS,
} from './lib.js';
import { renderGraph } from './graph.js';
import { tablesPage } from './tables.js';

const main = () => document.getElementById('main');
let refreshTimer = null;
let pageToken = 0;

// A page is an async function that fills `root`; it may return a refresh
// function, called every 2 s (live updates) until the user leaves the page.
const routes = [
  [/^\/login$/, loginPage],
  [/^\/(streams)?$/, streamsPage],
  [/^\/streams\/([^/]+)(?:\/(graph|grid|runs))?$/, streamPage],
  [/^\/runs\/(\d+)$/, runPage],
  [/^\/runs\/(\d+)\/attempts\/([^/]+)\/(\d+)$/, attemptPage],
  [/^\/log$/, logPage],
  [/^\/tables\/([^/]+)$/, (root, table) => tablesPage(root, decodeURIComponent(table))],
  [/^\/connections$/, connectionsPage],
  [/^\/lakehouse$/, lakehousePage],
  [/^\/audit$/, auditPage],
];

async function render() {
  clearInterval(refreshTimer);
  const token = ++pageToken;
  const path = location.pathname;
  for (const [re, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    const root = h('div', {});
    try {
      if (page !== loginPage && !session.user) await loadSession();
      const refresh = await page(root, ...m.slice(1).map((x) => (x === undefined ? x : decodeURIComponent(x))));
      if (token !== pageToken) return;
      main().replaceChildren(root);
      if (refresh) {
        refreshTimer = setInterval(async () => {
          if (token !== pageToken || document.hidden) return;
          try { await refresh(); } catch (e) { if (e.status === 401) toLogin(); else console.warn(e); }
        }, 2000);
      }
    } catch (e) {
      if (token !== pageToken) return;
      if (e.status === 401) return toLogin();
      main().replaceChildren(h('div', {}, h('h1', {}, 'Error'), errorBox(e)));
    }
    return;
  }
  main().replaceChildren(h('div', {}, h('h1', {}, 'Not found'), h('p', {}, `No page at ${path}.`)));
}

// Not logged in (or the session ended): the login page, then back here.
function toLogin() {
  Object.assign(session, { user: null, role: null, csrf: null });
  if (location.pathname === '/login') return;
  go(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

export function go(path) {
  history.pushState({}, '', path);
  render();
}

async function loadSession() {
  const who = await api('GET', '/api/v1/session');
  Object.assign(session, who);
  document.getElementById('who').replaceChildren(
    `${who.user} (${who.role}) `, h('button', { onclick: logout }, 'Log out'));
  for (const el of document.querySelectorAll('[data-role="admin"]')) el.hidden = who.role !== 'admin';
}

async function logout() {
  await api('DELETE', '/api/v1/session').catch(() => {});
  Object.assign(session, { user: null, role: null, csrf: null });
  document.getElementById('who').replaceChildren();
  go('/login');
}

document.addEventListener('click', (ev) => {
  // Attributes, not properties: an SVG link's href and target are objects.
  const a = ev.target.closest('a');
  const href = a?.getAttribute('href');
  if (!href || a.getAttribute('target') || a.hasAttribute('download') || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  ev.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener('popstate', render);
window.addEventListener('DOMContentLoaded', render);

// ---------------------------------------------------------------------------

async function loginPage(root) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password',
    placeholder: 'ctl_…', required: true });
  const msg = h('div', {});
  const form = h('form', { class: 'login', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const who = await api('POST', '/api/v1/session', { token: input.value.trim() });
      Object.assign(session, who);
      await loadSession();
      const next = new URLSearchParams(location.search).get('next');
      go(next && next.startsWith('/') && !next.startsWith('//') ? next : '/streams');
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    }
  } },
  h('h1', {}, 'Log in to ctlflow'),
  h('label', { for: 'token' }, 'API token'), input,
  h('p', { class: 'muted' }, 'Create one with: ctlflow token create --user NAME'),
  h('button', { class: 'primary', type: 'submit' }, 'Log in'), msg);
  input.id = 'token';
  root.append(form);
}

// Streams ---------------------------------------------------------------------

async function streamsPage(root) {
  const params = new URLSearchParams(location.search);
  const offset = Number(params.get('offset') || 0);
  const q = params.get('q') || '';
  const limit = 50;
  const search = h('input', { type: 'search', placeholder: 'filter streams', value: q, name: 'q' });
  const body = h('tbody', {});
  const info = h('span', { class: 'muted' });
  const pages = h('div', {});
  root.append(h('h1', {}, 'Streams'),
    h('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); go(`/streams${qs({ q: search.value })}`); } },
      search, h('button', { type: 'submit' }, 'Filter'), info),
    h('table', { class: 'list', id: 'streams' },
      h('thead', {}, h('tr', {}, ['Stream', 'Schedule', 'Next run', 'Last runs', 'Paused', ''].map((t) => h('th', {}, t)))),
      body), pages, legendRuns());
  const load = async () => {
    const data = await api('GET', `/api/v1/streams${qs({ q, limit, offset })}`);
    info.textContent = `${data.total} streams`;
    body.replaceChildren(...data.items.map(streamRow));
    pages.replaceChildren(h('div', { class: 'pager' },
      h('button', { disabled: offset === 0, onclick: () => go(`/streams${qs({ q, offset: Math.max(0, offset - limit) })}`) }, '← previous'),
      h('span', { class: 'muted' }, `${Math.min(offset + 1, data.total)}–${Math.min(offset + limit, data.total)} of ${data.total}`),
      h('button', { disabled: offset + limit >= data.total, onclick: () => go(`/streams${qs({ q, offset: offset + limit })}`) }, 'next →')));
  };
  await load();
  return load;
}

function legendRuns() {
  return h('p', { class: 'legend muted' },
    Object.entries(RUN_STATUS).map(([code, name]) => h('span', {}, square(code, name), name)));
}

function scheduleCell(s) {
  if (!s) return h('td', { class: 'muted' }, 'triggered only');
  return h('td', {}, s.words, h('div', { class: 'muted mono' }, `${s.cron} (${s.tz})`));
}

function nextRunCell(s) {
  if (!s || !s.next_run_local) return h('td', { class: 'muted' }, '—');
  return h('td', {}, `${s.next_run_local} ${s.tz}`, h('div', { class: 'muted' }, `data date ${s.next_data_dt}`));
}

function streamRow(s) {
  const date = h('input', { type: 'date', 'aria-label': `data date for ${s.strem_nm}` });
  return h('tr', { 'data-stream': s.strem_nm },
    h('td', {}, h('a', { href: `/streams/${enc(s.strem_nm)}` }, s.strem_nm), h('div', { class: 'muted' }, s.descr)),
    scheduleCell(s.schedule), nextRunCell(s.schedule),
    h('td', {}, [...s.last_runs].reverse().map((r) =>
      square(r.status, `run ${r.run_id} ${r.data_dt}: ${r.status_name}`, `/runs/${r.run_id}`))),
    h('td', {}, h('button', { class: 'pause', onclick: () => setPaused(s.strem_nm, !s.paused) },
      s.paused ? 'Unpause' : 'Pause'), s.paused ? h('span', { class: 'muted' }, ' paused') : ''),
    h('td', {}, date, ' ', h('button', { class: 'trigger', onclick: () => trigger(s.strem_nm, date.value) }, 'Trigger')));
}

async function setPaused(stream, paused) {
  try {
    await api('POST', `/api/v1/streams/${enc(stream)}/${paused ? 'pause' : 'unpause'}`, {});
    flash(`${stream} ${paused ? 'paused' : 'unpaused'}`);
    render();
  } catch (e) { flash(e.message, true); }
}

async function trigger(stream, date, params) {
  try {
    const body = {};
    if (date) body.date = date;
    if (params && Object.keys(params).length) body.params = params;
    const run = await api('POST', `/api/v1/streams/${enc(stream)}/trigger`, body);
    flash(`queued run ${run.run_id} of ${stream} for ${run.data_dt}`);
    go(`/runs/${run.run_id}`);
  } catch (e) { flash(e.message, true); }
}

async function streamPage(root, name, tab = 'grid') {
  const s = await api('GET', `/api/v1/streams/${enc(name)}`);
  const tz = s.schedule?.tz || 'UTC';
  const date = h('input', { type: 'date', name: 'date' });
  const paramText = h('input', { name: 'params', placeholder: 'params: k=v k2=v2', size: 30 });
  const tabs = ['grid', 'graph', 'runs'].map((t) =>
    h('a', { href: `/streams/${enc(name)}/${t}`, class: t === tab ? 'on' : '' }, t[0].toUpperCase() + t.slice(1)));
  const body = h('div', {});
  root.append(
    h('h1', {}, name, ' ', s.paused ? h('span', { class: 'badge st-2' }, 'paused') : ''),
    h('p', { class: 'muted' }, s.descr, s.schedule ? ` · ${s.schedule.words} (${tz})` : ' · triggered only',
      s.schedule?.next_run_local ? ` · next run ${s.schedule.next_run_local} ${tz}, data date ${s.schedule.next_data_dt}` : ''),
    h('form', { class: 'toolbar', onsubmit: (ev) => {
      ev.preventDefault();
      const params = Object.fromEntries(paramText.value.split(/\s+/).filter(Boolean).map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }));
      trigger(name, date.value, params);
    } }, 'Data date ', date, paramText, h('button', { class: 'primary', type: 'submit' }, 'Trigger'),
    h('button', { type: 'button', onclick: () => setPaused(name, !s.paused) }, s.paused ? 'Unpause' : 'Pause')),
    h('nav', { class: 'tabs' }, tabs), body);
  if (tab === 'graph') {
    const plan = await api('GET', `/api/v1/streams/${enc(name)}/graph`);
    body.append(renderGraph(plan), h('p', { class: 'muted' },
      'Boxes are groups (prir order left to right); dashed nodes are processes of other streams.'));
    return null;
  }
  if (tab === 'runs') return runsList(body, { stream: name, tz });
  const load = async () => {
    const grid = await api('GET', `/api/v1/streams/${enc(name)}/grid?runs=25`);
    const runs = [...grid.runs].reverse();  // oldest left, as in Airflow's grid
    body.replaceChildren(h('table', { class: 'list grid', id: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'process'),
        runs.map((r) => h('th', { class: 'vert' }, h('a', { href: `/runs/${r.run_id}`, title: `run ${r.run_id}: ${RUN_STATUS[r.status]}` }, r.data_dt))))),
      h('tbody', {},
        h('tr', {}, h('td', { class: 'muted' }, 'run'), runs.map((r) => h('td', { class: 'cell' },
          h('a', { class: `st-${r.status}`, href: `/runs/${r.run_id}`, title: `run ${r.run_id} ${r.data_dt}: ${RUN_STATUS[r.status]}` })))),
        grid.processes.map((p) => h('tr', {}, h('td', {}, p.prcs_nm),
          runs.map((r) => {
            const c = r.cells[p.prcs_nm];
            if (!c) return h('td', { class: 'cell' });
            return h('td', { class: 'cell' }, h('a', {
              class: `st-${c.status}`, href: `/runs/${r.run_id}/attempts/${enc(p.prcs_nm)}/${c.attempt}`,
              title: `${p.prcs_nm} ${r.data_dt} attempt ${c.attempt}: ${c.status_name}`,
            }));
          }))))),
    runs.length ? '' : h('p', { class: 'muted' }, 'No runs yet: trigger one.'), legend());
  };
  await load();
  return load;
}

async function runsList(body, { stream, tz }) {
  let offset = 0;
  const load = async () => {
    const data = await api('GET', `/api/v1/runs${qs({ stream, limit: 50, offset })}`);
    body.replaceChildren(h('table', { class: 'list', id: 'runs' },
      h('thead', {}, h('tr', {}, ['Run', 'Stream', 'Data date', 'Status', 'Type', `Start (${tz || 'UTC'})`, 'Duration', 'Message'].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.items.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `/runs/${r.run_id}` }, `#${r.run_id}`)),
        h('td', {}, r.strem_nm), h('td', {}, r.data_dt), h('td', {}, badge(r.status, RUN_STATUS)), h('td', {}, r.run_typ),
        h('td', {}, fmtTime(r.start_dt, tz)), h('td', {}, duration(r.start_dt, r.end_dt)), h('td', {}, r.message || ''))))),
    pager(offset, 50, data.more, (o) => { offset = o; load(); }));
  };
  await load();
  return load;
}

// A run: details, actions, Gantt chart, attempts ------------------------------------

async function runPage(root, id) {
  const head = h('div', {});
  const gantt = h('div', { class: 'gantt', id: 'gantt' });
  const table = h('div', {});
  root.append(head, h('h2', {}, 'Gantt'), gantt, h('h2', {}, 'Attempts'), table);
  const load = async () => {
    const [run, attempts] = await Promise.all([
      api('GET', `/api/v1/runs/${id}`), api('GET', `/api/v1/runs/${id}/attempts`)]);
    const tz = run.tz;
    const active = run.status === 1 || run.status === 2;
    head.replaceChildren(
      h('h1', {}, `Run #${run.run_id} of `, h('a', { href: `/streams/${enc(run.strem_nm)}` }, run.strem_nm), ' ', badge(run.status, RUN_STATUS)),
      h('dl', { class: 'kv' },
        h('dt', {}, 'data date'), h('dd', {}, run.data_dt),
        h('dt', {}, `queued (${tz})`), h('dd', {}, fmtTime(run.queued_dt, tz)),
        h('dt', {}, `started (${tz})`), h('dd', {}, fmtTime(run.start_dt, tz)),
        h('dt', {}, `ended (${tz})`), h('dd', {}, fmtTime(run.end_dt, tz), run.start_dt ? ` · ${duration(run.start_dt, run.end_dt)}` : ''),
        h('dt', {}, 'type'), h('dd', {}, run.run_typ),
        h('dt', {}, 'params'), h('dd', { class: 'mono' }, JSON.stringify(run.params)),
        h('dt', {}, 'message'), h('dd', {}, run.message || '')),
      h('div', { class: 'toolbar' },
        active ? h('button', { onclick: () => act(`/api/v1/runs/${id}/cancel`, {}, `run ${id}: cancel requested`) }, 'Cancel') : '',
        !active ? h('button', { onclick: () => act(`/api/v1/streams/${enc(run.strem_nm)}/clear`, { date: run.data_dt, failed_only: true }, 'failed processes re-queued') }, 'Clear failed') : '',
        !active ? h('button', { onclick: () => act(`/api/v1/streams/${enc(run.strem_nm)}/clear`, { date: run.data_dt }, 'all processes re-queued') }, 'Clear all') : ''));
    gantt.replaceChildren(...ganttRows(attempts.items, tz));
    table.replaceChildren(attemptTable(attempts.items, tz));
  };
  await load();
  return load;
}

async function act(path, body, done) {
  try {
    await api('POST', path, body);
    flash(done);
    render();
  } catch (e) { flash(e.message, true); }
}

function ganttRows(attempts, tz) {
  const t = (s) => Date.parse(s.replace(' ', 'T') + 'Z');
  const started = attempts.filter((a) => a.start_dt);
  if (!started.length) return [h('p', { class: 'muted' }, 'Nothing has started yet.')];
  const t0 = Math.min(...started.map((a) => t(a.start_dt)));
  const t1 = Math.max(...started.map((a) => (a.end_dt ? t(a.end_dt) : Date.now())));
  const span = Math.max(1, t1 - t0);
  return started.map((a) => {
    const bar = h('a', { class: `bar st-${a.status}`, href: `/runs/${a.run_id}/attempts/${enc(a.prcs_nm)}/${a.attempt}`,
      title: `${a.prcs_nm} attempt ${a.attempt}: ${ATTEMPT_STATUS[a.status]}, ${fmtTime(a.start_dt, tz)} – ${fmtTime(a.end_dt, tz)} (${duration(a.start_dt, a.end_dt)})` });
    bar.style.left = `${((t(a.start_dt) - t0) / span) * 100}%`;
    bar.style.width = `${(((a.end_dt ? t(a.end_dt) : Date.now()) - t(a.start_dt)) / span) * 100}%`;
    return h('div', { class: 'row' }, h('span', {}, `${a.prcs_nm}${a.attempt > 1 ? ` #${a.attempt}` : ''}`), h('div', { class: 'track' }, bar));
  });
}

function attemptTable(items, tz, withRun = false) {
  return h('table', { class: 'list', id: 'attempts' },
    h('thead', {}, h('tr', {}, [...(withRun ? ['Run', 'Stream'] : []), 'Process', 'Data date', 'Attempt', 'Status',
      `Start${tz ? ` (${tz})` : ' (UTC)'}`, 'Duration', 'Rows in/out', 'Message'].map((x) => h('th', {}, x)))),
    h('tbody', {}, items.map((a) => h('tr', {},
      withRun ? [h('td', {}, h('a', { href: `/runs/${a.run_id}` }, `#${a.run_id}`)), h('td', {}, a.strem_nm || '')] : [],
      h('td', {}, h('a', { href: `/runs/${a.run_id}/attempts/${enc(a.prcs_nm)}/${a.attempt}` }, a.prcs_nm)),
      h('td', {}, a.data_dt || ''), h('td', {}, a.attempt), h('td', {}, badge(a.status)),
      h('td', {}, fmtTime(a.start_dt, tz)), h('td', {}, duration(a.start_dt, a.end_dt)),
      h('td', {}, `${a.source_row ?? ''} / ${a.target_row ?? ''}`), h('td', {}, a.message || '')))));
}

// An attempt: details and its log, followed while it runs ---------------------------

async function attemptPage(root, runId, process, attempt) {
  const base = `/api/v1/runs/${runId}/attempts/${enc(process)}/${attempt}`;
  const [run, a] = await Promise.all([api('GET', `/api/v1/runs/${runId}`), api('GET', base)]);
  const tz = run.tz;
  const head = h('div', {});
  const log = h('pre', { class: 'log', id: 'log' });
  const follow = h('span', { class: 'muted' });
  root.append(head, h('h2', {}, 'Log ', follow), log);
  let offset = 0;
  let finished = false;
  const show = (x) => head.replaceChildren(
    h('h1', {}, `${x.prcs_nm} · attempt ${x.attempt} `, badge(x.status)),
    h('dl', { class: 'kv' },
      h('dt', {}, 'run'), h('dd', {}, h('a', { href: `/runs/${runId}` }, `#${runId}`), ' of ',
        h('a', { href: `/streams/${enc(run.strem_nm)}` }, run.strem_nm)),
      h('dt', {}, 'data date'), h('dd', {}, x.data_dt),
      h('dt', {}, `started (${tz})`), h('dd', {}, fmtTime(x.start_dt, tz)),
      h('dt', {}, `ended (${tz})`), h('dd', {}, fmtTime(x.end_dt, tz), x.start_dt ? ` · ${duration(x.start_dt, x.end_dt)}` : ''),
      h('dt', {}, 'rows'), h('dd', {}, `source ${x.source_row ?? '—'}, target ${x.target_row ?? '—'}`),
      h('dt', {}, 'worker'), h('dd', {}, x.worker_nm || ''),
      h('dt', {}, 'message'), h('dd', { id: 'message' }, x.message || ''),
      h('dt', {}, 'notebook'), h('dd', {}, x.has_notebook
        ? h('a', { href: `${base}/notebook`, download: `${x.prcs_nm}.ipynb` }, 'executed notebook (.ipynb)') : '—')));
  show(a);
  const tail = async () => {
    if (finished) return;
    const part = await api('GET', `${base}/log?offset=${offset}`);
    if (part.text) {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.append(part.text);
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    offset = part.next_offset;
    if (part.finished && part.next_offset >= part.size) {
      finished = true;
      follow.textContent = '';
      show(await api('GET', base));
    } else {
      follow.textContent = '(following)';
    }
  };
  await tail();
  return tail;
}

// The log table: cntl_cfg_log, searchable ------------------------------------------

async function logPage(root) {
  const p = new URLSearchParams(location.search);
  const field = (name, attrs = {}) => h('input', { name, value: p.get(name) || '', ...attrs });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any status'),
    Object.entries(ATTEMPT_STATUS).map(([c, n]) => h('option', { value: c, selected: p.get('status') === c }, `${c} ${n}`)));
  const inputs = [field('q', { placeholder: 'process or message contains', type: 'search', size: 28 }),
    field('stream', { placeholder: 'stream' }), field('process', { placeholder: 'process' }),
    field('date', { type: 'date' }), status];
  const body = h('div', {});
  const offset = Number(p.get('offset') || 0);
  const params = Object.fromEntries(['q', 'stream', 'process', 'date', 'status'].map((k) => [k, p.get(k)]));
  root.append(h('h1', {}, 'Log (cntl_cfg_log)'),
    h('form', { class: 'toolbar', onsubmit: (ev) => {
      ev.preventDefault();
      go(`/log${qs(Object.fromEntries(inputs.map((i) => [i.name, i.value])))}`);
    } }, inputs, h('button', { type: 'submit' }, 'Search')), body);
  const load = async () => {
    const data = await api('GET', `/api/v1/attempts${qs({ ...params, limit: 100, offset })}`);
    body.replaceChildren(attemptTable(data.items, null, true),
      pager(offset, 100, data.more, (o) => go(`/log${qs({ ...params, offset: o })}`)));
  };
  await load();
  return load;
}

// Connections, lakehouse, audit ------------------------------------------------------

async function connectionsPage(root) {
  const data = await api('GET', '/api/v1/connections');
  const msg = h('div', {});
  const f = (name, attrs = {}) => h('input', { name, id: `c-${name}`, ...attrs });
  const fields = { conn_nm: f('conn_nm', { required: true }), conn_typ: h('select', { name: 'conn_typ', id: 'c-conn_typ' },
    ['sqlite', 'postgres', 'lakehouse'].map((t) => h('option', { value: t }, t))),
  url: f('url', { required: true, size: 50 }), password_env: f('password_env'), password_file: f('password_file') };
  root.append(h('h1', {}, 'Connections'),
    h('p', { class: 'muted' }, 'Secrets are never shown: a connection names the environment variable or owner-only file that holds its password.'),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['Name', 'Type', 'URL', 'Password from', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.items.map((c) => h('tr', {}, h('td', {}, c.conn_nm), h('td', {}, c.conn_typ), h('td', { class: 'mono' }, c.url),
        h('td', {}, c.password_env ? `env ${c.password_env}` : c.password_file ? `file ${c.password_file}` : ''),
        h('td', {}, h('button', { onclick: async () => {
          try {
            const r = await api('POST', `/api/v1/connections/${enc(c.conn_nm)}/test`, {});
            flash(`${c.conn_nm}: ${r.message}`, !r.ok);
          } catch (e) { flash(e.message, true); }
        } }, 'Test'), ' ', c.builtin ? '' : h('button', { onclick: () => removeConnection(c.conn_nm) }, 'Remove')))))),
    h('h2', {}, 'Add or change a connection'),
    h('form', { class: 'edit', onsubmit: async (ev) => {
      ev.preventDefault();
      const body = Object.fromEntries(Object.entries(fields).map(([k, el]) => [k, el.value]).filter(([, v]) => v !== ''));
      try {
        await api('POST', '/api/v1/connections', body);
        flash(`connection ${body.conn_nm} saved`);
        render();
      } catch (e) { msg.replaceChildren(errorBox(e)); }
    } }, Object.entries(fields).map(([k, el]) => [h('label', { for: el.id }, k), el]),
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Save'))), msg);
}

async function removeConnection(name) {
  try {
    await api('DELETE', `/api/v1/connections/${enc(name)}`);
    flash(`connection ${name} removed`);
    render();
  } catch (e) { flash(e.message, true); }
}

async function lakehousePage(root) {
  const conn = new URLSearchParams(location.search).get('conn') || '';
  const data = await api('GET', `/api/v1/lakehouse/tables${qs({ conn })}`);
  const snaps = h('div', {});
  root.append(h('h1', {}, `Lakehouse ${conn || 'lakehouse'}`),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['Table', 'Records', 'Files', 'Bytes', 'Snapshot', 'Location'].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.items.map((t) => h('tr', {},
        h('td', {}, h('a', { href: '#', onclick: async (ev) => {
          ev.preventDefault();
          const s = await api('GET', `/api/v1/lakehouse/tables/${enc(t.table)}/snapshots${qs({ conn })}`);
          snaps.replaceChildren(h('h2', {}, `Snapshots of ${t.table}`), h('table', { class: 'list' },
            h('thead', {}, h('tr', {}, ['Snapshot', 'Time (UTC)', 'Operation', 'Summary', ''].map((x) => h('th', {}, x)))),
            h('tbody', {}, s.items.map((x) => h('tr', {}, h('td', { class: 'mono' }, x.snapshot_id),
              h('td', {}, new Date(x.timestamp_ms).toISOString().replace('T', ' ').slice(0, 19)), h('td', {}, x.operation),
              h('td', { class: 'mono' }, Object.entries(x.summary).map(([k, v]) => `${k}=${v}`).join(' ')),
              h('td', {}, x.current ? 'current' : ''))))));
        } }, t.table)),
        h('td', {}, t.records), h('td', {}, t.files), h('td', {}, t.bytes), h('td', { class: 'mono' }, t.snapshot_id),
        h('td', { class: 'mono' }, t.location))))), snaps);
}

async function auditPage(root) {
  let offset = 0;
  const body = h('div', {});
  root.append(h('h1', {}, 'Audit trail'), body);
  const load = async () => {
    const data = await api('GET', `/api/v1/audit${qs({ limit: 100, offset })}`);
    body.replaceChildren(h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['When (UTC)', 'Who', 'Action', 'Target', 'Outcome', 'Detail'].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.items.map((a) => h('tr', {}, h('td', {}, a.at_dt), h('td', {}, a.user_nm), h('td', { class: 'mono' }, a.action),
        h('td', {}, a.target), h('td', {}, a.outcome), h('td', { class: 'mono' }, a.detail))))),
    pager(offset, 100, data.items.length === 100, (o) => { offset = o; load(); }));
  };
  await load();
  return load;
}
