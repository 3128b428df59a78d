'use strict';
// Runs the wasm program of TestWasm (interop/wasm) in headless Chromium
// (Debian's binary, never a downloaded one) driven by playwright-core, as
// peers/chromium.js does: it loads URL, the test's page, waits for the
// program's result in window.wasmResult and prints it on stdout, one JSON
// line. The page's console and errors go to stderr as they come.
//
//   node peers/wasm_page.js --user-data-dir DIR [--executable PATH] [--timeout-ms N] URL
//
// It exits 0 once it printed the result, 1 when the page failed or gave
// no result within the timeout (60 s by default), 2 on bad usage.

const fs = require('fs');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS, argValue } = require('./common');

function log(line) {
  process.stderr.write(line + '\n');
}

async function main() {
  const args = process.argv.slice(2);
  const executablePath = argValue(args, '--executable', '/usr/bin/chromium');
  const userDataDir = argValue(args, '--user-data-dir', '');
  const timeout = Number(argValue(args, '--timeout-ms', '60000'));
  const url = args[args.length - 1];
  if (!userDataDir || !fs.existsSync(userDataDir) || !/^https?:\/\//.test(url || '') || !(timeout > 0)) {
    log('usage: wasm_page.js --user-data-dir EXISTING_EMPTY_DIR [--executable PATH] [--timeout-ms N] URL');
    process.exit(2);
  }

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  let status = 1;
  try {
    const browser = context.browser();
    log('[browser] ' + (browser ? 'Chromium ' + browser.version() : 'Chromium') +
      ', playwright-core ' + require('playwright-core/package.json').version);
    const page = await context.newPage();
    page.on('console', (msg) => log('[console.' + msg.type() + '] ' + msg.text()));
    page.on('pageerror', (err) => log('[pageerror] ' + (err && err.stack || err)));
    page.on('crash', () => log('[crash] the page crashed'));
    page.on('requestfailed', (req) => log('[requestfailed] ' + req.url() + ': ' + (req.failure() && req.failure().errorText)));
    await page.goto(url, { timeout });
    const handle = await page.waitForFunction(() => typeof window.wasmResult === 'string' && window.wasmResult,
      null, { timeout, polling: 50 });
    const result = await handle.jsonValue();
    JSON.parse(result); // it must be JSON
    process.stdout.write(result + '\n');
    status = 0;
  } catch (err) {
    log('[error] ' + (err && err.stack || err));
  } finally {
    await context.close().catch((err) => log('[error] closing the browser: ' + (err && err.message || err)));
  }
  process.exit(status);
}

main().catch((err) => {
  log(err && err.stack || err);
  process.exit(1);
});
