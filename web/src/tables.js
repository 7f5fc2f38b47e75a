// The control tables in forms: add and edit rows, "new process like this
// one", delete, and a CSV upload previewed as a diff before it is applied.
// Everything is validated by the server exactly as `ctlflow apply` is; a
// message that names a column is shown under that column's input.
import { api, h, flash, errorBox, enc, session, pager, qs } from './lib.js';
import { go } from './app.js';

const LABELS = {
  cntl_cfg_strem: 'Streams', cntl_cfg_prcs_grp: 'Groups', cntl_cfg_prcs: 'Processes',
  cntl_cfg_prcs_depn: 'Dependencies', cntl_cfg_schedule: 'Schedules',
};

const PAGE = 100;

// /tables/T?q=text&offset=N: a page of rows, so 5,000 processes stay usable.
export async function tablesPage(root, table) {
  const url = new URLSearchParams(location.search);
  const q = url.get('q') || '';
  const offset = Math.max(0, Number(url.get('offset')) || 0);
  const [{ tables }, data] = await Promise.all([api('GET', '/api/v1/tables'),
    api('GET', `/api/v1/tables/${enc(table)}${qs({ q, limit: PAGE, offset })}`)]);
  const search = h('input', { type: 'search', name: 'q', value: q, placeholder: 'rows containing…', id: 'row-search' });
  const def = tables.find((t) => t.name === table);
  const formBox = h('div', { id: 'form' });
  const csvBox = h('div', { id: 'csv' });
  const keyOf = (row) => def.key.map((k) => row[k]).join('/');
  root.append(
    h('h1', {}, 'Control tables'),
    h('nav', { class: 'tabs' }, tables.map((t) =>
      h('a', { href: `/tables/${t.name}`, class: t.name === table ? 'on' : '' }, LABELS[t.name] || t.name))),
    session.role !== 'admin' ? h('p', { class: 'muted' }, `You are ${session.role}: edits need the admin role.`) : '',
    h('div', { class: 'toolbar' },
      h('button', { class: 'primary', id: 'add-row', onclick: () => showForm(formBox, def, null, 'insert') }, `Add a row to ${table}`),
      h('label', {}, 'Bulk CSV: ', h('input', { type: 'file', accept: '.csv,text/csv', id: 'csv-file',
        onchange: (ev) => previewCsv(csvBox, table, ev.target.files[0]) }))),
    formBox, csvBox,
    h('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); go(`/tables/${table}${qs({ q: search.value })}`); } },
      search, h('button', { type: 'submit' }, 'Search'),
      h('span', { class: 'muted', id: 'row-count' },
        data.total ? `rows ${offset + 1}–${offset + data.rows.length} of ${data.total}` : (q ? 'no row matches' : 'no rows'))),
    data.total > PAGE ? pager(offset, PAGE, offset + data.rows.length < data.total,
      (o) => go(`/tables/${table}${qs({ q, offset: o })}`), ['← previous', 'next →']) : '',
    h('div', { class: 'scroll' }, h('table', { class: 'list', id: 'rows' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), def.columns.map((c) => h('th', {}, c.name)))),
      h('tbody', {}, data.rows.map((row) => h('tr', { 'data-key': keyOf(row) },
        h('td', { class: 'actions' },
          h('button', { onclick: () => showForm(formBox, def, row, 'update') }, 'Edit'), ' ',
          table === 'cntl_cfg_prcs' ? [h('button', { class: 'like', onclick: () => showForm(formBox, def, row, 'like') }, 'New like this'), ' '] : '',
          h('button', { onclick: () => deleteRow(table, keyOf(row)) }, 'Delete')),
        def.columns.map((c) => h('td', { class: c.type === 'integer' ? 'mono' : '', title: String(row[c.name] ?? '') }, row[c.name] ?? ''))))))));
}

function inputFor(col, value, readonly) {
  const attrs = { name: col.name, id: `f-${col.name}`, value: value ?? '', readonly: readonly || undefined,
    placeholder: col.default ? `default ${col.default}` : col.nullable ? 'null' : 'required' };
  if (col.type === 'integer') attrs.inputmode = 'numeric';
  return h('input', attrs);
}

// mode: insert (empty form), update (a row, key fixed), like (a copy of a
// process under a new name; only the changed columns are sent).
function showForm(box, def, row, mode) {
  const inputs = {};
  const errors = {};
  const general = h('div', {});
  const cells = [];
  if (mode === 'like') {
    inputs.__name = h('input', { name: 'new_name', id: 'f-new_name', required: true, placeholder: 'the new prcs_nm' });
    errors.__name = h('div', { class: 'err' });
    cells.push(h('label', { for: 'f-new_name' }, 'new prcs_nm'), inputs.__name, errors.__name);
  }
  for (const col of def.columns) {
    if (mode === 'like' && (col.name === 'prcs_nm' || col.name === 'upt_dt')) continue;
    const readonly = mode === 'update' && col.key;
    inputs[col.name] = inputFor(col, row ? row[col.name] : '', readonly);
    errors[col.name] = h('div', { class: 'err' });
    cells.push(h('label', { for: `f-${col.name}` }, col.name), inputs[col.name], errors[col.name]);
  }
  const title = mode === 'insert' ? `New row in ${def.name}` : mode === 'update' ? `Edit ${def.key.map((k) => row[k]).join('/')}`
    : `New process like ${row.prcs_nm}`;
  const submit = async (dryRun) => {
    for (const e of Object.values(errors)) e.textContent = '';
    general.replaceChildren();
    try {
      let result;
      if (mode === 'like') {
        const set = {};
        for (const col of def.columns) {
          const el = inputs[col.name];
          if (!el) continue;
          const before = row[col.name] ?? '';
          if (String(before) !== el.value) set[col.name] = el.value;
        }
        result = await api('POST', `/api/v1/processes/${enc(row.prcs_nm)}/copy`, { name: inputs.__name.value, set, dry_run: dryRun });
      } else {
        const obj = {};
        for (const col of def.columns) {
          const v = inputs[col.name].value;
          if (v === '') {
            if (mode === 'update' && col.nullable) obj[col.name] = null;
            continue;
          }
          obj[col.name] = col.type === 'integer' && /^-?\d+$/.test(v) ? Number(v) : v;
        }
        result = await api('POST', `/api/v1/tables/${def.name}`, { rows: [obj], dry_run: dryRun });
      }
      if (dryRun) {
        general.replaceChildren(h('pre', { class: 'mono' }, result.text));
      } else {
        flash(result.text.split('\n')[0]);
        go(`/tables/${def.name}`);
      }
    } catch (e) {
      const target = errors[e.field] || (mode === 'like' && /name|already exists/.test(e.message) ? errors.__name : null);
      if (target) target.textContent = e.message;
      general.replaceChildren(errorBox(e));
    }
  };
  box.replaceChildren(h('form', { class: 'edit', id: 'edit-form', onsubmit: (ev) => { ev.preventDefault(); submit(false); } },
    h('h2', {}, title), h('span', {}), cells,
    h('div', { class: 'actions' },
      h('button', { class: 'primary', type: 'submit' }, mode === 'update' ? 'Save' : 'Create'),
      h('button', { type: 'button', onclick: () => submit(true) }, 'Check (dry run)'),
      h('button', { type: 'button', onclick: () => box.replaceChildren() }, 'Cancel'))), general);
  (inputs.__name || Object.values(inputs).find((i) => !i.readOnly))?.focus();
}

async function deleteRow(table, key) {
  if (!confirm(`Delete ${key} from ${table}?`)) return;
  try {
    const r = await api('DELETE', `/api/v1/tables/${table}?key=${enc(key)}`);
    flash(r.text.split('\n')[0]);
    go(`/tables/${table}`);
  } catch (e) { flash(e.message, true); }
}

async function previewCsv(box, table, file) {
  if (!file) return;
  const text = await file.text();
  const send = (dryRun) => api('POST', `/api/v1/tables/${table}/csv${dryRun ? '?dry_run=1' : ''}`, text, { contentType: 'text/csv' });
  try {
    const diff = await send(true);
    const list = (label, keys, cls) => (keys.length ? h('div', {}, h('strong', {}, `${label} (${keys.length})`),
      h('ul', { class: cls }, keys.map((k) => h('li', {}, k)))) : '');
    const t = diff.tables[0] || { inserted: [], updated: [], deleted: [], unchanged: 0 };
    box.replaceChildren(h('div', { class: 'kv', id: 'csv-diff' },
      h('h2', {}, `Preview of ${file.name}: nothing is changed until you apply`),
      list('insert', t.inserted, 'ins'), list('update', t.updated, 'upd'), list('delete', t.deleted, 'del'),
      h('p', { class: 'muted' }, `${t.unchanged} rows unchanged`),
      h('div', { class: 'toolbar' },
        h('button', { class: 'primary', id: 'csv-apply', onclick: async () => {
          try {
            const done = await send(false);
            flash(done.text.split('\n')[0]);
            go(`/tables/${table}`);
          } catch (e) { box.append(errorBox(e)); }
        } }, 'Apply'),
        h('button', { onclick: () => box.replaceChildren() }, 'Discard'))));
  } catch (e) {
    box.replaceChildren(errorBox(e));
  }
}
