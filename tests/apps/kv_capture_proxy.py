#!/usr/bin/python3
"""Records the exact bytes of a client/server conversation: a TCP proxy on 127.0.0.1.

    kv_capture_proxy.py LISTEN_PORT TARGET_PORT OUT_PREFIX [--idle-s 1.5] [--max-conns N]

Accepts connections on LISTEN_PORT, forwards each to 127.0.0.1:TARGET_PORT and writes, per connection
number K (1, 2, ...):
  OUT_PREFIX.K.session   every recv() of either side in order: 1 byte 'C' (client to server) or 'S',
                         a 4-byte little-endian length, the bytes (call boundaries as the proxy read them)
  OUT_PREFIX.K.c2s.bin   the first client-to-server burst (until the server answered)
  OUT_PREFIX.K.s2c.bin   the first server-to-client burst
Exits once every connection closed and nothing happened for --idle-s seconds after at least one did, or
after --max-conns connections closed. Used to capture tests/data/corpus/{redis,mongo,mqtt}.
"""
import argparse
import selectors
import socket
import struct
import sys
import time


class Conn:
    def __init__(self, n, client, server, prefix):
        self.n, self.client, self.server = n, client, server
        self.session = open("%s.%d.session" % (prefix, n), "wb")
        self.prefix = prefix
        self.first = {"C": bytearray(), "S": bytearray()}
        self.done = {"C": False, "S": False}

    def record(self, d, data):
        self.session.write(d.encode() + struct.pack("<I", len(data)) + data)
        other = "S" if d == "C" else "C"
        if self.first[other]:
            self.done[other] = True
        if not self.done[d]:
            self.first[d] += data

    def close(self):
        self.session.close()
        for d, ext in (("C", "c2s"), ("S", "s2c")):
            if self.first[d]:
                with open("%s.%d.%s.bin" % (self.prefix, self.n, ext), "wb") as f:
                    f.write(self.first[d])
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen_port", type=int)
    ap.add_argument("target_port", type=int)
    ap.add_argument("out_prefix")
    ap.add_argument("--idle-s", type=float, default=1.5)
    ap.add_argument("--max-conns", type=int, default=0)
    a = ap.parse_args()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a.listen_port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    print("ready proxy 127.0.0.1:%d -> %d" % (a.listen_port, a.target_port), flush=True)
    conns, count, closed, last = {}, 0, 0, time.monotonic()
    while True:
        events = sel.select(timeout=0.2)
        if not events:
            if closed and not conns and time.monotonic() - last > a.idle_s:
                return 0
            continue
        last = time.monotonic()
        for key, _ in events:
            if key.data is None:
                client, _ = lsock.accept()
                server = socket.create_connection(("127.0.0.1", a.target_port))
                for s in (client, server):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                count += 1
                c = Conn(count, client, server, a.out_prefix)
                conns[count] = c
                sel.register(client, selectors.EVENT_READ, (c, "C"))
                sel.register(server, selectors.EVENT_READ, (c, "S"))
                continue
            c, d = key.data
            if c.n not in conns:  # both sides ended in the same round
                continue
            src, dst = (c.client, c.server) if d == "C" else (c.server, c.client)
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if data:
                c.record(d, data)
                try:
                    dst.sendall(data)
                except OSError:
                    data = b""
            if not data:
                for s in (c.client, c.server):
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                c.close()
                del conns[c.n]
                closed += 1
                if a.max_conns and closed >= a.max_conns:
                    return 0


if __name__ == "__main__":
    sys.exit(main())
