'use strict';
// Interop agent for Chromium's own WebSocket, as client: headless Chromium
// (Debian's binary, never a downloaded one) driven by playwright-core.
//
//   node peers/chromium.js --user-data-dir DIR [--executable PATH] [--ignore-https-errors]
//   node peers/chromium.js --version [--executable PATH]
//
// The agent speaks the protocol of interop/doc.go. Each connect command
// names, besides the WebSocket URL, the page whose script opens the
// WebSocket ("page"): the agent loads each page once, from 127.0.0.1, and
// the browser sends that page's origin. The WebSocket API cannot send
// pings, so the ping command is answered with an error.
//
// --ignore-https-errors lets the browser load https:// pages and open
// wss:// WebSockets of servers with self-signed certificates (echoserver
// -tls): Chromium's --ignore-certificate-errors for the WebSockets, and
// playwright's ignoreHTTPSErrors for the pages.

const fs = require('fs');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const common = require('./common');
const { CHROMIUM_ARGS, argValue } = common;

// harness runs in the page: it keeps the page's WebSockets by name and
// reports their events through the __report binding.
function harness() {
  const conns = new Map();
  const report = (ev) => window.__report(ev);
  const toBase64 = (buf) => {
    const bytes = new Uint8Array(buf);
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  };
  const fromBase64 = (b64) => {
    const s = atob(b64);
    const bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return bytes.buffer;
  };
  window.__interop = {
    connect(id, url, protocols) {
      const ws = new WebSocket(url, protocols);
      ws.binaryType = 'arraybuffer';
      conns.set(id, ws);
      ws.onopen = () => report({
        event: 'open', id, protocol: ws.protocol, extensions: ws.extensions,
        extension_names: ws.extensions ? ws.extensions.split(',').map((e) => e.split(';')[0].trim()) : [],
      });
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') report({ event: 'message', id, type: 'text', data: ev.data });
        else report({ event: 'message', id, type: 'binary', data: toBase64(ev.data) });
      };
      ws.onerror = () => report({ event: 'error', id, message: 'WebSocket error event' });
      ws.onclose = (ev) => {
        conns.delete(id);
        report({ event: 'closed', id, code: ev.code, reason: ev.reason, clean: ev.wasClean });
      };
    },
    send(id, type, data) {
      conns.get(id).send(type === 'binary' ? fromBase64(data) : data);
    },
    burst(id, prefix, count) {
      const ws = conns.get(id);
      for (let i = 0; i < count; i++) ws.send(prefix + i);
    },
    close(id, code, reason) {
      conns.get(id).close(code, reason);
    },
    has(id) {
      return conns.has(id);
    },
  };
}

async function main() {
  const args = process.argv.slice(2);
  const executablePath = argValue(args, '--executable', '/usr/bin/chromium');
  if (args.includes('--version')) {
    const v = execFileSync(executablePath, ['--version'], { encoding: 'utf8' }).trim();
    console.log(v + ', playwright-core ' + require('playwright-core/package.json').version);
    return;
  }
  const userDataDir = argValue(args, '--user-data-dir', '');
  if (!userDataDir || !fs.existsSync(userDataDir)) {
    console.error('usage: chromium.js --user-data-dir EXISTING_EMPTY_DIR [--executable PATH] | --version');
    process.exit(2);
  }

  const ignoreHTTPSErrors = args.includes('--ignore-https-errors');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ignoreHTTPSErrors ? CHROMIUM_ARGS.concat(['--ignore-certificate-errors']) : CHROMIUM_ARGS,
    ignoreHTTPSErrors,
  });
  await context.exposeBinding('__report', (_source, ev) => common.emit(ev));
  await context.addInitScript(harness);
  const browser = context.browser();
  const version = (browser ? 'Chromium ' + browser.version() : 'Chromium') +
    ', playwright-core ' + require('playwright-core/package.json').version;

  const pages = new Map(); // page URL -> Promise<Page>
  const pageFor = (url) => {
    if (!pages.has(url)) {
      pages.set(url, (async () => {
        const page = await context.newPage();
        await page.goto(url);
        return page;
      })());
    }
    return pages.get(url);
  };
  const where = new Map(); // connection id -> Promise<Page>

  // Commands run one after the other, in the order they came.
  let chain = Promise.resolve();
  const run = async (cmd) => {
    if (cmd.op === 'connect') {
      const p = pageFor(cmd.page);
      where.set(cmd.id, p);
      const page = await p;
      await page.evaluate(([id, url, protocols]) => window.__interop.connect(id, url, protocols),
        [cmd.id, cmd.url, cmd.protocols || []]);
      return;
    }
    if (cmd.op === 'ping') {
      common.emit({ event: 'error', id: cmd.id, message: 'ping: the WebSocket API cannot send pings' });
      return;
    }
    const p = where.get(cmd.id);
    if (!p) {
      common.emit({ event: 'error', id: cmd.id, message: cmd.op + ': no connection ' + cmd.id });
      return;
    }
    const page = await p;
    switch (cmd.op) {
      case 'send':
        await page.evaluate(([id, type, data]) => window.__interop.send(id, type, data), [cmd.id, cmd.type, cmd.data]);
        break;
      case 'burst':
        await page.evaluate(([id, prefix, count]) => window.__interop.burst(id, prefix, count), [cmd.id, cmd.prefix, cmd.count]);
        break;
      case 'close':
        await page.evaluate(([id, code, reason]) => window.__interop.close(id, code, reason), [cmd.id, cmd.code, cmd.reason]);
        break;
      default:
        common.emit({ event: 'error', id: cmd.id, message: 'unknown op ' + cmd.op });
    }
  };

  const rl = common.readCommands((cmd) => {
    chain = chain.then(() => run(cmd)).catch((err) => {
      common.emit({ event: 'error', id: cmd.id, message: cmd.op + ': ' + (err && err.message || err) });
    });
  });
  rl.on('close', async () => {
    try {
      await context.close();
    } finally {
      process.exit(0);
    }
  });
  common.emit({ event: 'ready', version });
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
