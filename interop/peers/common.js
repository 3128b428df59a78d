'use strict';
// Helpers shared by the Node agents: events out as JSON lines.

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

module.exports = { emit, connID };
