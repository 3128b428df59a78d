'use strict';
// A WebSocket echo server on Node's ws package, for cmd/wsconn's tests:
//
//   WS_MODULE=/path/to/node_modules/ws node testdata/ws_echo_server.js
//
// It listens on 127.0.0.1 on a free port and prints "listening PORT" once
// it accepts connections. It accepts permessage-deflate and chooses the
// first subprotocol offered. It sends every message back with its type,
// except a text message "close CODE REASON", which makes it close the
// connection with CODE and REASON, and "close", which makes it close with
// no code. It exits when its standard input ends.

const { WebSocketServer } = require(process.env.WS_MODULE);

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: true,
  handleProtocols: (protocols) => {
    for (const p of protocols) return p;
    return false;
  },
});

wss.on('listening', () => {
  console.log('listening ' + wss.address().port);
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text === 'close') {
        ws.close();
        return;
      }
      const m = /^close (\d+) ?(.*)$/s.exec(text);
      if (m) {
        ws.close(Number(m[1]), m[2]);
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
