"""Interop agent for Python's websocket-client (WebSocketApp), as client.

    /usr/bin/python3 peers/websocket_client.py client
    /usr/bin/python3 peers/websocket_client.py --version

It speaks the protocol of interop/doc.go. Each connection is a WebSocketApp
whose run_forever runs on a thread of its own, with the ping_interval and
ping_timeout of the connect command, so that run_forever's own keepalive
can be checked. websocket-client has no permessage-deflate and no server.
"""

import sys
import threading

import websocket

import agent

_conns = {}  # id -> WebSocketApp
_lock = threading.Lock()


def version():
    return "websocket-client %s, Python %s" % (websocket.__version__, sys.version.split()[0])


def connect(cmd):
    cid = cmd["id"]

    def on_open(ws):
        headers = ws.sock.getheaders() or {}
        agent.emit("open", id=cid, protocol=ws.sock.getsubprotocol() or "",
                   extensions=headers.get("sec-websocket-extensions", ""), extension_names=[])

    def on_message(ws, data):
        agent.message_event(cid, data)

    def on_ping(ws, data):
        agent.emit("ping", id=cid, data=agent.text(data))

    def on_pong(ws, data):
        agent.emit("pong", id=cid, data=agent.text(data))

    def on_error(ws, err):
        agent.emit("error", id=cid, message="%s: %s" % (type(err).__name__, err))

    def on_close(ws, code, reason):
        # websocket-client does not tell whether the closing handshake
        # completed: clean stays unknown.
        with _lock:
            _conns.pop(cid, None)
        agent.emit("closed", id=cid, code=code if code is not None else 1006,
                   reason=reason or "", clean=None)

    app = websocket.WebSocketApp(cmd["url"], subprotocols=cmd.get("protocols") or None,
                                 on_open=on_open, on_message=on_message, on_ping=on_ping,
                                 on_pong=on_pong, on_error=on_error, on_close=on_close)
    with _lock:
        _conns[cid] = app
    kwargs = {}
    if cmd.get("ping_interval"):
        kwargs["ping_interval"] = cmd["ping_interval"]
        kwargs["ping_timeout"] = cmd.get("ping_timeout")
    threading.Thread(target=app.run_forever, kwargs=kwargs, name="conn-" + cid, daemon=True).start()


def handle(cmd):
    if cmd is None:
        with _lock:
            apps = list(_conns.values())
        for app in apps:
            app.keep_running = False
            if app.sock:
                app.sock.shutdown()
        return
    op, cid = cmd.get("op"), cmd.get("id")
    try:
        if op == "connect":
            connect(cmd)
            return
        with _lock:
            app = _conns.get(cid)
        if app is None or app.sock is None:
            agent.emit("error", id=cid, message="%s: no connection %s" % (op, cid))
            return
        if op == "send":
            data = agent.payload(cmd)
            opcode = websocket.ABNF.OPCODE_BINARY if isinstance(data, bytes) else websocket.ABNF.OPCODE_TEXT
            app.send(data, opcode)
        elif op == "burst":
            for i in range(cmd["count"]):
                app.send("%s%d" % (cmd["prefix"], i))
        elif op == "ping":
            app.sock.ping(cmd["data"])
        elif op == "close":
            # send_close sends the close frame; run_forever's reader then
            # gets the server's answer and calls on_close with it. (close()
            # would read the answer itself, racing run_forever's thread.)
            app.sock.send_close(cmd["code"], cmd["reason"].encode("utf-8"))
        else:
            agent.emit("error", id=cid, message="unknown op " + str(op))
    except Exception as e:  # reported, the agent goes on
        agent.emit("error", id=cid, message="%s: %s: %s" % (op, type(e).__name__, e))


def main():
    args = sys.argv[1:]
    if "--version" in args:
        print(version())
        return
    if not args or args[0] != "client":
        agent.usage("usage: websocket_client.py client | --version")
    agent.emit("ready", version=version())
    agent.read_commands(handle).join()


if __name__ == "__main__":
    main()
