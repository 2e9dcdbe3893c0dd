#!/usr/bin/python3
"""Raw-socket HTTP/1.1 client for the awkward cases the parsers must handle.

  pipeline: sends N requests in ONE send() call, then reads N responses from the same connection.
      /usr/bin/python3 raw_client.py pipeline --port P --path /hello --path /users/7 --path /status/404
  split: sends one request head in several small pieces with short sleeps between them.
      /usr/bin/python3 raw_client.py split --port P --path /hello --pieces 4 --delay-ms 50

Prints "local_port=<port>" and one "<status> <path> <body bytes>" line per response.
Importable: pipeline(...) and split(...) return (local_port, [(status, headers, body), ...]).
"""
import argparse
import socket
import sys
import time


def build_request(method, path, host, headers=None, body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host, "User-Agent: obi-raw-client"]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    if body or method in ("POST", "PUT"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Reader:
    """Buffered reader over a socket that parses HTTP/1.1 responses (Content-Length or chunked)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head_only=False):
        status_line = self._line().decode("latin-1")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if head_only or status < 200 or status in (204, 304):
            return status, headers, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():  # trailers up to the empty line
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
            return status, headers, body
        return status, headers, self._exact(int(headers.get("content-length", "0")))


def _connect(host, port, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def pipeline(port, paths, host="127.0.0.1", headers=None, timeout=10.0):
    """All requests for `paths` in a single send(); returns (local_port, responses in order)."""
    sock = _connect(host, port, timeout)
    try:
        local_port = sock.getsockname()[1]
        data = b"".join(build_request("GET", p, "%s:%d" % (host, port), headers) for p in paths)
        sent = sock.send(data)
        if sent != len(data):  # loopback takes a few hundred bytes at once; never expected
            raise ConnectionError("send() took %d of %d bytes" % (sent, len(data)))
        reader = _Reader(sock)
        return local_port, [reader.response() for _ in paths]
    finally:
        sock.close()


def split(port, path, pieces=4, delay_ms=50, host="127.0.0.1", method="GET", body=b"", headers=None,
          timeout=10.0):
    """One request whose head goes out in `pieces` send() calls, `delay_ms` apart."""
    sock = _connect(host, port, timeout)
    try:
        local_port = sock.getsockname()[1]
        data = build_request(method, path, "%s:%d" % (host, port), headers, body)
        head_len = data.index(b"\r\n\r\n") + 4
        step = max(1, head_len // pieces)
        cuts = [i * step for i in range(pieces)] + [len(data)]
        for i in range(pieces):
            sock.sendall(data[cuts[i]:cuts[i + 1]])
            if i + 1 < pieces:
                time.sleep(delay_ms / 1000.0)
        return local_port, [_Reader(sock).response()]
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("pipeline")
    p.add_argument("--path", action="append", default=[])
    p.add_argument("-n", type=int, default=0, help="repeat the single --path N times")
    s = sub.add_parser("split")
    s.add_argument("--path", default="/hello")
    s.add_argument("--pieces", type=int, default=4)
    s.add_argument("--delay-ms", type=int, default=50)
    for x in (p, s):
        x.add_argument("--host", default="127.0.0.1")
        x.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    try:
        if args.mode == "pipeline":
            paths = args.path or ["/hello"]
            if args.n:
                paths = paths[:1] * args.n
            local_port, resps = pipeline(args.port, paths, args.host)
        else:
            paths = [args.path]
            local_port, resps = split(args.port, args.path, args.pieces, args.delay_ms, args.host)
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print("local_port=%d" % local_port)
    for path, (status, _, body) in zip(paths, resps):
        print("%d %s %d" % (status, path, len(body)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
