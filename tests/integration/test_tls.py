"""TLS plaintext from the libssl uprobes, on real TLS servers and clients (self-signed P-256 certificate).

Servers: nginx 1.22 (libssl.so.3; HTTP/1.1 over TLS, a cleartext listener on the same server block, and
`listen ssl http2`), Python's http.server wrapped in ssl, a Node https server (OpenSSL linked into the
node binary), and a Python server that imports ssl only after the agent started. Clients: curl -k, Python
http.client over ssl and Node https, run from renamed copies of the interpreters so that an exe glob
selects exactly them. Each test selects its spans by the client's local port (peerPort) or PID, among the
spans printed after its own mark. Ciphertext must never reach a parser: exactly one span per request, no
parse errors (internal metrics), and HTTPS spans equal to cleartext ones except url.scheme/url.full.
"""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import time

import pytest

import harness
import otlp
from harness import launch, sattr, rattr

SPAN_TIMEOUT_S = 15.0
LATE_LOAD_TIMEOUT_S = 20.0  # a library loaded after discovery is found at the next rescan (5 s)

NGINX_CONF = """worker_processes 1;
daemon off;
master_process on;
user root;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path {d}/cbt; proxy_temp_path {d}/pt; fastcgi_temp_path {d}/ft;
  uwsgi_temp_path {d}/ut; scgi_temp_path {d}/st;
  ssl_certificate {cert};
  ssl_certificate_key {key};
  default_type text/plain;
  server {{
    listen 127.0.0.1:{plain};
    listen 127.0.0.1:{tls} ssl;
    location = /hello {{ return 200 "hello"; }}
    location /api {{ return 200 "ok\\n"; }}
    location /users/ {{ default_type application/json; return 200 '{{"id": "1"}}'; }}
    location = /status/503 {{ return 503 "status 503\\n"; }}
  }}
  server {{
    listen 127.0.0.1:{h2} ssl http2;
    location = /hello {{ return 200 "hello"; }}
    location /api {{ return 200 "ok\\n"; }}
  }}
}}
"""

# http.server + ssl (ThreadingHTTPServer: the handshake runs in accept() on the main thread, requests in
# a worker thread; Python 3.11 uses SSL_read_ex/SSL_write_ex). /call/<port> makes an HTTPS client call to
# 127.0.0.1:<port>/hello while serving (a client span nested in the server span, both in TLS).
PY_SERVER = r"""
import http.client, http.server, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def call(down):
    c = http.client.HTTPSConnection("127.0.0.1", down, timeout=10, context=ssl._create_unverified_context())
    c.request("GET", "/hello")
    status = c.getresponse().status
    c.close()
    return 200, b"downstream %d" % status
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.startswith("/call/"):
            code, body = call(int(self.path[6:]))
        else:
            code, body = (503, b"down") if self.path.startswith("/status/503") else (200, b"hello")
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready tls-python", flush=True)
srv.serve_forever()
"""

# Listens at once but imports ssl (dlopen of _ssl -> libssl.so.3) only when `trigger` exists; then serves
# HTTPS keep-alive connections one at a time with a minimal HTTP/1.1 loop (no http.* modules: http.client
# would import ssl at start).
PY_LATE_SERVER = r"""
import os, socket, sys, time
port, cert, key, trigger = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
print("listening", flush=True)
while not os.path.exists(trigger):
    time.sleep(0.05)
import ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
print("ssl loaded", flush=True)
while True:
    c, _ = ls.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        buf = b""
        while True:
            d = t.recv(65536)
            if not d:
                break
            buf += d
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        t.close()
    except (OSError, ssl.SSLError):
        c.close()
"""

NODE_SERVER = r"""
const https = require('https'), fs = require('fs');
const [port, cert, key] = [+process.argv[2], process.argv[3], process.argv[4]];
const srv = https.createServer({cert: fs.readFileSync(cert), key: fs.readFileSync(key), keepAliveTimeout: 60000},
  (req, res) => {
    const code = req.url.startsWith('/status/503') ? 503 : 200;
    const body = code === 200 ? 'hello' : 'down';
    res.writeHead(code, {'Content-Type': 'text/plain', 'Content-Length': body.length});
    res.end(body);
  });
srv.listen(port, '127.0.0.1', () => console.log('ready tls-node'));
process.on('SIGTERM', () => process.exit(0));
"""

# N requests over ONE TLS connection; prints {"local_port": p, "statuses": [...]}.
PY_CLIENT = r"""
import http.client, json, ssl, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl._create_unverified_context()
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
c.connect()
lp = c.sock.getsockname()[1]
st = []
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    st.append(r.status)
c.close()
print(json.dumps({"local_port": lp, "statuses": st}), flush=True)
"""

# One TLS connection: a first request, then waits for a line on stdin, then n more requests on it.
PY_CLIENT_PAUSED = r"""
import http.client, json, ssl, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context(), timeout=30)
c.request("GET", path)
c.getresponse().read()
print(json.dumps({"local_port": c.sock.getsockname()[1]}), flush=True)
sys.stdin.readline()
st = []
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    st.append(r.status)
print(json.dumps({"statuses": st}), flush=True)
"""

NODE_CLIENT = r"""
const https = require('https');
const [port, path, n] = [+process.argv[2], process.argv[3], +process.argv[4]];
const agent = new https.Agent({keepAlive: true, maxSockets: 1});
let lp = 0; const st = [];
function one(i) {
  if (i === n) { console.log(JSON.stringify({local_port: lp, statuses: st})); agent.destroy(); return; }
  https.get({host: '127.0.0.1', port, path, agent, rejectUnauthorized: false}, res => {
    lp = res.socket.localPort; st.push(res.statusCode); res.resume(); res.on('end', () => one(i + 1));
  }).on('error', e => { console.error(e); process.exit(1); });
}
one(0);
"""


# ------------------------------------------------------------------------------------------ fixtures
class Tls:
    """Scratch dir, certificate, renamed interpreter copies and script paths of this module."""

    def __init__(self, root):
        self.dir = os.path.join(root, "tls")
        os.makedirs(self.dir, exist_ok=True)
        self.cert, self.key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "30", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        self.scripts = {}
        for name, text in (("server.py", PY_SERVER), ("late_server.py", PY_LATE_SERVER), ("server.js", NODE_SERVER),
                           ("client.py", PY_CLIENT), ("client_paused.py", PY_CLIENT_PAUSED),
                           ("client.js", NODE_CLIENT)):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(text)
            self.scripts[name] = path
        # Copies, so that the exe glob "*/obi-tls-*" selects our clients and nothing else on the host.
        self.py = os.path.join(self.dir, "obi-tls-python")
        self.node = os.path.join(self.dir, "obi-tls-node")
        shutil.copy2(os.path.realpath("/usr/bin/python3"), self.py)
        shutil.copy2(os.path.realpath(shutil.which("node")), self.node)
        self.log_dir = os.path.join(self.dir, "logs")

    def start(self, name, argv, port, ready_text=None):
        srv = launch.ServerProcess(name, argv, port, self.log_dir, ready_text=ready_text)
        return srv.wait_ready()

    def client(self, kind, port, path, n):
        """Runs the Python or Node keep-alive client (renamed copy); returns (pid, result dict)."""
        argv = ([self.py, self.scripts["client.py"]] if kind == "python"
                else [self.node, self.scripts["client.js"]]) + [str(port), path, str(n)]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=launch.clean_env())
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, "%s client failed: %s %s" % (kind, out, err)
        return proc.pid, json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tls(work_dir):
    return Tls(work_dir)


@pytest.fixture(scope="module")
def nginx(tls):
    ports = {"plain": launch.free_port(), "tls": launch.free_port(), "h2": launch.free_port()}
    d = os.path.join(tls.dir, "nginx")
    for sub in ("cbt", "pt", "ft", "ut", "st"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(d=d, cert=tls.cert, key=tls.key, **ports))
    srv = tls.start("tls-nginx", ["nginx", "-c", conf, "-p", d], ports["tls"])
    srv.workers = launch.nginx_workers(srv, 1)
    srv.ports = ports
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def pyserver(tls):
    port = launch.free_port()
    srv = tls.start("tls-python", [launch.PYTHON, tls.scripts["server.py"], str(port), tls.cert, tls.key], port,
                    ready_text="ready tls-python")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def nodeserver(tls):
    port = launch.free_port()
    srv = tls.start("tls-node", ["node", tls.scripts["server.js"], str(port), tls.cert, tls.key], port,
                    ready_text="ready tls-node")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def agent(nginx, pyserver, nodeserver, module_agent_factory):
    ports = [nginx.ports["plain"], nginx.ports["tls"], nginx.ports["h2"], pyserver.port, nodeserver.port]
    mport = launch.free_port()
    a = module_agent_factory(env={
        "OTEL_EBPF_TRACE_PRINTER": "json",
        "OTEL_EBPF_PROMETHEUS_PORT": str(mport),
        "OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "prometheus",
        "OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT": str(mport),
    }, config={"discovery": {"instrument": [{"open_ports": ",".join(map(str, ports))},
                                            {"exe_path": "*/obi-tls-*"}, {"exe_path": "*/curl"}]}})
    a.metrics_port = mport
    for port in (nginx.ports["tls"], pyserver.port, nodeserver.port):
        tls_warm_up(a, port)
    return a


# ----------------------------------------------------------------------------------------- helpers
def https_request(port, path, timeout=10):
    """One HTTPS request on a fresh connection (this process is not traced); returns (status, body,
    local port)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ssl._create_unverified_context())
    try:
        conn.connect()
        lport = conn.sock.getsockname()[1]
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read(), lport
    finally:
        conn.close()


def tls_warm_up(agent, port, timeout=30.0):
    """HTTPS requests until a server span for `port` is printed (the agent attached and traces it)."""
    since = agent.mark()
    deadline = time.monotonic() + timeout
    pred = harness.server_span_pred(port)
    while True:
        try:
            https_request(port, "/hello?obi_warmup=1", timeout=5)
        except (OSError, ssl.SSLError):
            pass
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            if agent.spans.matching(pred, since):
                return time.monotonic() - (deadline - timeout)
            time.sleep(0.05)
        if time.monotonic() >= deadline:
            raise AssertionError("no HTTPS server span for port %d within %.0fs\n%s" % (port, timeout, agent.logs()))


def wait_log(agent, text, timeout=20.0):
    """Until `text` is on the agent's stderr."""
    deadline = time.monotonic() + timeout
    while text not in agent.stderr():
        assert time.monotonic() < deadline, "no %r in the agent's log\n%s" % (text, agent.logs())
        time.sleep(0.05)


def curl(opts, urls):
    """curl -sk with `opts`, the bodies of all `urls` (fetched over one connection) discarded."""
    argv = ["curl", "-sk", *opts]
    for url in urls:
        argv += ["-o", "/dev/null", url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, env=launch.clean_env())


def parse_errors(agent):
    """obi_parse_errors_total summed over protocols, from the internal metrics endpoint."""
    status, body, _ = otlp.http_get(agent.metrics_port, otlp.INTERNAL_METRICS_PATH)
    assert status == 200, body[:300]
    return sum(v for name, _, v in otlp.parse_exposition(body) if name == "obi_parse_errors_total")


def one_server_span(agent, port, path):
    since = agent.mark()
    status, body, lport = https_request(port, path)
    span = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 1, since=since, timeout=SPAN_TIMEOUT_S,
                                      describe="HTTPS %s on :%d" % (path, port))[0]
    return status, body, span


def assert_https_server_span(span, port, path, status, route=None):
    a = span["spanAttributes"]
    assert span["type"] == "HTTP" and span["kind"] == "SPAN_KIND_SERVER", harness.brief(span)
    assert span["name"] == "GET %s" % (route or path), harness.brief(span)
    assert a["url.scheme"] == "https"
    assert (a["url.path"], a["http.response.status_code"], a["server.port"]) == (path, status, port)
    assert span["statusCode"] == ("STATUS_CODE_ERROR" if status >= 500 else "STATUS_CODE_UNSET")


def spans_of_pid(agent, pid, since, kind="HTTPClient"):
    return agent.spans.matching(lambda s: s.get("type") == kind and harness.span_pid(s) == pid, since)


# ------------------------------------------------------------------------------------------- tests
def test_nginx_https_server_spans(agent, nginx):
    port = nginx.ports["tls"]
    errors = parse_errors(agent)
    status, body, span = one_server_span(agent, port, "/hello")
    assert (status, body) == (200, b"hello")
    assert_https_server_span(span, port, "/hello", 200)
    assert sattr(span, "http.response.body.size") == 5
    assert harness.span_pid(span) in nginx.workers
    assert rattr(span, "service.name") == "nginx"
    _, _, span = one_server_span(agent, port, "/status/503")
    assert_https_server_span(span, port, "/status/503", 503, route="/status/*")
    assert parse_errors(agent) == errors, "ciphertext reached a parser"


def test_https_span_equals_cleartext_span(agent, nginx):
    """The same request over TLS and over cleartext on the same nginx server block: the spans differ only
    in url.scheme (and in the ports and ids of their connections)."""
    plain, tlsp = nginx.ports["plain"], nginx.ports["tls"]
    _, _, s_tls = one_server_span(agent, tlsp, "/users/42")
    since = agent.mark()
    r = harness.http_request(plain, "/users/42")
    s_plain = agent.wait_for_exact_spans(harness.server_span_pred(plain, r.local_port), 1, since=since)[0]
    skip = {"url.scheme", "server.port", "client.port"}
    a_tls = {k: v for k, v in s_tls["spanAttributes"].items() if k not in skip}
    a_plain = {k: v for k, v in s_plain["spanAttributes"].items() if k not in skip}
    assert a_tls == a_plain
    assert (s_tls["spanAttributes"]["url.scheme"], s_plain["spanAttributes"]["url.scheme"]) == ("https", "http")
    for field in ("name", "kind", "statusCode", "type", "peer", "host"):
        assert s_tls[field] == s_plain[field], field
    assert s_tls["resource"] == s_plain["resource"]


def test_curl_client_and_nginx_server(agent, nginx):
    """curl -k over one keep-alive TLS connection: client spans in curl, server spans in nginx."""
    port = nginx.ports["tls"]
    paths = ["/hello", "/api", "/users/7", "/hello"]
    errors = parse_errors(agent)
    since = agent.mark()
    urls = ["https://127.0.0.1:%d%s" % (port, p) for p in paths]
    out = curl(["--http1.1", "-w", "%{local_port} %{http_code}\\n"], urls)
    lines = out.stdout.split()
    assert out.returncode == 0 and lines[1::2] == ["200"] * 4, out
    lport = lines[0]
    assert set(lines[0::2]) == {lport}, "curl did not reuse its connection: %s" % lines
    server = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 4, since=since,
                                        timeout=SPAN_TIMEOUT_S, describe="nginx spans of curl's connection")
    server.sort(key=lambda s: int(s["start"]))
    assert [sattr(s, "url.path") for s in server] == paths
    assert {sattr(s, "url.scheme") for s in server} == {"https"}
    client = agent.wait_for_exact_spans(
        lambda s: harness.client_span_pred(url_prefix="https://127.0.0.1:%d/" % port)(s)
        and str(s.get("peerPort")) == lport, 4, since=since, timeout=SPAN_TIMEOUT_S, describe="curl client spans")
    client.sort(key=lambda s: int(s["start"]))
    assert [sattr(s, "url.full") for s in client] == urls
    c = client[0]
    assert c["kind"] == "SPAN_KIND_CLIENT" and c["name"] == "GET /hello"
    assert (sattr(c, "url.scheme"), sattr(c, "http.response.status_code"), sattr(c, "server.port")) == (
        "https", 200, port)
    assert rattr(c, "service.name") == "curl"
    assert parse_errors(agent) == errors


def test_keepalive_many_requests_exactly_one_span_each(agent, nginx, tls):
    """200 requests on one TLS connection from a Python client: 200 server spans, 200 client spans."""
    port = nginx.ports["tls"]
    errors = parse_errors(agent)
    since = agent.mark()
    pid, res = tls.client("python", port, "/api", 200)
    assert res["statuses"] == [200] * 200
    lport = res["local_port"]
    server = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 200, since=since, timeout=30,
                                        settle=3.0, describe="nginx spans of the keep-alive connection")
    assert {sattr(s, "url.path") for s in server} == {"/api"}
    client = agent.wait_for_exact_spans(lambda s: s.get("type") == "HTTPClient" and harness.span_pid(s) == pid,
                                        200, since=since, timeout=30, settle=2.0, describe="python client spans")
    assert {sattr(s, "url.full") for s in client} == {"https://127.0.0.1:%d/api" % port}
    assert {str(s["peerPort"]) for s in client} == {str(lport)}
    assert parse_errors(agent) == errors


def test_python_https_server(agent, pyserver, tls):
    status, body, span = one_server_span(agent, pyserver.port, "/hello")
    assert (status, body) == (200, b"hello")
    assert_https_server_span(span, pyserver.port, "/hello", 200)
    assert rattr(span, "telemetry.sdk.language") == "python"
    since = agent.mark()
    pid, res = tls.client("python", pyserver.port, "/status/503", 20)
    assert res["statuses"] == [503] * 20
    server = agent.wait_for_exact_spans(harness.server_span_pred(pyserver.port, res["local_port"]), 20, since=since,
                                        timeout=SPAN_TIMEOUT_S)
    assert {s["statusCode"] for s in server} == {"STATUS_CODE_ERROR"}
    assert {sattr(s, "url.scheme") for s in server} == {"https"}
    client = agent.wait_for_exact_spans(lambda s: s.get("type") == "HTTPClient" and harness.span_pid(s) == pid,
                                        20, since=since, timeout=SPAN_TIMEOUT_S)
    assert {sattr(s, "http.response.status_code") for s in client} == {503}


def test_https_server_calls_https_client_nested(agent, pyserver, nginx):
    """Server request and client call both in TLS: the client span is the server span's child (same trace)."""
    since = agent.mark()
    status, body, lport = https_request(pyserver.port, "/call/%d" % nginx.ports["tls"])
    assert (status, body) == (200, b"downstream 200")
    server = agent.wait_for_exact_spans(harness.server_span_pred(pyserver.port, lport), 1, since=since,
                                        timeout=SPAN_TIMEOUT_S)[0]
    client = agent.wait_for_exact_spans(
        lambda s: s.get("type") == "HTTPClient" and harness.span_pid(s) == pyserver.pid, 1, since=since,
        timeout=SPAN_TIMEOUT_S)[0]
    assert sattr(client, "url.full") == "https://127.0.0.1:%d/hello" % nginx.ports["tls"]
    assert client["traceID"] == server["traceID"]
    assert client["parentSpanID"] == server["spanID"]


def test_node_https_server(agent, nodeserver, tls):
    """node links OpenSSL statically and uses memory BIOs: its socket calls happen outside SSL_read/SSL_write."""
    status, body, span = one_server_span(agent, nodeserver.port, "/hello")
    assert (status, body) == (200, b"hello")
    assert_https_server_span(span, nodeserver.port, "/hello", 200)
    assert rattr(span, "telemetry.sdk.language") == "nodejs"
    since = agent.mark()
    pid, res = tls.client("python", nodeserver.port, "/hello", 50)
    assert res["statuses"] == [200] * 50
    server = agent.wait_for_exact_spans(harness.server_span_pred(nodeserver.port, res["local_port"]), 50,
                                        since=since, timeout=SPAN_TIMEOUT_S)
    assert {sattr(s, "url.path") for s in server} == {"/hello"}
    assert {sattr(s, "http.response.body.size") for s in server} == {5}


def test_node_https_client(agent, nginx, tls):
    """A Node https client (renamed copy of node, keep-alive agent) against nginx."""
    port = nginx.ports["tls"]
    since = agent.mark()
    pid, res = tls.client("node", port, "/hello", 30)
    assert res["statuses"] == [200] * 30
    client = agent.wait_for_exact_spans(lambda s: s.get("type") == "HTTPClient" and harness.span_pid(s) == pid,
                                        30, since=since, timeout=SPAN_TIMEOUT_S, describe="node client spans")
    assert {sattr(s, "url.full") for s in client} == {"https://127.0.0.1:%d/hello" % port}
    assert {str(s["peerPort"]) for s in client} == {str(res["local_port"])}
    server = agent.wait_for_exact_spans(harness.server_span_pred(port, res["local_port"]), 30, since=since,
                                        timeout=SPAN_TIMEOUT_S)
    assert len(server) == 30


def test_http2_over_tls(agent, nginx):
    """nginx `listen ssl http2` + curl --http2: HTTP/2 spans from the TLS plaintext."""
    port = nginx.ports["h2"]
    since = agent.mark()
    urls = ["https://127.0.0.1:%d%s" % (port, p) for p in ("/hello", "/api", "/hello")]
    out = curl(["--http2", "-w", "%{local_port} %{http_version}\\n"], urls)
    lines = out.stdout.split()
    assert out.returncode == 0 and lines[1::2] == ["2"] * 3, out
    lport = lines[0]
    server = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 3, since=since,
                                        timeout=SPAN_TIMEOUT_S, describe="nginx h2 spans")
    server.sort(key=lambda s: int(s["start"]))
    assert [sattr(s, "url.path") for s in server] == ["/hello", "/api", "/hello"]
    assert [sattr(s, "http.response.status_code") for s in server] == [200, 200, 200]
    assert {sattr(s, "url.scheme") for s in server} == {"https"}
    client = agent.wait_for_exact_spans(
        lambda s: s.get("type") == "HTTPClient" and str(s.get("peerPort")) == lport, 3, since=since,
        timeout=SPAN_TIMEOUT_S, describe="curl h2 client spans")
    assert sorted(sattr(s, "url.full") for s in client) == sorted(urls)


def test_library_loaded_after_the_agent_started(agent_factory, tls):
    """A Python server that imports ssl (dlopen libssl) only after the agent instrumented it."""
    port = launch.free_port()
    trigger = os.path.join(tls.dir, "late-trigger-%d" % port)
    srv = tls.start("tls-late-python", [launch.PYTHON, tls.scripts["late_server.py"], str(port), tls.cert, tls.key,
                                        trigger], port, ready_text="listening")
    try:
        maps = open("/proc/%d/maps" % srv.pid).read()
        assert "libssl" not in maps, "the late server mapped libssl before the trigger"
        agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json"})
        wait_log(agent, "instrumenting process pid=%d" % srv.pid)
        assert "libssl" not in agent.stderr()
        since = agent.mark()
        open(trigger, "w").close()
        deadline = time.monotonic() + 10
        while "ssl loaded" not in open(srv.stdout_path).read():
            assert time.monotonic() < deadline, srv.logs()
            time.sleep(0.05)
        took = tls_warm_up(agent, port, timeout=LATE_LOAD_TIMEOUT_S)
        print("first HTTPS span %.1fs after the process loaded libssl" % took)
        assert re.search(r"TLS: probing \S*libssl\.so", agent.stderr()), agent.logs()
        # Requests sent before the probes were attached left no garbage behind.
        early = agent.spans.matching(harness.server_span_pred(port), since)
        assert all(sattr(s, "url.scheme") == "https" and s["name"] == "GET /hello" for s in early), \
            [harness.brief(s) for s in early]
        since = agent.mark()
        pid, res = tls.client("python", port, "/hello", 20)
        assert res["statuses"] == [200] * 20
        spans = agent.wait_for_exact_spans(harness.server_span_pred(port, res["local_port"]), 20, since=since,
                                           timeout=SPAN_TIMEOUT_S)
        assert {sattr(s, "url.scheme") for s in spans} == {"https"}
        assert {harness.span_pid(s) for s in spans} == {srv.pid}
    finally:
        srv.stop()


def test_probes_attach_once_per_library_file(agent, nginx, pyserver):
    """nginx and Python map the same libssl.so.3: it is probed once, not once per process."""
    err = agent.stderr()
    libssl = [line for line in err.splitlines() if re.search(r"TLS: probing \S*libssl\.so\.3 ", line)]
    assert len(libssl) == 1, libssl
    assert re.search(r"TLS: probing \S*/node ", err), "the node binary was not probed"


def test_connection_opened_before_the_agent_started(agent_factory, nginx, tls):
    """A keep-alive TLS connection (handshake long done) that was open before the agent started: its next
    requests give server spans in nginx and client spans in the client."""
    port = nginx.ports["tls"]
    proc = subprocess.Popen([tls.py, tls.scripts["client_paused.py"], str(port), "/api", "10"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=launch.clean_env())
    try:
        lport = json.loads(proc.stdout.readline())["local_port"]
        agent = agent_factory(env={"OTEL_EBPF_TRACE_PRINTER": "json"},
                              config={"discovery": {"instrument": [{"open_ports": str(port)},
                                                                   {"exe_path": "*/obi-tls-python"}]}})
        wait_log(agent, "pid=%d" % proc.pid)
        since = agent.mark()
        out, err = proc.communicate("go\n", timeout=60)
        assert json.loads(out.strip().splitlines()[-1])["statuses"] == [200] * 10, (out, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    server = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 10, since=since, timeout=SPAN_TIMEOUT_S,
                                        describe="nginx spans of the connection opened before the agent")
    assert {(sattr(s, "url.path"), sattr(s, "url.scheme")) for s in server} == {("/api", "https")}
    client = agent.wait_for_exact_spans(lambda s: s.get("type") == "HTTPClient" and harness.span_pid(s) == proc.pid,
                                        10, since=since, timeout=SPAN_TIMEOUT_S)
    assert {sattr(s, "url.full") for s in client} == {"https://127.0.0.1:%d/api" % port}


def test_syscall_tracepoint_backend(agent_factory, nginx):
    """The ciphertext is hidden and the plaintext tied to its socket under the syscall backend too."""
    port = nginx.ports["tls"]
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json",
                               "OTEL_EBPF_BPF_PROBE_BACKEND": "syscall_tracepoints"})
    wait_log(agent, harness.BACKEND_PATTERN.format(backend="syscall_tracepoints"))
    tls_warm_up(agent, port)
    since = agent.mark()
    paths = ["/hello", "/api", "/status/503"]
    out = curl(["--http1.1", "-w", "%{local_port}\\n"], ["https://127.0.0.1:%d%s" % (port, p) for p in paths])
    lport = out.stdout.split()[0]
    spans = agent.wait_for_exact_spans(harness.server_span_pred(port, lport), 3, since=since, timeout=SPAN_TIMEOUT_S)
    spans.sort(key=lambda s: int(s["start"]))
    assert [sattr(s, "url.path") for s in spans] == paths
    assert [sattr(s, "http.response.status_code") for s in spans] == [200, 200, 503]
    assert {sattr(s, "url.scheme") for s in spans} == {"https"}
