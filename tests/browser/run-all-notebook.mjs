// Opens a notebook in Jupyter Notebook's classic UI in Debian's Chromium,
// headless, runs all its cells (Cell > Run All), waits until every code
// cell has run and the page shows EXPECT, and saves a screenshot.
//
// Environment: JUPYTER_URL, JUPYTER_TOKEN, NOTEBOOK, ARTIFACTS, CHROMIUM
// (as run-server-notebook.mjs), EXPECT (text the page must show once all
// has run, e.g. what a background cell prints last), SHOT (the
// screenshot's file name). Prints one JSON line {"ok":...} last.
import { launch, waitDone } from './notebook.mjs';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const base = (env.JUPYTER_URL || 'http://127.0.0.1:8888/').replace(/\/?$/, '/');
const artifacts = env.ARTIFACTS || 'testdata/artifacts';
const shot = path.join(artifacts, env.SHOT || 'browser-run-all.png');

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const { page, close } = await launch(env.CHROMIUM || '/usr/bin/chromium', { width: 1280, height: 1200 });
  const result = { ok: false, notebook: env.NOTEBOOK };
  try {
    const url = `${base}notebooks/${encodeURI(env.NOTEBOOK)}?token=${encodeURIComponent(env.JUPYTER_TOKEN || '')}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#notebook-container .cell', { timeout: 60000 });
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 90000 });
    // The menu, as a user would: Cell > Run All.
    await page.click('#celllink');
    await page.click('#run_all_cells');
    const cells = page.locator('#notebook-container > .cell.code_cell');
    const count = await cells.count();
    for (let i = 0; i < count; i++) await waitDone(cells.nth(i), i, 180000);
    await page.waitForFunction((want) => document.querySelector('#notebook-container').innerText.includes(want),
      env.EXPECT, { timeout: 120000 });
    result.cells = count;
    result.errors = await page.locator('.output_error').allInnerTexts();
    result.text = await page.locator('#notebook-container').innerText();
    result.screenshot = shot;
    await page.screenshot({ path: shot, fullPage: true });
    result.ok = true;
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
    await page.screenshot({ path: shot.replace(/\.png$/, '-FAILED.png'), fullPage: true }).catch(() => {});
  } finally {
    await close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
});
