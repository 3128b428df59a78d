'use strict';
// Interop agent for Node's ws package, as client or as server.
//
//   node peers/ws.js client|server [--deflate]
//   node peers/ws.js --version
//
// The agent speaks the protocol of interop/doc.go: commands as JSON lines
// on stdin, events as JSON lines on stdout. As a server it listens on
// 127.0.0.1 on a free port (reported by the ready event), names each
// connection by the last segment of its path (/c/ID), echoes every message
// with its type, and chooses the first offered subprotocol that it supports.

const http = require('http');
const { WebSocket, WebSocketServer } = require('ws');
const common = require('./common');

const SUPPORTED_PROTOCOLS = ['wsconn.interop.v2', 'wsconn.interop.v1'];
const MAX_PAYLOAD = 64 << 20;

function version() {
  return 'ws ' + require('ws/package.json').version + ', node ' + process.versions.node;
}

const conns = new Map(); // id -> WebSocket

// watch reports the events of one connection. echo makes it send every
// message back instead of reporting it.
function watch(id, ws, echo) {
  conns.set(id, ws);
  ws.binaryType = 'nodebuffer';
  ws.on('message', (data, isBinary) => {
    if (echo) {
      ws.send(data, { binary: isBinary });
      return;
    }
    common.emit({
      event: 'message', id,
      type: isBinary ? 'binary' : 'text',
      data: isBinary ? data.toString('base64') : data.toString('utf8'),
    });
  });
  ws.on('ping', (data) => common.emit({ event: 'ping', id, data: data.toString('utf8') }));
  ws.on('pong', (data) => common.emit({ event: 'pong', id, data: data.toString('utf8') }));
  ws.on('error', (err) => common.emit({ event: 'error', id, message: String(err && err.message || err) }));
  // The EventTarget form carries wasClean: close frames went both ways.
  ws.addEventListener('close', (ev) => {
    conns.delete(id);
    common.emit({ event: 'closed', id, code: ev.code, reason: ev.reason, clean: ev.wasClean });
  });
}

function connect(cmd, deflate) {
  const ws = new WebSocket(cmd.url, cmd.protocols || [], {
    perMessageDeflate: deflate,
    maxPayload: MAX_PAYLOAD,
  });
  let extensions = '';
  ws.on('upgrade', (res) => {
    extensions = res.headers['sec-websocket-extensions'] || '';
  });
  ws.on('open', () => {
    common.emit({
      event: 'open', id: cmd.id, protocol: ws.protocol, extensions,
      extension_names: ws.extensions ? ws.extensions.split(',') : [],
    });
  });
  watch(cmd.id, ws, false);
}

function serve(deflate) {
  const server = http.createServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: deflate,
    maxPayload: MAX_PAYLOAD,
    handleProtocols: (offered) => {
      for (const p of offered) {
        if (SUPPORTED_PROTOCOLS.includes(p)) return p;
      }
      return false;
    },
  });
  // What the server answers, kept until the connection event.
  const answers = new WeakMap();
  wss.on('headers', (headers, req) => {
    const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
    answers.set(req, line ? line.slice(line.indexOf(':') + 1).trim() : '');
  });
  wss.on('connection', (ws, req) => {
    const id = common.connID(req.url);
    watch(id, ws, true);
    common.emit({
      event: 'open', id, path: req.url, protocol: ws.protocol,
      extensions: answers.get(req) || '',
      extension_names: ws.extensions ? ws.extensions.split(',') : [],
    });
  });
  server.listen(0, '127.0.0.1', () => {
    common.emit({ event: 'ready', version: version(), port: server.address().port });
  });
  return () => { wss.close(); server.close(); };
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--version')) {
    console.log(version());
    return;
  }
  const mode = args[0];
  const deflate = args.includes('--deflate');
  let stop = () => {};
  if (mode === 'server') {
    stop = serve(deflate);
  } else if (mode === 'client') {
    common.emit({ event: 'ready', version: version() });
  } else {
    console.error('usage: ws.js client|server [--deflate] | --version');
    process.exit(2);
  }

  const rl = common.readCommands((cmd) => {
    if (cmd.op === 'connect') {
      if (mode !== 'client') {
        common.emit({ event: 'error', id: cmd.id, message: 'connect: not a client' });
        return;
      }
      connect(cmd, deflate);
      return;
    }
    const ws = conns.get(cmd.id);
    if (!ws) {
      common.emit({ event: 'error', id: cmd.id, message: cmd.op + ': no connection ' + cmd.id });
      return;
    }
    try {
      switch (cmd.op) {
        case 'send':
          if (cmd.type === 'binary') ws.send(Buffer.from(cmd.data, 'base64'), { binary: true });
          else ws.send(cmd.data, { binary: false });
          break;
        case 'burst':
          for (let i = 0; i < cmd.count; i++) ws.send(cmd.prefix + i, { binary: false });
          break;
        case 'ping':
          ws.ping(Buffer.from(cmd.data, 'utf8'));
          break;
        case 'close':
          ws.close(cmd.code, cmd.reason);
          break;
        default:
          common.emit({ event: 'error', id: cmd.id, message: 'unknown op ' + cmd.op });
      }
    } catch (err) {
      common.emit({ event: 'error', id: cmd.id, message: cmd.op + ': ' + err.message });
    }
  });
  // End of stdin (quit, or the test went away): close everything and exit.
  rl.on('close', () => {
    for (const ws of conns.values()) ws.terminate();
    stop();
    process.exit(0);
  });
}

main();
