#!/usr/bin/python3
"""Uninstrumented sample HTTP/1.1 API (stdlib http.server) used as a tracing target.

Usage: /usr/bin/python3 server.py [PORT]   (else env PORT, else 8080); listens on 127.0.0.1.
Endpoints (same in every language under tests/apps):
  GET /hello            200 "hello" (Content-Length)
  GET /users/<id>       200 JSON
  GET /status/<code>    that status with a short body
  POST /echo            200 echoing the request body
  GET /chunked          200 with a chunked body of a few KB
  GET /call?url=<url>   outgoing HTTP/1.1 GET to <url>; 200 "downstream status <n>"
  GET /slow?ms=N        sleeps N ms, then 200
Prints "ready python 127.0.0.1:<port> pid=<pid>" on stdout once listening.
"""
import http.server
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

CHUNK = b"0123456789abcdef" * 32  # 512 bytes per chunk
CHUNK_COUNT = 8                   # 4 KiB in total


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says otherwise
    server_version = "obi-test-python"
    # Headers and body go out in two writes (as http.server always does); without TCP_NODELAY the
    # second one waits for the client's delayed ACK (40 ms per keep-alive request).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # keep stderr quiet; the harness keeps logs for failures
        if os.environ.get("APP_VERBOSE"):
            super().log_message(fmt, *args)

    def _send(self, status, body=b"", ctype="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        no_body = status < 200 or status in (204, 304)
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path == "/hello":
            return self._send(200, "hello")
        if path.startswith("/users/") and len(path) > len("/users/"):
            uid = path[len("/users/"):]
            return self._send(200, json.dumps({"id": uid, "name": "user-" + uid}), "application/json")
        if path.startswith("/status/"):
            try:
                code = int(path[len("/status/"):])
            except ValueError:
                return self._send(400, "bad status\n")
            if not 100 <= code <= 599:
                return self._send(400, "bad status\n")
            return self._send(code, "status %d\n" % code)
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(CHUNK_COUNT):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            self.wfile.write(b"0\r\n\r\n")
            return None
        if path == "/call":
            target = query.get("url", [""])[0]
            if not target:
                return self._send(400, "missing url\n")
            req = urllib.request.Request(target, headers={"Connection": "close"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    resp.read()
                    status = resp.status
            except urllib.error.HTTPError as e:  # non-2xx is still a downstream answer
                e.read()
                status = e.code
            except OSError as e:
                return self._send(502, "downstream error %s\n" % e)
            return self._send(200, "downstream status %d\n" % status)
        if path == "/slow":
            ms = int(query.get("ms", ["100"])[0])
            time.sleep(ms / 1000.0)
            return self._send(200, "slept %d\n" % ms)
        return self._send(404, "not found\n")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/echo":
            return self._send(200, body, "application/octet-stream")
        return self._send(404, "not found\n")


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8080"))
    http.server.ThreadingHTTPServer.daemon_threads = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready python 127.0.0.1:%d pid=%d" % (port, os.getpid()), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
