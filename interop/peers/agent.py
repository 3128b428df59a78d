"""Helpers shared by the Python agents of the interop suite.

The agents speak the protocol described in interop/doc.go: commands as JSON
lines on stdin, events as JSON lines on stdout.
"""

import base64
import json
import sys
import threading
import urllib.parse

# Subprotocols the agents' servers support, in their order of preference.
SUPPORTED_PROTOCOLS = ["wsconn.interop.v2", "wsconn.interop.v1"]

# Largest message the agents accept; the suite sends 1 MiB.
MAX_MESSAGE = 64 << 20

_out_lock = threading.Lock()


def emit(event, **fields):
    """Writes one event as a JSON line on stdout, from any thread."""
    fields["event"] = event
    line = json.dumps(fields).encode("ascii") + b"\n"
    with _out_lock:
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()


def conn_id(path):
    """Returns the name of a connection from its request path, /c/ID."""
    path = urllib.parse.urlsplit(path).path
    return urllib.parse.unquote(path.rsplit("/", 1)[-1])


def payload(cmd):
    """Returns a send command's data: str for text, bytes for binary."""
    if cmd.get("type") == "binary":
        return base64.b64decode(cmd["data"])
    return cmd["data"]


def message_event(cid, data):
    """Emits a message event for data, str (text) or bytes (binary)."""
    if isinstance(data, str):
        emit("message", id=cid, type="text", data=data)
    else:
        emit("message", id=cid, type="binary", data=base64.b64encode(bytes(data)).decode("ascii"))


def text(data):
    """Returns a control frame payload (bytes or str) as text for an event."""
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", "replace")


def read_commands(handle):
    """Reads commands from stdin on a thread of its own and calls handle
    with each, then with None at the end of stdin or on quit."""

    def run():
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            try:
                cmd = json.loads(line)
            except ValueError as e:
                emit("error", message="bad command: %s" % e)
                continue
            if cmd.get("op") == "quit":
                break
            handle(cmd)
        handle(None)

    t = threading.Thread(target=run, name="commands", daemon=True)
    t.start()
    return t


def usage(text_):
    sys.stderr.write(text_ + "\n")
    sys.exit(2)
