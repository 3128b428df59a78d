'use strict';
// Helpers shared by the Node agents and page scripts: events out as JSON
// lines, command-line values, and Chromium's flags.

// emit writes one event as a JSON line on stdout. Writes to a pipe are
// synchronous on Linux, so events keep their order and none is lost at exit.
function emit(ev) {
  process.stdout.write(JSON.stringify(ev) + '\n');
}

// connID returns the name of a connection from its request path, /c/ID.
function connID(path) {
  const p = String(path || '').split('?')[0];
  return decodeURIComponent(p.slice(p.lastIndexOf('/') + 1));
}

// readCommands calls onCommand with each JSON command read from stdin, one
// per line, and returns the readline interface, which closes on {"op":
// "quit"} or at the end of the input.
function readCommands(onCommand) {
  const readline = require('readline');
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (err) {
      emit({ event: 'error', message: 'bad command: ' + err.message });
      return;
    }
    if (cmd.op === 'quit') {
      rl.close();
      return;
    }
    onCommand(cmd);
  });
  return rl;
}

// CHROMIUM_ARGS are the flags of shared/peers.md, so that the browser
// never reaches the network; playwright-core adds its own automation
// flags.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// argValue returns the value after the flag name in args, or def.
function argValue(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}

module.exports = { emit, connID, readCommands, CHROMIUM_ARGS, argValue };
