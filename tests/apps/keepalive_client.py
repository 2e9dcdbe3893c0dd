#!/usr/bin/python3
"""Keep-alive HTTP/1.1 client: N requests over ONE TCP connection (stdlib http.client).

Usage: /usr/bin/python3 keepalive_client.py --url http://127.0.0.1:P/hello -n 1000
         [--method POST --body-size 1000] [--header 'Name: value' ...] [--quiet]
Prints "local_port=<port>" once connected and a summary line "done n=.. ok=.. statuses=.. elapsed_s=..".
Exits 1 if a request fails or the connection had to be re-opened (which would break "one connection").
Importable: run(url, n, ...) returns a dict with the same figures.
"""
import argparse
import collections
import http.client
import sys
import time
import urllib.parse


def run(url, n, method="GET", body_size=0, headers=None, on_connect=None):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http":
        raise ValueError("only http:// URLs are supported")
    target = u.path or "/"
    if u.query:
        target += "?" + u.query
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    conn.auto_open = 0  # never reconnect silently: the caller relies on one connection
    conn.connect()
    local_port = conn.sock.getsockname()[1]
    if on_connect:
        on_connect(local_port)
    body = b"x" * body_size if body_size else None
    hdrs = dict(headers or {})
    statuses = collections.Counter()
    t0 = time.monotonic()
    for _ in range(n):
        if conn.sock is None:
            raise ConnectionError("server closed the keep-alive connection after %d requests" % sum(statuses.values()))
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        resp.read()
        statuses[resp.status] += 1
        if resp.will_close:
            conn.close()
    elapsed = time.monotonic() - t0
    conn.close()
    return {"n": n, "ok": sum(statuses.values()), "statuses": dict(statuses), "local_port": local_port,
            "elapsed_s": elapsed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--body-size", type=int, default=0)
    ap.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    headers = {}
    for h in args.header:
        k, _, v = h.partition(":")
        headers[k.strip()] = v.strip()
    try:
        res = run(args.url, args.n, args.method, args.body_size, headers,
                  on_connect=lambda p: print("local_port=%d" % p, flush=True))
    except (OSError, http.client.HTTPException) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    if not args.quiet:
        print("done n=%d ok=%d statuses=%s elapsed_s=%.3f" % (res["n"], res["ok"], res["statuses"], res["elapsed_s"]),
              flush=True)
    return 0 if res["ok"] == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
