#!/usr/bin/env python3
"""A recording TCP proxy: captures the real bytes between a client and a server for parser tests.

    /usr/bin/python3 tests/apps/tcp_recorder.py LISTEN_PORT TARGET_PORT OUT_PREFIX

Each accepted connection N is forwarded to 127.0.0.1:TARGET_PORT and written to OUT_PREFIX.N.trace,
one line per recv() the proxy made: "> <hex>" for client-to-server bytes, "< <hex>" for server-to-client.
The proxy prints "ready" once it listens and stops on SIGTERM/SIGINT. Stdlib only.
"""
import os
import selectors
import signal
import socket
import sys


def main():
    listen_port, target_port, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", listen_port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)
    n = 0
    while not stop:
        for key, _ in sel.select(timeout=0.2):
            if key.data is None:
                client, _ = lsock.accept()
                upstream = socket.create_connection(("127.0.0.1", target_port))
                for s in (client, upstream):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                n += 1
                out = open("%s.%d.trace" % (prefix, n), "w")
                sel.register(client, selectors.EVENT_READ, (upstream, ">", out))
                sel.register(upstream, selectors.EVENT_READ, (client, "<", out))
                continue
            peer, mark, out = key.data
            if key.fileobj.fileno() < 0:  # closed with its peer earlier in this batch
                continue
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (key.fileobj, peer):
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
                if not out.closed:
                    out.close()
                continue
            out.write("%s %s\n" % (mark, data.hex()))
            out.flush()
            peer.sendall(data)
    os._exit(0)


if __name__ == "__main__":
    main()
