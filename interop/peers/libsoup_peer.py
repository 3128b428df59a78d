"""Interop agent for libsoup 3 (through PyGObject), as client or as server.

    /usr/bin/python3 peers/libsoup_peer.py client|server [--deflate]
    /usr/bin/python3 peers/libsoup_peer.py --version

It speaks the protocol of interop/doc.go, with everything on a GLib main
loop. The client is a Soup.Session, with a Soup.WebsocketExtensionManager
feature when --deflate is given (libsoup offers permessage-deflate only
then); the server is a Soup.Server with a WebSocket handler under /c/,
whose permessage-deflate support is removed without --deflate. Every
connection's incoming limit is raised from libsoup's 128 KiB. libsoup 3
has no call that sends a ping: the ping command turns the connection's
keepalive on (one ping a second) until the first pong.
"""

import sys

import gi

gi.require_version("Soup", "3.0")
from gi.repository import GLib, Soup  # noqa: E402

import agent  # noqa: E402

_EXTENSION_NAMES = {"SoupWebsocketExtensionDeflate": "permessage-deflate"}


def version():
    return "libsoup %d.%d.%d, GLib %d.%d.%d" % (
        Soup.get_major_version(), Soup.get_minor_version(), Soup.get_micro_version(),
        GLib.MAJOR_VERSION, GLib.MINOR_VERSION, GLib.MICRO_VERSION)


class Agent:
    def __init__(self, mode, deflate):
        self.mode = mode
        self.deflate = deflate
        self.loop = GLib.MainLoop()
        # Python references keep the connections (and their messages)
        # alive: PyGObject would finalize them otherwise.
        self.conns = {}  # id -> Soup.WebsocketConnection
        self.messages = {}  # id -> Soup.Message or Soup.ServerMessage
        self.session = None
        self.server = None

    def opened(self, cid, conn, headers, echo):
        self.conns[cid] = conn
        conn.set_max_incoming_payload_size(agent.MAX_MESSAGE)
        names = [_EXTENSION_NAMES.get(type(e).__gtype__.name, type(e).__gtype__.name)
                 for e in conn.get_extensions()]

        def on_message(c, typ, data):
            raw = data.get_data() or b""
            if echo:
                c.send_message(typ, GLib.Bytes.new(raw))
            elif typ == Soup.WebsocketDataType.TEXT:
                agent.message_event(cid, raw.decode("utf-8"))
            else:
                agent.message_event(cid, raw)

        def on_pong(c, data):
            if c.get_keepalive_interval():
                c.set_keepalive_interval(0)  # the ping command's keepalive
            agent.emit("pong", id=cid, data=agent.text(data.get_data() or b""))

        def on_error(c, err):
            agent.emit("error", id=cid, message=err.message)

        def on_closed(c):
            # libsoup does not tell whether the closing handshake
            # completed: clean stays unknown.
            agent.emit("closed", id=cid, code=c.get_close_code(), reason=c.get_close_data() or "",
                       clean=None)
            self.conns.pop(cid, None)
            self.messages.pop(cid, None)

        conn.connect("message", on_message)
        conn.connect("pong", on_pong)
        conn.connect("error", on_error)
        conn.connect("closed", on_closed)
        agent.emit("open", id=cid, protocol=conn.get_protocol() or "",
                   extensions=headers.get_one("Sec-WebSocket-Extensions") or "",
                   extension_names=names)

    def connect(self, cmd):
        cid = cmd["id"]
        url = cmd["url"].replace("ws://", "http://", 1)
        msg = Soup.Message.new("GET", url)
        self.messages[cid] = msg

        def done(session, result):
            try:
                conn = session.websocket_connect_finish(result)
            except GLib.Error as e:
                self.messages.pop(cid, None)
                agent.emit("error", id=cid, message="connect: " + e.message)
                agent.emit("closed", id=cid, code=1006, reason="", clean=False)
                return
            self.opened(cid, conn, msg.get_response_headers(), echo=False)

        self.session.websocket_connect_async(msg, None, cmd.get("protocols") or None,
                                             GLib.PRIORITY_DEFAULT, None, done)

    def accepted(self, server, msg, path, conn):
        cid = agent.conn_id(path)
        self.messages[cid] = msg
        self.opened(cid, conn, msg.get_response_headers(), echo=True)

    def command(self, cmd):
        if cmd is None:
            for conn in list(self.conns.values()):
                conn.get_io_stream().close()
            self.loop.quit()
            return False
        op, cid = cmd.get("op"), cmd.get("id")
        try:
            if op == "connect":
                if self.mode != "client":
                    agent.emit("error", id=cid, message="connect: not a client")
                else:
                    self.connect(cmd)
                return False
            conn = self.conns.get(cid)
            if conn is None:
                agent.emit("error", id=cid, message="%s: no connection %s" % (op, cid))
                return False
            if op == "send":
                data = agent.payload(cmd)
                if isinstance(data, str):
                    conn.send_message(Soup.WebsocketDataType.TEXT, GLib.Bytes.new(data.encode("utf-8")))
                else:
                    conn.send_message(Soup.WebsocketDataType.BINARY, GLib.Bytes.new(data))
            elif op == "burst":
                for i in range(cmd["count"]):
                    conn.send_text("%s%d" % (cmd["prefix"], i))
            elif op == "ping":
                conn.set_keepalive_interval(1)
            elif op == "close":
                conn.close(cmd["code"], cmd["reason"])
            else:
                agent.emit("error", id=cid, message="unknown op " + str(op))
        except Exception as e:  # reported, the agent goes on
            agent.emit("error", id=cid, message="%s: %s: %s" % (op, type(e).__name__, e))
        return False

    def run(self):
        ready = {"version": version()}
        if self.mode == "client":
            self.session = Soup.Session()
            if self.deflate:
                self.session.add_feature_by_type(Soup.WebsocketExtensionManager.__gtype__)
        else:
            self.server = Soup.Server()
            if not self.deflate:
                self.server.remove_websocket_extension(Soup.WebsocketExtensionDeflate.__gtype__)
            self.server.add_websocket_handler("/c", None, agent.SUPPORTED_PROTOCOLS, self.accepted)
            self.server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
            ready["port"] = self.server.get_uris()[0].get_port()
        agent.read_commands(lambda cmd: GLib.idle_add(self.command, cmd))
        agent.emit("ready", **ready)
        self.loop.run()


def main():
    args = sys.argv[1:]
    if "--version" in args:
        print(version())
        return
    if not args or args[0] not in ("client", "server"):
        agent.usage("usage: libsoup_peer.py client|server [--deflate] | --version")
    Agent(args[0], "--deflate" in args).run()


if __name__ == "__main__":
    main()
