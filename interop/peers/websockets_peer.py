"""Interop agent for Python's websockets (asyncio), as client or as server.

    /usr/bin/python3 peers/websockets_peer.py client|server [--deflate]
        [--ping-interval SECONDS --ping-timeout SECONDS]
    /usr/bin/python3 peers/websockets_peer.py --version

It speaks the protocol of interop/doc.go. As a server it listens on
127.0.0.1 on a free port, names each connection by the last segment of its
path (/c/ID) and echoes every message. websockets' own keepalive is off
unless --ping-interval (server) or the connect command's ping_interval
(client) turns it on.
"""

import asyncio
import sys

import websockets

import agent

CLOSE_TIMEOUT = 2  # seconds websockets waits for the closing handshake


def reporting(base, cid=None):
    """Returns a factory of base protocols that report, when it happens,
    that their keepalive failed the connection (websockets fails it with
    1011, then waits for the closing handshake before it reports the end).
    A server's connection is named by its path, a client's by cid."""

    class Reporting(base):
        def fail_connection(self, code=1006, reason=""):
            if code == 1011 and self.close_sent is None:
                name = cid if cid is not None else agent.conn_id(self.path)
                agent.emit("error", id=name, message="keepalive failed the connection: %s" % reason)
            super().fail_connection(code, reason)

    return Reporting


def version():
    return "websockets %s, Python %s" % (websockets.__version__, sys.version.split()[0])


class Agent:
    def __init__(self, mode, deflate, ping_interval, ping_timeout):
        self.mode = mode
        self.deflate = deflate
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.conns = {}  # id -> protocol
        self.tasks = set()  # running tasks, kept so that they are not collected
        self.commands = None
        self.loop = None

    def spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def opened(self, cid, ws):
        self.conns[cid] = ws
        agent.emit("open", id=cid, protocol=ws.subprotocol or "",
                   extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
                   extension_names=[e.name for e in ws.extensions])

    async def watch(self, cid, ws, echo):
        """Reads the connection until it closes, reporting or echoing."""
        try:
            async for message in ws:
                if echo:
                    await ws.send(message)
                else:
                    agent.message_event(cid, message)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:
            agent.emit("error", id=cid, message="%s: %s" % (type(e).__name__, e))
        await ws.wait_closed()
        self.conns.pop(cid, None)
        rcvd = ws.close_rcvd
        agent.emit("closed", id=cid, code=rcvd.code if rcvd else 1006,
                   reason=rcvd.reason if rcvd else "",
                   clean=ws.close_rcvd is not None and ws.close_sent is not None)

    async def connect(self, cmd):
        cid = cmd["id"]
        try:
            ws = await websockets.connect(
                cmd["url"], subprotocols=cmd.get("protocols") or None,
                compression="deflate" if self.deflate else None,
                max_size=agent.MAX_MESSAGE, max_queue=None,
                ping_interval=cmd.get("ping_interval"), ping_timeout=cmd.get("ping_timeout"),
                close_timeout=CLOSE_TIMEOUT,
                create_protocol=reporting(websockets.WebSocketClientProtocol, cid))
        except Exception as e:
            agent.emit("error", id=cid, message="connect: %s: %s" % (type(e).__name__, e))
            agent.emit("closed", id=cid, code=1006, reason="", clean=False)
            return
        self.opened(cid, ws)
        await self.watch(cid, ws, echo=False)

    async def serve_one(self, ws, *_):
        cid = agent.conn_id(ws.path)
        self.opened(cid, ws)
        await self.watch(cid, ws, echo=True)

    async def ping(self, cid, ws, data):
        waiter = await ws.ping(data)
        await waiter
        agent.emit("pong", id=cid, data=data)

    async def command(self, cmd):
        op, cid = cmd.get("op"), cmd.get("id")
        if op == "connect":
            if self.mode != "client":
                agent.emit("error", id=cid, message="connect: not a client")
            else:
                self.spawn(self.connect(cmd))
            return
        ws = self.conns.get(cid)
        if ws is None:
            agent.emit("error", id=cid, message="%s: no connection %s" % (op, cid))
            return
        if op == "send":
            await ws.send(agent.payload(cmd))
        elif op == "burst":
            for i in range(cmd["count"]):
                await ws.send("%s%d" % (cmd["prefix"], i))
        elif op == "ping":
            self.spawn(self.ping(cid, ws, cmd["data"]))
        elif op == "close":
            self.spawn(ws.close(cmd["code"], cmd["reason"]))
        else:
            agent.emit("error", id=cid, message="unknown op " + str(op))

    async def run(self):
        self.loop = asyncio.get_running_loop()
        self.commands = asyncio.Queue()
        server = None
        ready = {"version": version()}
        if self.mode == "server":
            server = await websockets.serve(
                self.serve_one, "127.0.0.1", 0,
                subprotocols=agent.SUPPORTED_PROTOCOLS,
                compression="deflate" if self.deflate else None,
                max_size=agent.MAX_MESSAGE, max_queue=None,
                ping_interval=self.ping_interval, ping_timeout=self.ping_timeout,
                close_timeout=CLOSE_TIMEOUT,
                create_protocol=reporting(websockets.WebSocketServerProtocol))
            ready["port"] = server.sockets[0].getsockname()[1]
        agent.read_commands(lambda cmd: self.loop.call_soon_threadsafe(self.commands.put_nowait, cmd))
        agent.emit("ready", **ready)
        while True:
            cmd = await self.commands.get()
            if cmd is None:
                break
            try:
                await self.command(cmd)
            except Exception as e:  # reported, the agent goes on
                agent.emit("error", id=cmd.get("id"), message="%s: %s: %s" % (cmd.get("op"), type(e).__name__, e))
        for ws in list(self.conns.values()):
            ws.transport.abort()
        if server is not None:
            server.close()


def main():
    args = sys.argv[1:]
    if "--version" in args:
        print(version())
        return
    if not args or args[0] not in ("client", "server"):
        agent.usage("usage: websockets_peer.py client|server [--deflate] "
                    "[--ping-interval S --ping-timeout S] | --version")

    def opt(name):
        if name in args:
            return float(args[args.index(name) + 1])
        return None

    a = Agent(args[0], "--deflate" in args, opt("--ping-interval"), opt("--ping-timeout"))
    asyncio.run(a.run())


if __name__ == "__main__":
    main()
