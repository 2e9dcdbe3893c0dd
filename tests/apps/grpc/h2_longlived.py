#!/usr/bin/python3
"""An HTTP/2 (h2c, prior knowledge) client on python3-h2 that keeps ONE connection open between
batches of requests, so a test can start the agent while the connection is already established.

    /usr/bin/python3 h2_longlived.py PORT
stdin commands, one per line:
    get PATH [PATH ...]   sends the GETs concurrently on the open connection; prints
                          "ok <local port> <path>:<status> ..." once all responses ended
    quit                  closes the connection and exits
It prints "connected <local port>" first. Stdlib + python3-h2 (hyper-h2 4.1) only.
"""
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main():
    port = int(sys.argv[1])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    lport = sock.getsockname()[1]
    print("connected %d" % lport, flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        streams = {}
        for path in words[1:]:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                    (":authority", "127.0.0.1:%d" % port), ("user-agent", "obi-h2-longlived")],
                              end_stream=True)
            streams[sid] = [path, None, False]
        sock.sendall(conn.data_to_send())
        while not all(s[2] for s in streams.values()):
            data = sock.recv(65536)
            if not data:
                raise SystemExit("connection closed by the server")
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id in streams:
                    streams[ev.stream_id][1] = dict(ev.headers).get(":status")
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in streams:
                    streams[ev.stream_id][2] = True
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        print("ok %d %s" % (lport, " ".join("%s:%s" % (p, s) for p, s, _ in streams.values())), flush=True)
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()


if __name__ == "__main__":
    main()
