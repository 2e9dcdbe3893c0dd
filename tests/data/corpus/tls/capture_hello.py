#!/usr/bin/python3
"""Captures the first burst of real TLS handshakes into this folder (see README.txt).

    /usr/bin/python3 tests/data/corpus/tls/capture_hello.py [OUT_DIR]

For each (client, server) pair below, a relay on 127.0.0.1 sits between the client and the real
TLS server and writes the first bytes each side sent (the client's ClientHello record, the
server's ServerHello flight) to <client>_client_hello.c2s.bin and <server>_server_hello.s2c.bin.
Servers: Python ssl, openssl s_server, nginx, node https. Clients: curl, openssl s_client,
Python ssl, node. Everything runs on loopback; every process started is stopped by PID.
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


class Relay:
    """Forwards one connection to `upstream`; keeps the first recv() of each direction."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.first = {"c2s": b"", "s2c": b""}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _pump(self, src, dst, key):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                if not self.first[key]:
                    self.first[key] = d
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self):
        c, _ = self.lsock.accept()
        u = socket.create_connection(("127.0.0.1", self.upstream))
        t = threading.Thread(target=self._pump, args=(u, c, "s2c"), daemon=True)
        t.start()
        self._pump(c, u, "c2s")
        t.join(5)


def python_server(cert, key, port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)

    def serve():
        while True:
            c, _ = ls.accept()
            try:
                with ctx.wrap_socket(c, server_side=True) as t:
                    t.recv(4096)
                    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (OSError, ssl.SSLError):
                pass
    threading.Thread(target=serve, daemon=True).start()
    return None


NODE_SERVER = r"""
const https = require('https'), fs = require('fs');
https.createServer({key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3])},
  (q, r) => r.end('ok')).listen(+process.argv[4], '127.0.0.1');
"""
NODE_CLIENT = r"""
require('https').get({host: '127.0.0.1', port: +process.argv[2], path: '/', rejectUnauthorized: false},
  r => { r.resume(); r.on('end', () => process.exit(0)); }).on('error', () => process.exit(1));
"""
NGINX_CONF = """daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};
    location / {{ return 200 "ok"; }} }} }}
"""


def start_server(kind, d, cert, key, port):
    if kind == "python":
        python_server(cert, key, port)
        return None
    if kind == "openssl":
        argv = ["openssl", "s_server", "-quiet", "-accept", "127.0.0.1:%d" % port, "-cert", cert, "-key", key,
                "-www"]
    elif kind == "nginx":
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=d, port=port, cert=cert, key=key))
        argv = ["nginx", "-c", conf, "-p", d]
    elif kind == "node":
        js = os.path.join(d, "server.js")
        with open(js, "w") as f:
            f.write(NODE_SERVER)
        argv = ["node", js, key, cert, str(port)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def run_client(kind, d, port):
    if kind == "curl":
        argv = ["curl", "-sk", "--http1.1", "https://127.0.0.1:%d/" % port]
    elif kind == "openssl":
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet"]
    elif kind == "python":
        code = ("import socket,ssl;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;"
                "t=c.wrap_socket(socket.create_connection(('127.0.0.1',%d)));"
                "t.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n');t.recv(100)" % port)
        argv = ["/usr/bin/python3", "-c", code]
    elif kind == "node":
        js = os.path.join(d, "client.js")
        with open(js, "w") as f:
            f.write(NODE_CLIENT)
        argv = ["node", js, str(port)]
    subprocess.run(argv, input=b"GET / HTTP/1.0\r\n\r\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=20)


def main():
    d = tempfile.mkdtemp(prefix="obi-tls-corpus-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "3650", "-subj", "/CN=localhost"], check=True,
                   capture_output=True)
    pairs = [("curl", "nginx"), ("openssl", "openssl"), ("python", "python"), ("node", "node")]
    try:
        for client, server in pairs:
            port = free_port()
            proc = start_server(server, d, cert, key, port)
            try:
                wait_port(port)
                relay = Relay(port)
                run_client(client, d, relay.port)
                relay.thread.join(5)
                for key_, name in (("c2s", "%s_client_hello.c2s.bin" % client),
                                   ("s2c", "%s_server_hello.s2c.bin" % server)):
                    data = relay.first[key_]
                    if not data:
                        raise RuntimeError("no %s bytes from %s -> %s" % (key_, client, server))
                    with open(os.path.join(OUT, name), "wb") as f:
                        f.write(data)
                    print("%s: %d bytes" % (name, len(data)))
            finally:
                if proc:
                    proc.terminate()
                    proc.wait(10)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
