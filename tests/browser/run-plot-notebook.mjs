// Runs a notebook with a live plot through Jupyter Notebook's classic UI
// in Debian's Chromium, headless (playwright-core, no browser download):
// connects the board, starts a %%plot cell that prints readings for a few
// seconds, takes a screenshot while the chart is being redrawn and one
// after the cell ended, and reports what the chart held each time.
//
// Environment: JUPYTER_URL, JUPYTER_TOKEN, NOTEBOOK, ARTIFACTS, CHROMIUM
// (as run-server-notebook.mjs). Prints one JSON line {"ok":...} last.
import { launch, waitDone } from './notebook.mjs';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const base = (env.JUPYTER_URL || 'http://127.0.0.1:8888/').replace(/\/?$/, '/');
const token = env.JUPYTER_TOKEN || '';
const notebook = env.NOTEBOOK || 'plot.ipynb';
const artifacts = env.ARTIFACTS || 'testdata/artifacts';
const executablePath = env.CHROMIUM || '/usr/bin/chromium';
const RUN = 'button[data-jupyter-action="jupyter-notebook:run-cell-and-select-next"]';

function log(...args) {
  console.error('[browser]', ...args);
}

// chartState reads the cell's chart: how many series and the points of
// each, as the page shows them now.
async function chartState(cell) {
  return cell.evaluate((el) => {
    const svg = el.querySelector('.output_svg svg, .output_subarea svg, img[src^="data:image/svg"]');
    if (!svg) return null;
    if (svg.tagName.toLowerCase() === 'img') return { img: true };
    const lines = [...svg.querySelectorAll('polyline.series')];
    return {
      series: lines.map((l) => l.getAttribute('data-name')),
      points: lines.map((l) => (l.getAttribute('points') || '').trim().split(/\s+/).filter(Boolean).length),
    };
  });
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const { page, close } = await launch(executablePath, { width: 1100, height: 900 });
  const result = { ok: false, notebook };
  try {
    const url = `${base}notebooks/${encodeURI(notebook)}?token=${encodeURIComponent(token)}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#notebook-container .cell', { timeout: 60000 });
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 90000 });
    const cells = page.locator('#notebook-container > .cell.code_cell');
    await cells.nth(0).locator('.prompt').first().click();
    // Cell 0 connects the board.
    await page.click(RUN);
    await waitDone(cells.nth(0), 0);
    // Cell 1 plots.
    const plot = cells.nth(1);
    await page.click(RUN);
    const t0 = Date.now();
    await page.waitForFunction((el) => el.querySelector('svg polyline.series'), await plot.elementHandle(), { timeout: 60000 });
    // Let a few redraws come, then take the mid-run picture.
    await page.waitForTimeout(1500);
    result.running = /\[\*\]/.test(await plot.locator('.input_prompt').innerText());
    result.mid = await chartState(plot);
    result.midScreenshot = path.join(artifacts, 'browser-plot-running.png');
    await plot.scrollIntoViewIfNeeded();
    await page.screenshot({ path: result.midScreenshot, fullPage: true });
    await waitDone(plot, 1);
    result.seconds = (Date.now() - t0) / 1000;
    result.final = await chartState(plot);
    result.text = (await plot.locator('.output_wrapper .output_stream').allInnerTexts()).map((s) => s.trim()).join('\n');
    result.outputs = await plot.locator('.output_wrapper .output_area').count();
    // The outputs in page order: "sampling" was printed before the first
    // reading, so it must come before the chart.
    result.textBeforeChart = await plot.evaluate((el) => {
      const areas = [...el.querySelectorAll('.output_wrapper .output_area')];
      const text = areas.findIndex((a) => a.innerText.includes('sampling'));
      const chart = areas.findIndex((a) => a.querySelector('svg'));
      return text >= 0 && chart >= 0 && text < chart;
    });
    result.screenshot = path.join(artifacts, 'browser-plot-done.png');
    await page.screenshot({ path: result.screenshot, fullPage: true });
    result.ok = true;
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
    await page.screenshot({ path: path.join(artifacts, 'browser-plot-FAILED.png'), fullPage: true }).catch(() => {});
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
