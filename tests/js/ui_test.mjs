// The browser test of the web UI: Debian's Chromium, driven by
// playwright-core, against a real `ctlflow server --with-scheduler` that
// tests/integration/ui_test.cc started. Each step is what an operator does;
// the first that fails stops the test with its name, the page's URL and a
// screenshot in ARTIFACT_DIR.
//
// env: CTLFLOW_URL, ADMIN_TOKEN, VIEWER_TOKEN, STREAM (the example stream),
//      DATE (its data date), FAILED_STREAM (a stream whose last run failed),
//      FAILED_PROCESS, GROUP (a group to add a process to),
//      DOWNSTREAM_STREAM, DOWNSTREAM_PROCESS (a process of another stream
//      that waits for UPSTREAM_PROCESS of STREAM),
//      FOLLOW_STREAM, FOLLOW_PROCESS (a process that prints a line, waits
//      for GATE_FILE, then prints another and reports row counts),
//      CTLFLOW_BIN, CLI_HOME (the CLI, to compare with what the UI shows),
//      ARTIFACT_DIR, SCREENSHOT_DIR (optional: where the README's
//      screenshots go).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`ui_test.mjs: ${name} is not set`);
  return v;
};
const base = env('CTLFLOW_URL');
const shots = process.env.SCREENSHOT_DIR || '';
const artifacts = env('ARTIFACT_DIR');
const gate = env('GATE_FILE');

// What the CLI says, for a step to compare with the page.
function cliJson(...args) {
  return JSON.parse(execFileSync(env('CTLFLOW_BIN'), ['--home', env('CLI_HOME'), ...args], { encoding: 'utf8' }));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
// A refused request shows in the console as "Failed to load resource"; the
// response listener below names it instead, and only the refusals a step
// provokes on purpose are allowed.
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(`console: ${m.text()}`);
});
const expectedRefusals = [
  /^401 GET \/api\/v1\/session$/, // asking who is logged in, while nobody is
  /^401 POST \/api\/v1\/session$/, // the wrong token on the login page
  /^401 GET \/api\/v1\/.*/, // a page opened before logging in
  /^400 POST \/api\/v1\/tables\/cntl_cfg_prcs$/, // prcs_typ 42
  /^400 POST \/api\/v1\/processes\/[^/]+\/copy$/, // "new like this" with a bad group or a taken name
  /^403 POST \/api\/v1\/.*/, // the viewer's edit and trigger
];
page.on('response', (r) => {
  if (r.status() < 400) return;
  const what = `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`;
  if (!expectedRefusals.some((re) => re.test(what))) consoleErrors.push(`unexpected response: ${what}`);
});
page.setDefaultTimeout(15000);

let current = '';
async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  await fn();
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}
async function screenshot(name) {
  if (shots) await page.screenshot({ path: path.join(shots, `ui-${name}.png`) });
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}
// GET an API path with the page's session.
function apiGet(p) {
  return page.evaluate(async (u) => (await fetch(u)).json(), p);
}
async function processRow(name) {
  return (await apiGet(`/api/v1/tables/cntl_cfg_prcs?q=${encodeURIComponent(name)}`)).rows.find((r) => r.prcs_nm === name);
}

async function logIn(token) {
  await page.goto(`${base}/login`);
  await page.fill('#token', token);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('#streams tbody tr');
}

try {
  const stream = env('STREAM');
  const date = env('DATE');

  await step('a wrong token is refused on the login page', async () => {
    await page.goto(`${base}/streams`);
    await page.waitForURL(/\/login\?next=%2Fstreams/);
    await page.fill('#token', 'ctl_not_a_token');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('form.login .error-box');
    expect(/401|token/i.test(await page.textContent('form.login')), 'no message for a wrong token');
  });

  await step('log in as admin and see the example stream', async () => {
    await logIn(env('ADMIN_TOKEN'));
    await page.waitForSelector(`#streams tr[data-stream="${stream}"]`);
    const row = await page.textContent(`#streams tr[data-stream="${stream}"]`);
    expect(row.includes(stream), `the streams list has no ${stream}`);
    await screenshot('streams');
  });

  await step('pause the stream from the streams page; the API and the CLI agree; unpause it', async () => {
    const row = `#streams tr[data-stream="${stream}"]`;
    const pausedInCli = () => {
      const rows = cliJson('sql', '--json', `SELECT paused FROM cntl_af.cntl_strem_state WHERE strem_nm = '${stream}'`);
      return rows.length === 1 && rows[0].paused === 1;
    };
    expect(!(await page.textContent(`${row} td:nth-child(5)`)).includes('paused'), `${stream} is paused before the step`);
    await page.click(`${row} button.pause:text-is("Pause")`);
    await page.waitForSelector(`${row} button.pause:text-is("Unpause")`);
    expect((await page.textContent(`${row} td:nth-child(5)`)).includes('paused'), `the streams page does not say ${stream} is paused`);
    expect((await apiGet(`/api/v1/streams/${stream}`)).paused === true, 'the API does not say the stream is paused');
    expect(pausedInCli(), 'the CLI does not say the stream is paused');
    await page.click(`#streams a:text-is("${stream}")`);
    await page.waitForSelector('h1 .badge:text-is("paused")');
    await page.click('#nav a:text-is("Streams")');
    await page.click(`${row} button.pause:text-is("Unpause")`);
    await page.waitForSelector(`${row} button.pause:text-is("Pause")`);
    expect(!(await page.textContent(`${row} td:nth-child(5)`)).includes('paused'), `the streams page still says ${stream} is paused`);
    expect((await apiGet(`/api/v1/streams/${stream}`)).paused === false, 'the API still says the stream is paused');
    expect(!pausedInCli(), 'the CLI still says the stream is paused');
    // A fresh page, without the "unpaused" notice in the next screenshot.
    await page.goto(`${base}/streams`);
    await page.waitForSelector(`${row} button.pause:text-is("Pause")`);
  });

  await step('open its graph: groups as boxes, its processes as nodes', async () => {
    await page.click(`#streams a:text-is("${stream}")`);
    await page.waitForURL(new RegExp(`/streams/${stream}$`));
    await page.click('nav.tabs a:text-is("Graph")');
    await page.waitForSelector('svg.graph');
    const text = await page.textContent('svg.graph');
    for (const p of ['PRCS_TEST_FRAMEWORK1', 'PRCS_TEST_FRAMEWORK4']) expect(text.includes(p), `the graph has no ${p}`);
    expect(await page.locator('svg.graph g.cluster').count() > 0, 'the graph draws no group box');
    expect(await page.locator('svg.graph path').count() >= 3, 'the graph draws fewer than 3 dependencies');
    expect(page.url().endsWith(`/streams/${stream}/graph`), `the graph has no stable URL: ${page.url()}`);
    await screenshot('graph');
  });

  await step('a graph shows the upstream process of another stream, linked to that stream', async () => {
    const downstream = env('DOWNSTREAM_STREAM');
    const upstream = `${stream}.${env('UPSTREAM_PROCESS')}`;
    await page.goto(`${base}/streams/${downstream}/graph`);
    const node = `svg.graph g.node.external[data-node="ext:${upstream}"]`;
    await page.waitForSelector(node);
    expect((await page.textContent(node)).includes(`${stream} › ${env('UPSTREAM_PROCESS')}`), 'the upstream node is not labelled with its stream');
    const edges = await page.locator('svg.graph path.cross title').allTextContents();
    expect(edges.length === 1 && edges[0] === `${upstream} → ${env('DOWNSTREAM_PROCESS')} (wait)`,
      `the cross-stream edges are ${JSON.stringify(edges)}`);
    await page.click(node);
    await page.waitForURL(new RegExp(`/streams/${stream}/graph$`));
    // ... and the upstream stream's graph shows who waits for it.
    await page.waitForSelector(`svg.graph g.node.external[data-node="ext:${downstream}.${env('DOWNSTREAM_PROCESS')}"]`);
  });

  let runUrl = '';
  await step('trigger a run and watch it turn green without reloading', async () => {
    await page.click('nav.tabs a:text-is("Grid")');
    // Wait for the grid page itself: until it replaces the graph page, the
    // graph page's own toolbar is what a fill would type into.
    await page.waitForSelector('#grid');
    await page.fill('form.toolbar input[name=date]', date);
    await page.click('form.toolbar button[type=submit]:text-is("Trigger")');
    await page.waitForURL(/\/runs\/\d+$/);
    runUrl = page.url();
    // The page polls: the same document shows queued/running, then success.
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.waitForSelector('h1 .badge.st-0', { timeout: 120000 });
    expect(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded to show the result');
    const bars = await page.locator('#gantt a.bar.st-0').count();
    expect(bars === 4, `the Gantt chart shows ${bars} green bars, not 4`);
    await screenshot('run');
  });

  await step('the grid shows the run as a green column', async () => {
    await page.goto(`${base}/streams/${stream}/grid`);
    await page.waitForSelector('#grid');
    const green = await page.locator('#grid td.cell a.st-0').count();
    expect(green >= 5, `the grid has ${green} green cells, want the run and its 4 processes`);
    await screenshot('grid');
  });

  await step("open a failing attempt's log from the grid", async () => {
    const failed = env('FAILED_STREAM');
    await page.goto(`${base}/streams/${failed}`);
    await page.waitForSelector('#grid');
    await page.click(`#grid td.cell a.st-99[href*="/attempts/${env('FAILED_PROCESS')}/"]`);
    await page.waitForURL(/\/attempts\/[^/]+\/\d+$/);
    await page.waitForSelector('#log');
    await page.waitForFunction(() => document.querySelector('#log').textContent.includes('disk on fire'));
    const message = await page.textContent('#message');
    expect(/exit|status|3/.test(message), `the attempt's message says nothing of the failure: "${message}"`);
    expect(await page.locator('h1 .badge.st-99').count() === 1, 'the attempt is not shown as failed');
    await screenshot('attempt');
  });

  await step('a bad value is shown under its input; a good process is added from the form', async () => {
    await page.goto(`${base}/tables/cntl_cfg_prcs`);
    await page.click('#add-row');
    await page.fill('#f-prcs_nm', 'UI_ADDED');
    await page.fill('#f-prcs_grp', env('GROUP'));
    await page.fill('#f-prir', '2');
    await page.fill('#f-prcs_typ', '42');
    await page.fill('#f-af_path_nm', '/bin/true');
    await page.click('#edit-form button[type=submit]');
    await page.waitForFunction(() => {
      const err = document.querySelector('#f-prcs_typ + .err');
      return err && err.textContent.includes('prcs_typ');
    });
    await page.fill('#f-prcs_typ', '3');
    await page.click('#edit-form button[type=submit]');
    await page.waitForSelector('#rows tr[data-key="UI_ADDED"]');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot('tables');
    const api = await page.evaluate(async () => (await fetch('/api/v1/tables/cntl_cfg_prcs')).json());
    const row = api.rows.find((r) => r.prcs_nm === 'UI_ADDED');
    expect(row, 'UI_ADDED is not in cntl_cfg_prcs');
    expect(row.prcs_typ === 3 && row.prcs_grp === env('GROUP') && row.af_path_nm === '/bin/true',
      `UI_ADDED was stored as ${JSON.stringify(row)}`);
  });

  await step('rows are searched, and the search has a stable URL', async () => {
    await page.fill('#row-search', 'ui_add');
    await page.click('form.toolbar button:text-is("Search")');
    await page.waitForURL(/\/tables\/cntl_cfg_prcs\?q=ui_add$/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tbody tr').length === 1);
    expect((await page.textContent('#row-count')).includes('of 1'), 'the row count is not shown');
    expect(await page.locator('#rows tr[data-key="UI_ADDED"]').count() === 1, 'the search does not find UI_ADDED');
  });

  await step('a CSV upload is previewed as a diff, changes nothing until applied, then adds and changes rows', async () => {
    const group = env('GROUP');
    await page.goto(`${base}/tables/cntl_cfg_prcs`);
    await page.waitForSelector('#rows tr[data-key="UI_ADDED"]');
    const csv = 'prcs_nm,prcs_grp,prir,prcs_typ,af_path_nm\n' +
      `UI_CSV_ADDED,${group},4,3,/bin/true\n` +
      `UI_ADDED,${group},5,3,/bin/true\n`;
    await page.setInputFiles('#csv-file', { name: 'cntl_cfg_prcs.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForSelector('#csv-diff');
    const inserted = await page.locator('#csv-diff ul.ins li').allTextContents();
    const updated = await page.locator('#csv-diff ul.upd li').allTextContents();
    expect(JSON.stringify(inserted) === '["UI_CSV_ADDED"]', `the preview inserts ${JSON.stringify(inserted)}`);
    expect(JSON.stringify(updated) === '["UI_ADDED"]', `the preview updates ${JSON.stringify(updated)}`);
    expect(await page.locator('#csv-diff ul.del').count() === 0, 'the preview deletes rows');
    expect(!(await processRow('UI_CSV_ADDED')), 'the preview inserted UI_CSV_ADDED');
    expect((await processRow('UI_ADDED')).prir === 2, 'the preview changed UI_ADDED');
    expect(await page.locator('#rows tr[data-key="UI_CSV_ADDED"]').count() === 0, 'the table shows UI_CSV_ADDED before applying');
    await page.click('#csv-apply');
    await page.waitForSelector('#rows tr[data-key="UI_CSV_ADDED"]');
    await page.waitForSelector('#csv-diff', { state: 'detached' });
    const added = await processRow('UI_CSV_ADDED');
    expect(added && added.prir === 4 && added.prcs_grp === group, `UI_CSV_ADDED was stored as ${JSON.stringify(added)}`);
    expect((await processRow('UI_ADDED')).prir === 5, 'UI_ADDED was not changed by the CSV');
  });

  await step('"new process like this one": bad entries are shown inline and save nothing; a good one saves', async () => {
    const like = '#rows tr[data-key="UI_ADDED"] button.like';
    await page.click(like);
    await page.fill('#f-new_name', 'UI_LIKE');
    await page.fill('#f-prcs_grp', 'NO_SUCH_GROUP');
    await page.click('#edit-form button[type=submit]');
    await page.waitForFunction(() =>
      /unknown process group 'NO_SUCH_GROUP'/.test(document.querySelector('#f-prcs_grp + .err')?.textContent || ''));
    await page.fill('#f-prcs_grp', env('GROUP'));
    await page.fill('#f-new_name', env('FAILED_PROCESS'));
    await page.click('#edit-form button[type=submit]');
    await page.waitForFunction(() => /already exists/.test(document.querySelector('#f-new_name + .err')?.textContent || ''));
    expect(!(await processRow('UI_LIKE')), 'a refused copy was saved');
    expect((await processRow(env('FAILED_PROCESS'))).af_path_nm === '/bin/sh', `the copy overwrote ${env('FAILED_PROCESS')}`);
    await page.fill('#f-new_name', 'UI_LIKE');
    await page.click('#edit-form button[type=submit]');
    await page.waitForSelector('#rows tr[data-key="UI_LIKE"]');
    const copy = await processRow('UI_LIKE');
    expect(copy && copy.prcs_grp === env('GROUP') && copy.prir === 5 && copy.af_path_nm === '/bin/true',
      `UI_LIKE was stored as ${JSON.stringify(copy)}`);
  });

  await step('the log page: a search narrows the rows', async () => {
    const failed = env('FAILED_PROCESS');
    await page.click('#nav a:text-is("Log")');
    await page.waitForURL(/\/log$/);
    await page.waitForSelector('#attempts tbody tr');
    const before = await page.locator('#attempts tbody tr').allTextContents();
    expect(before.some((r) => !r.includes(failed)), `the log shows only ${failed} before the search`);
    await page.fill('form.toolbar input[name=q]', failed);
    await page.click('form.toolbar button:text-is("Search")');
    await page.waitForURL(new RegExp(`/log\\?q=${failed}$`));
    await page.waitForFunction((p) => {
      const rows = [...document.querySelectorAll('#attempts tbody tr')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes(p));
    }, failed);
    const after = await page.locator('#attempts tbody tr').allTextContents();
    expect(after.length < before.length, `the search kept ${after.length} of ${before.length} rows`);
    expect(after.some((r) => r.includes('disk on fire')), 'the failed attempt\'s message is not in the row');
  });

  await step("a running attempt's log is followed: a later line appears without reloading", async () => {
    const followed = env('FOLLOW_PROCESS');
    await page.goto(`${base}/streams/${env('FOLLOW_STREAM')}`);
    await page.waitForSelector('#grid');
    await page.click('form.toolbar button[type=submit]:text-is("Trigger")');
    await page.waitForURL(/\/runs\/\d+$/);
    const link = `a[href$="/attempts/${followed}/1"]`;
    // The process waits for the gate file, so it stays running until then.
    await page.waitForSelector(`#attempts tr:has(${link}) .badge.st-1`, { timeout: 120000 });
    await page.click(`#attempts ${link}`);
    await page.waitForURL(new RegExp(`/attempts/${followed}/1$`));
    await page.waitForFunction(() => document.querySelector('#log')?.textContent.includes('first line'));
    await page.evaluate(() => { window.__sameDocument = true; });
    expect(await page.locator('h1 .badge.st-1').count() === 1, 'the attempt is not shown as running');
    expect((await page.textContent('main h2')).includes('(following)'), 'the page does not say it follows the log');
    expect(!(await page.textContent('#log')).includes('second line'), 'the second line is there before the gate opened');
    fs.writeFileSync(gate, 'open\n');
    await page.waitForFunction(() => document.querySelector('#log').textContent.includes('second line'), null, { timeout: 60000 });
    await page.waitForSelector('h1 .badge.st-0', { timeout: 60000 });
    expect(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded to show the later line');
    expect(!(await page.textContent('main h2')).includes('(following)'), 'the page still follows a finished log');
  });

  await step('the finished attempt shows its row counts and message', async () => {
    await page.waitForFunction(() => document.querySelector('#message')?.textContent === 'copied 7 of 12 rides');
    expect((await page.textContent('dl.kv')).includes('source 12, target 7'), 'the attempt page does not show its row counts');
    await page.click('dl.kv a[href^="/runs/"]');
    await page.waitForSelector('#attempts');
    const row = await page.textContent(`#attempts tr:has(a:text-is("${env('FOLLOW_PROCESS')}"))`);
    expect(row.includes('12 / 7') && row.includes('copied 7 of 12 rides'), `the run's attempt row is "${row}"`);
  });

  await step('the audit page records the admin\'s edit', async () => {
    await page.goto(`${base}/audit`);
    await page.waitForFunction(() => document.body.textContent.includes('UI_ADDED'));
  });

  await step('as a viewer, an edit is refused and nothing changes', async () => {
    await page.click('#who button:text-is("Log out")');
    await page.waitForURL(/\/login/);
    await logIn(env('VIEWER_TOKEN'));
    await page.goto(`${base}/tables/cntl_cfg_prcs`);
    await page.waitForSelector('#rows');
    expect((await page.textContent('main')).includes('edits need the admin role'), 'the viewer is not told edits need admin');
    await page.click('#add-row');
    await page.fill('#f-prcs_nm', 'UI_VIEWER');
    await page.fill('#f-prcs_grp', env('GROUP'));
    await page.fill('#f-prir', '3');
    await page.fill('#f-prcs_typ', '3');
    await page.fill('#f-af_path_nm', '/bin/true');
    await page.click('#edit-form button[type=submit]');
    await page.waitForFunction(() => /needs the role admin/.test(document.querySelector('#form .error-box')?.textContent || ''));
    const rows = await page.evaluate(async () => (await fetch('/api/v1/tables/cntl_cfg_prcs')).json());
    expect(!rows.rows.some((r) => r.prcs_nm === 'UI_VIEWER'), 'the viewer\'s row was written');
    // Operating needs the operator role too: the viewer's trigger is refused.
    await page.goto(`${base}/streams/${stream}`);
    await page.click('form.toolbar button[type=submit]:text-is("Trigger")');
    await page.waitForFunction(() => /needs the role operator/.test(document.querySelector('#flash.bad')?.textContent || ''));
    expect(!/\/runs\/\d+$/.test(page.url()), 'the viewer triggered a run');
  });

  await step('a pasted link to the run opens it after logging in', async () => {
    await page.click('#who button:text-is("Log out")');
    await page.waitForURL(/\/login/);
    await page.goto(runUrl);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('#token', env('ADMIN_TOKEN'));
    await page.click('form.login button[type=submit]');
    await page.waitForURL(runUrl);
    await page.waitForSelector('#gantt a.bar');
  });

  expect(consoleErrors.length === 0, `the browser reported errors:\n${consoleErrors.join('\n')}`);
  console.log('all UI steps passed');
} catch (e) {
  const file = path.join(artifacts, 'ui-failure.png');
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  console.error(`FAIL ${current}\n  at ${page.url()}\n  ${e.message.split('\n').join('\n  ')}\n  screenshot: ${file}`);
  if (consoleErrors.length) console.error(`  browser said:\n    ${consoleErrors.join('\n    ')}`);
  process.exitCode = 1;
} finally {
  // Let the followed process end even when a step failed before opening it.
  try { fs.writeFileSync(gate, 'open\n'); } catch { /* the scratch folder is gone */ }
  await browser.close();
}
