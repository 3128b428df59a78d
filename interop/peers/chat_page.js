'use strict';
// Uses the chat page of examples/chat in headless Chromium (Debian's
// binary, never a downloaded one) driven by playwright-core, for TestChat
// (chat_test.go), as a person would: it loads URL (the page joins its
// default room), joins ROOM with the Room field and the Join button, and
// prints the line "joined ROOM" on stdout; it then types MESSAGE into the
// message field, presses Send, and waits until the page's list holds
// MESSAGE and every --expect text (messages that others send to the room).
// It then saves a screenshot of the viewport (800x600) as a PNG at
// SCREENSHOT and prints the result as one JSON line on stdout: the list's
// items (their text), the status line, the boxes of the list and its
// items in the screenshot's pixels, the URL's fragment and the browser's
// version. The page's console and errors go to stderr as they come.
//
//   node peers/chat_page.js --user-data-dir DIR --room ROOM --send MESSAGE
//       [--expect TEXT]... --screenshot FILE [--executable PATH] [--timeout-ms N] URL
//
// It exits 0 once it printed the result, 1 when the page failed or did not
// get there within the timeout (60 s by default), 2 on bad usage.

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS, argValue } = require('./common');

// The viewport, and so the screenshot's size.
const VIEWPORT = { width: 800, height: 600 };

function argValues(args, name) {
  const out = [];
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] === name) out.push(args[++i]);
  }
  return out;
}

function log(line) {
  process.stderr.write(line + '\n');
}

// waitState waits until the status line's data-state is state and its
// text holds text.
async function waitState(page, state, text, timeout) {
  await page.waitForFunction(([state, text]) => {
    const status = document.getElementById('status');
    return status && status.dataset.state === state && status.textContent.includes(text);
  }, [state, text], { timeout, polling: 50 });
}

async function main() {
  const args = process.argv.slice(2);
  const executablePath = argValue(args, '--executable', '/usr/bin/chromium');
  const userDataDir = argValue(args, '--user-data-dir', '');
  const timeout = Number(argValue(args, '--timeout-ms', '60000'));
  const room = argValue(args, '--room', '');
  const message = argValue(args, '--send', '');
  const expect = argValues(args, '--expect');
  const screenshot = argValue(args, '--screenshot', '');
  const url = args[args.length - 1];
  if (!userDataDir || !fs.existsSync(userDataDir) || !room || !message || !screenshot ||
      !fs.existsSync(path.dirname(screenshot)) || !/^https?:\/\//.test(url || '') || !(timeout > 0)) {
    log('usage: chat_page.js --user-data-dir EXISTING_EMPTY_DIR --room ROOM --send MESSAGE [--expect TEXT]... ' +
      '--screenshot FILE [--executable PATH] [--timeout-ms N] URL');
    process.exit(2);
  }

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
  });
  let status = 1;
  try {
    const browser = context.browser();
    const version = (browser ? 'Chromium ' + browser.version() : 'Chromium') +
      ', playwright-core ' + require('playwright-core/package.json').version;
    log('[browser] ' + version);
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    page.on('console', (msg) => log('[console.' + msg.type() + '] ' + msg.text()));
    page.on('pageerror', (err) => log('[pageerror] ' + (err && err.stack || err)));
    page.on('crash', () => log('[crash] the page crashed'));
    page.on('requestfailed', (req) => log('[requestfailed] ' + req.url() + ': ' + (req.failure() && req.failure().errorText)));
    page.on('websocket', (ws) => {
      log('[websocket] ' + ws.url());
      ws.on('close', () => log('[websocket closed] ' + ws.url()));
    });

    await page.goto(url, { timeout });
    await waitState(page, 'open', 'lobby', timeout); // the default room

    // Join ROOM as a person would, and tell the test.
    await page.fill('#room', room);
    await page.click('#join');
    await waitState(page, 'open', room, timeout);
    process.stdout.write('joined ' + room + '\n');

    await page.fill('#message', message);
    await page.click('#send');
    const want = [message].concat(expect);
    await page.waitForFunction((want) => {
      const items = Array.from(document.querySelectorAll('#messages li'), (li) => li.textContent);
      return want.every((text) => items.includes(text));
    }, want, { timeout, polling: 50 });

    const result = await page.evaluate(() => {
      const box = (el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      };
      const list = document.getElementById('messages');
      const status = document.getElementById('status');
      return {
        items: Array.from(list.querySelectorAll('li'), (li) => li.textContent),
        item_boxes: Array.from(list.querySelectorAll('li'), box),
        list_box: box(list),
        status: status.textContent,
        state: status.dataset.state,
        hash: location.hash,
        message_field: document.getElementById('message').value,
      };
    });
    await page.screenshot({ path: screenshot, type: 'png' });
    result.viewport = VIEWPORT;
    result.screenshot = screenshot;
    result.browser = version;
    process.stdout.write(JSON.stringify(result) + '\n');
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
