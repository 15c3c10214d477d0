// Drives the HTTP server tutorial notebook through Jupyter Notebook's real
// classic UI (Notebook 6, what Debian 12 ships) in Debian's Chromium,
// headless, with playwright-core (which never downloads a browser here).
//
// Steps, all with the mouse on the toolbar: run the cells from the top with
// the Run button until the server cell, which keeps running; then request
// the server from this (host) process and check the counted replies; click
// the interrupt button; see the KeyboardInterrupt error; run the next cell
// and check what it printed. A screenshot of the page is saved.
//
// Environment:
//   JUPYTER_URL     the server's base URL, e.g. http://127.0.0.1:8888/
//   JUPYTER_TOKEN   its token
//   NOTEBOOK        the notebook's path under the server's root
//   SERVER_MARKER   text that identifies the server cell (default "serve(PORT)")
//   NEXT_EXPECT     text the cell after the server must print
//                   (default "The server answered 3 requests")
//   REQUESTS        how many requests to send (default 3)
//   ARTIFACTS       where screenshots go (default ../../testdata/artifacts)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//
// Prints one JSON line {"ok":..., ...} as its last line; exit status 0 on
// success.
import { launch, waitDone } from './notebook.mjs';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const base = (env.JUPYTER_URL || 'http://127.0.0.1:8888/').replace(/\/?$/, '/');
const token = env.JUPYTER_TOKEN || '';
const notebook = env.NOTEBOOK || '2-http-server.ipynb';
const serverMarker = env.SERVER_MARKER || 'serve(PORT)';
const requests = Number(env.REQUESTS || 3);
const nextExpect = env.NEXT_EXPECT || `The server answered ${requests} requests`;
const artifacts = env.ARTIFACTS || path.join(here, '..', '..', 'testdata', 'artifacts');
const executablePath = env.CHROMIUM || '/usr/bin/chromium';

const RUN = 'button[data-jupyter-action="jupyter-notebook:run-cell-and-select-next"]';
const INTERRUPT = 'button[data-jupyter-action="jupyter-notebook:interrupt-kernel"]';

function log(...args) {
  console.error('[browser]', ...args);
}

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const { page, close } = await launch(executablePath, { width: 1280, height: 1600 });
  const result = { ok: false, notebook, cells: 0, replies: [] };
  page.on('pageerror', (e) => log('page error:', e.message));
  try {
    const url = `${base}notebooks/${encodeURI(notebook)}?token=${encodeURIComponent(token)}`;
    log('open', url.replace(/token=.*/, 'token=...'));
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#notebook-container .cell', { timeout: 60000 });
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 90000 });
    log('kernel', await page.textContent('.kernel_indicator_name'), 'is idle');

    const cells = page.locator('#notebook-container > .cell');
    const count = await cells.count();
    // Select the first cell by clicking its prompt (not its editor).
    await cells.nth(0).locator('.prompt').first().click();

    let serverIndex = -1;
    for (let i = 0; i < count; i++) {
      const cell = cells.nth(i);
      const isCode = (await cell.getAttribute('class')).includes('code_cell');
      const source = isCode ? await cell.locator('.CodeMirror-code').innerText() : '';
      await page.click(RUN);
      if (!isCode) continue;
      result.cells++;
      if (source.includes(serverMarker)) {
        serverIndex = i;
        break;
      }
      await waitDone(cell, i);
      await noError(cell, i);
    }
    if (serverIndex < 0) throw new Error(`no cell contains ${JSON.stringify(serverMarker)}`);

    // The server cell runs until interrupted.
    const server = cells.nth(serverIndex);
    // Only the output counts: the cell's source holds the same words.
    const out = server.locator('.output_wrapper');
    const listenRE = /Listening on (http:\/\/[^\s/]+:\d+\/)/;
    await page.waitForFunction(
      ([el, re]) => new RegExp(re).test(el.innerText),
      [await out.elementHandle(), listenRE.source], { timeout: 60000 });
    const listening = (await out.innerText()).match(listenRE)[1];
    log('the server cell says it listens on', listening);
    for (let n = 0; n < requests; n++) {
      const { status, body } = await get(listening);
      if (status !== 200 || !body.includes(`Hello #${n} `)) {
        throw new Error(`request ${n}: status ${status}, body ${JSON.stringify(body)}`);
      }
      result.replies.push(body.trim());
    }
    log('replies:', result.replies);
    if (!/\[\*\]/.test(await server.locator('.input_prompt').innerText())) {
      throw new Error('the server cell is not running any more before the interrupt');
    }

    await page.click(INTERRUPT);
    log('clicked interrupt');
    await page.waitForFunction(
      (el) => el.innerText.includes('KeyboardInterrupt'),
      await out.elementHandle(), { timeout: 30000 });
    await waitDone(server, serverIndex);
    result.interrupt = (await out.innerText()).split('\n').filter((l) => l.includes('KeyboardInterrupt')).pop();
    log('the server cell shows', result.interrupt);

    // Run-cell-and-select-next already moved the selection past the server
    // cell: run the following cells up to the next code cell.
    let next = -1;
    for (let i = serverIndex + 1; i < count; i++) {
      const cell = cells.nth(i);
      const isCode = (await cell.getAttribute('class')).includes('code_cell');
      await page.click(RUN);
      if (isCode) {
        next = i;
        break;
      }
    }
    if (next < 0) throw new Error('no code cell after the server cell');
    result.cells++;
    await waitDone(cells.nth(next), next);
    await noError(cells.nth(next), next);
    result.next = (await cells.nth(next).locator('.output_wrapper').innerText()).trim();
    if (!result.next.includes(nextExpect)) {
      throw new Error(`the cell after the server printed ${JSON.stringify(result.next)}, want ${JSON.stringify(nextExpect)}`);
    }
    result.screenshot = path.join(artifacts, 'browser-http-server.png');
    await cells.nth(serverIndex).scrollIntoViewIfNeeded();
    // The "Interrupting kernel" notice fades after two seconds; the picture
    // is clearer without it (and it says nothing the output does not).
    await page.waitForSelector('#notification_kernel', { state: 'hidden', timeout: 5000 }).catch(() => {});
    await page.screenshot({ path: result.screenshot, fullPage: true });
    result.ok = true;
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
    result.screenshot = path.join(artifacts, 'browser-http-server-FAILED.png');
    await page.screenshot({ path: result.screenshot, fullPage: true }).catch(() => {});
  } finally {
    await close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}


// noError fails when code cell i shows an error output.
async function noError(cell, i) {
  const errs = cell.locator('.output_error');
  if ((await errs.count()) > 0) {
    throw new Error(`cell ${i} failed:\n${await errs.first().innerText()}`);
  }
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
});
