// What the browser scripts share: launching Debian's Chromium headless with
// a fresh profile (playwright-core, which never downloads a browser here)
// and waiting for a classic-UI notebook cell to finish.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The flags that keep Chromium off this machine's closed network.
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// launch starts Chromium with a new profile; close() ends it and removes
// the profile.
export async function launch(executablePath, viewport) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-chromium-'));
  // A persistent context is how playwright passes a fresh --user-data-dir.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport, args: FLAGS,
  });
  const page = browser.pages()[0] || (await browser.newPage());
  return {
    browser,
    page,
    async close() {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// waitDone waits until code cell i shows an execution count ("In [3]:"),
// which the classic UI shows when the kernel has answered.
export async function waitDone(cell, i, timeout = 120000) {
  const prompt = cell.locator('.input_prompt');
  const t0 = Date.now();
  for (;;) {
    const text = await prompt.innerText();
    if (/\[\d+\]/.test(text)) return;
    if (Date.now() - t0 > timeout) throw new Error(`cell ${i} still shows ${JSON.stringify(text)} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
