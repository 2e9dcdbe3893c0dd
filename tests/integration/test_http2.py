"""HTTP/2 on the real kernel: h2c with nghttpd, nginx (listen ... http2) and a Go x/net h2c server, with curl
(--http2-prior-knowledge and --http2 Upgrade), nghttp, h2load and a python3-h2 client; h2 over TLS with nghttpd
and nginx (listen ... ssl http2), whose plaintext comes from the libssl probes (url.scheme https).

nghttpd (nghttp2 1.52) implements prior knowledge only; the HTTP/1.1 Upgrade to h2c is tested against the Go
server (tests/apps/grpc/go_h2c). One module agent selects the three servers by port; the late-join and client
tests start agents of their own. Spans are selected by the server port and the client's local port (or a
unique query string) among those printed after each test's mark.
"""
import os
import secrets
import subprocess
import sys
import time

import pytest

import harness
from harness import launch, sattr, rattr

sys.path.insert(0, os.path.join(launch.APPS_DIR, "grpc"))
import grpc_apps  # noqa: E402  (tests/apps/grpc/grpc_apps.py)

for tool in ("nghttpd", "nghttp", "h2load", "curl", "nginx", "go"):
    if not subprocess.run(["sh", "-c", "command -v %s" % tool], capture_output=True).stdout:
        pytest.fail("%s is not installed (scripts/install-deps.sh: nghttp2-server nghttp2-client curl nginx golang-go)"
                    % tool, pytrace=False)

SMALL = b"ok\n"
INDEX = b"<html><body>hello over h2</body></html>\n"
BIG = 40000


# ------------------------------------------------------------------------------------------- servers
@pytest.fixture(scope="module")
def html(work_dir):
    d = os.path.join(work_dir, "h2-html")
    os.makedirs(d, exist_ok=True)
    for name, data in (("small", SMALL), ("index.html", INDEX), ("big.bin", b"b" * BIG)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return d


def start(name, argv, port, log_dir, ready_text=None):
    return launch.ServerProcess(name, argv, port, log_dir, ready_text=ready_text).wait_ready()


@pytest.fixture(scope="module")
def nghttpd(html, work_dir):
    port = launch.free_port()
    srv = start("nghttpd-%d" % port, ["nghttpd", "--no-tls", "-d", html, str(port)], port,
                os.path.join(work_dir, "servers"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def go_h2c(build_dir, work_dir):
    binary = grpc_apps.GrpcApps(build_dir).build_go_h2c()
    port = launch.free_port()
    srv = start("go_h2c-%d" % port, [binary, str(port)], port, os.path.join(work_dir, "servers"),
                ready_text="ready go_h2c")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def nginx_h2c(work_dir):
    """nginx 1.22 with `listen 127.0.0.1:PORT http2;` (h2c, prior knowledge only), one worker."""
    port = launch.free_port()
    scratch = os.path.join(work_dir, "servers", "nginx-h2c-%d" % port)
    conf = launch.render_nginx(scratch, port, access_log=False)
    with open(conf) as f:
        text = f.read()
    listen = "listen 127.0.0.1:%d ;" % port
    assert listen in text, "nginx template changed: %r not found" % listen
    with open(conf, "w") as f:
        f.write(text.replace(listen, "listen 127.0.0.1:%d http2;" % port))
    srv = start("nginx-h2c-%d" % port, ["nginx", "-c", conf, "-p", scratch], port, os.path.join(work_dir, "servers"))
    srv.workers = launch.nginx_workers(srv, 1)
    yield srv
    srv.stop()


# --------------------------------------------------------------------------------------------- clients
def curl(url, *args, timeout=20):
    """curl with HTTP/2 options `args`; returns (local port, http version, status, body)."""
    out = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{local_port} %{http_version} %{http_code}", *args, url],
                         capture_output=True, timeout=timeout, env=launch.clean_env())
    assert out.returncode == 0, "curl %s %s failed: %s" % (args, url, out.stderr[-500:])
    body, _, tail = out.stdout.rpartition(b"\n")
    lport, version, code = tail.decode().split()
    return int(lport), version, int(code), body


def h2_pred(port, peer_port=None, path=None, query=None, type_="HTTP"):
    def pred(s):
        return (s.get("type") == type_ and str(s.get("hostPort")) == str(port)
                and (peer_port is None or str(s.get("peerPort")) == str(peer_port))
                and (path is None or sattr(s, "url.path") == path)
                and (query is None or sattr(s, "url.query") == query))
    return pred


def warm_up(agent, port, path="/small", timeout=30.0, scheme="http"):
    """Requests over h2c (or h2) until a server span for `port` is printed (discovery and attach are done)."""
    since = agent.mark()
    deadline = time.monotonic() + timeout
    opts = ["--http2-prior-knowledge"] if scheme == "http" else ["-k", "--http2"]
    while True:
        try:
            curl("%s://127.0.0.1:%d%s?obi_warmup=1" % (scheme, port, path), *opts, timeout=5)
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            if agent.spans.matching(h2_pred(port), since):
                return
            time.sleep(0.05)
        if time.monotonic() > deadline:
            raise AssertionError("no HTTP/2 span for port %d within %.0fs\n%s" % (port, timeout, agent.logs()))


@pytest.fixture(scope="module")
def cert(work_dir):
    """A self-signed certificate for 127.0.0.1: (cert, key)."""
    d = os.path.join(work_dir, "h2-tls")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.exists(crt):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days",
                        "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
    return crt, key


@pytest.fixture(scope="module")
def nghttpd_tls(html, cert, work_dir):
    """nghttpd over TLS (h2 by ALPN; OpenSSL 3 from libssl.so.3: its plaintext comes from the libssl probes)."""
    port = launch.free_port()
    srv = start("nghttpd-tls-%d" % port, ["nghttpd", "-d", html, str(port), cert[1], cert[0]], port,
                os.path.join(work_dir, "servers"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def nginx_tls(cert, work_dir):
    """nginx 1.22 with `listen 127.0.0.1:PORT ssl http2;`, one worker."""
    port = launch.free_port()
    scratch = os.path.join(work_dir, "servers", "nginx-h2tls-%d" % port)
    conf = launch.render_nginx(scratch, port, access_log=False)
    with open(conf) as f:
        text = f.read()
    listen = "listen 127.0.0.1:%d ;" % port
    assert listen in text, "nginx template changed: %r not found" % listen
    with open(conf, "w") as f:
        f.write(text.replace(listen, "listen 127.0.0.1:%d ssl http2; ssl_certificate %s; ssl_certificate_key %s;"
                             % (port, cert[0], cert[1])))
    srv = start("nginx-h2tls-%d" % port, ["nginx", "-c", conf, "-p", scratch], port, os.path.join(work_dir, "servers"))
    srv.workers = launch.nginx_workers(srv, 1)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def agent(nghttpd, go_h2c, nginx_h2c, nghttpd_tls, nginx_tls, module_agent_factory):
    servers = (nghttpd, go_h2c, nginx_h2c, nghttpd_tls, nginx_tls)
    a = module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": ",".join(str(s.port) for s in servers)})
    for srv in (nghttpd, go_h2c, nginx_h2c):
        warm_up(a, srv.port, "/small" if srv is nghttpd else "/")
    for srv in (nghttpd_tls, nginx_tls):
        warm_up(a, srv.port, "/small" if srv is nghttpd_tls else "/", scheme="https")
    return a


def one_span(agent, port, lport, since, what):
    return agent.wait_for_exact_spans(h2_pred(port, lport), 1, since=since, describe=what)[0]


def assert_server_span(span, port, method, path, status, query=None, req_body=0, resp_body=None, scheme="http"):
    a = span["spanAttributes"]
    assert span["type"] == "HTTP" and span["kind"] == "SPAN_KIND_SERVER", harness.brief(span)
    assert span["statusCode"] == ("STATUS_CODE_ERROR" if status >= 500 else "STATUS_CODE_UNSET")
    assert (a["http.request.method"], a["url.path"], a["http.response.status_code"]) == (method, path, status)
    assert a.get("url.query") == query
    assert a["url.scheme"] == scheme
    assert (a["server.address"], a["server.port"], a["client.address"]) == ("127.0.0.1", port, "127.0.0.1")
    assert a["http.request.body.size"] == req_body
    if resp_body is not None:
        assert a["http.response.body.size"] == resp_body
    assert span["name"] == "%s %s" % (method, a["http.route"])
    assert int(span["end"]) >= int(span["start"])


# ----------------------------------------------------------------------------------------------- tests
def test_curl_prior_knowledge_nghttpd(agent, nghttpd):
    since = agent.mark()
    lport, version, code, body = curl("http://127.0.0.1:%d/small?x=1" % nghttpd.port, "--http2-prior-knowledge")
    assert (version, code, body) == ("2", 200, SMALL)
    span = one_span(agent, nghttpd.port, lport, since, "curl -> nghttpd /small")
    assert_server_span(span, nghttpd.port, "GET", "/small", 200, query="x=1", resp_body=len(SMALL))
    assert span["name"] == "GET /small"
    assert rattr(span, "service.name") == "nghttpd"
    assert harness.span_pid(span) == nghttpd.pid


def test_status_and_body_sizes(agent, nghttpd, go_h2c, work_dir):
    upload = os.path.join(work_dir, "h2-upload.bin")
    with open(upload, "wb") as f:
        f.write(os.urandom(30000))  # two DATA frames from curl
    since = agent.mark()
    lport, _, code, _ = curl("http://127.0.0.1:%d/missing" % nghttpd.port, "--http2-prior-knowledge")
    assert code == 404
    span = one_span(agent, nghttpd.port, lport, since, "404")
    assert_server_span(span, nghttpd.port, "GET", "/missing", 404)
    since = agent.mark()
    lport, _, code, body = curl("http://127.0.0.1:%d/big.bin" % nghttpd.port, "--http2-prior-knowledge")
    assert (code, len(body)) == (200, BIG)
    assert_server_span(one_span(agent, nghttpd.port, lport, since, "big"), nghttpd.port, "GET", "/big.bin", 200,
                       resp_body=BIG)
    since = agent.mark()
    lport, _, code, _ = curl("http://127.0.0.1:%d/echo" % go_h2c.port, "--http2-prior-knowledge",
                             "--data-binary", "@" + upload)
    assert code == 200
    span = one_span(agent, go_h2c.port, lport, since, "POST 30000 bytes")
    assert_server_span(span, go_h2c.port, "POST", "/echo", 200, req_body=30000, resp_body=30000)


def test_many_streams_on_one_connection(agent, nghttpd):
    """Four concurrent streams on one connection (python3-h2): one span each, all on that connection."""
    p = subprocess.Popen([launch.PYTHON, os.path.join(launch.APPS_DIR, "grpc", "h2_longlived.py"), str(nghttpd.port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=launch.clean_env())
    try:
        lport = int(p.stdout.readline().split()[1])
        since = agent.mark()
        p.stdin.write("get /small /index.html /missing /big.bin\n")
        p.stdin.flush()
        assert p.stdout.readline().split()[2:] == ["/small:200", "/index.html:200", "/missing:404", "/big.bin:200"]
        spans = agent.wait_for_exact_spans(h2_pred(nghttpd.port, lport), 4, since=since, describe="4 streams")
        got = sorted((sattr(s, "url.path"), sattr(s, "http.response.status_code"), sattr(s, "http.response.body.size"))
                     for s in spans)
        assert got == sorted([("/small", 200, len(SMALL)), ("/index.html", 200, len(INDEX)), ("/missing", 404, got[2][2]),
                              ("/big.bin", 200, BIG)])
        assert len({s["traceID"] for s in spans}) == 4, "each request is a trace of its own"
        p.stdin.write("quit\n")
        p.stdin.flush()
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_curl_upgrade_to_h2c(agent, go_h2c):
    """curl --http2 sends an HTTP/1.1 request with Upgrade: h2c; the answer comes in HTTP/2 on stream 1."""
    since = agent.mark()
    lport, version, code, body = curl("http://127.0.0.1:%d/status/404?up=1" % go_h2c.port, "--http2")
    assert (version, code) == ("2", 404)
    span = one_span(agent, go_h2c.port, lport, since, "curl --http2 upgrade")
    assert_server_span(span, go_h2c.port, "GET", "/status/404", 404, query="up=1", resp_body=len(body))
    time.sleep(harness.SETTLE_S)
    assert not agent.spans.matching(lambda s: sattr(s, "http.response.status_code") == 101, since), "no 101 span"


def test_nghttp_upgrade_then_more_streams(agent, go_h2c):
    tag = secrets.token_hex(4)
    since = agent.mark()
    out = subprocess.run(["nghttp", "-nu", "http://127.0.0.1:%d/?u=%s" % (go_h2c.port, tag),
                          "http://127.0.0.1:%d/status/503?u=%s" % (go_h2c.port, tag)],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    spans = agent.wait_for_exact_spans(lambda s: h2_pred(go_h2c.port)(s) and sattr(s, "url.query") == "u=" + tag, 2,
                                       since=since, describe="nghttp -u")
    by_path = {sattr(s, "url.path"): s for s in spans}
    assert sorted(by_path) == ["/", "/status/503"]
    assert_server_span(by_path["/"], go_h2c.port, "GET", "/", 200, query="u=" + tag, resp_body=5)
    assert_server_span(by_path["/status/503"], go_h2c.port, "GET", "/status/503", 503, query="u=" + tag)
    assert by_path["/"]["peerPort"] == by_path["/status/503"]["peerPort"]


def test_nginx_h2c(agent, nginx_h2c):
    since = agent.mark()
    lport, version, code, body = curl("http://127.0.0.1:%d/hello" % nginx_h2c.port, "--http2-prior-knowledge")
    assert (version, code, body) == ("2", 200, b"hello")
    span = one_span(agent, nginx_h2c.port, lport, since, "nginx h2c")
    assert_server_span(span, nginx_h2c.port, "GET", "/hello", 200, resp_body=5)
    assert rattr(span, "service.name") == "nginx"
    assert harness.span_pid(span) in nginx_h2c.workers
    since = agent.mark()
    lport, _, code, _ = curl("http://127.0.0.1:%d/status/503" % nginx_h2c.port, "--http2-prior-knowledge")
    span = one_span(agent, nginx_h2c.port, lport, since, "nginx h2c 503")
    assert span["statusCode"] == "STATUS_CODE_ERROR" and sattr(span, "http.response.status_code") == 503


@pytest.mark.parametrize("server", ["nghttpd", "nginx"])
def test_h2load_exactly_one_span_per_request(agent, nghttpd, nginx_h2c, server):
    """h2load -n 2000 -c 10 -m 10: 10 connections with 10 streams in flight each -> exactly 2000 spans."""
    srv, path = (nghttpd, "/small") if server == "nghttpd" else (nginx_h2c, "/hello")
    tag = "run=" + secrets.token_hex(4)
    since = agent.mark()
    out = subprocess.run(["h2load", "-n", "2000", "-c", "10", "-m", "10",
                          "http://127.0.0.1:%d%s?%s" % (srv.port, path, tag)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "2000 succeeded" in out.stdout, out.stdout[-1500:]
    spans = agent.wait_for_exact_spans(h2_pred(srv.port, path=path, query=tag), 2000, since=since, timeout=60,
                                       describe="h2load on %s" % server)
    assert {sattr(s, "http.response.status_code") for s in spans} == {200}
    assert len({s["peerPort"] for s in spans}) == 10
    assert len({s["spanID"] for s in spans}) == 2000


def test_incoming_traceparent(agent, nghttpd):
    trace, parent = harness.new_trace_ids()
    since = agent.mark()
    lport, _, code, _ = curl("http://127.0.0.1:%d/small" % nghttpd.port, "--http2-prior-knowledge", "-H",
                             "traceparent: 00-%s-%s-01" % (trace, parent))
    assert code == 200
    span = one_span(agent, nghttpd.port, lport, since, "traceparent")
    assert (span["traceID"], span["parentSpanID"]) == (trace, parent)
    assert span["spanID"] not in harness.ZERO_SPAN_ID and span["spanID"] != parent


def test_connection_open_before_the_agent(html, work_dir, agent_factory):
    """The agent starts while an HTTP/2 connection is open: no preface, no SETTINGS, an HPACK table it never saw.
    Paths the table holds from before come out as "*" (never as another path); new ones are decoded."""
    port = launch.free_port()
    srv = start("nghttpd-late-%d" % port, ["nghttpd", "--no-tls", "-d", html, str(port)], port,
                os.path.join(work_dir, "servers"))
    p = subprocess.Popen([launch.PYTHON, os.path.join(launch.APPS_DIR, "grpc", "h2_longlived.py"), str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=launch.clean_env())
    try:
        lport = int(p.stdout.readline().split()[1])

        def batch(*paths):
            p.stdin.write("get %s\n" % " ".join(paths))
            p.stdin.flush()
            line = p.stdout.readline().split()
            assert line[0] == "ok", line

        batch("/small", "/index.html")  # fills the client's table: :path entries the agent never sees
        a = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port)})
        time.sleep(1.0)
        since = a.mark()
        fresh = "/small?late=" + secrets.token_hex(3)
        deadline = time.monotonic() + 20
        while True:  # until the agent has attached (its first spans for this connection)
            batch("/small", "/index.html", "/missing")
            if a.spans.matching(h2_pred(port, lport), since) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        batch(fresh)
        spans = a.wait_for_spans(h2_pred(port, lport, path="/small", query=fresh.split("?")[1]), 1, since=since,
                                 describe="a path first sent after the agent started")
        time.sleep(harness.SETTLE_S)
        spans = a.spans.matching(h2_pred(port, lport), since)
        assert spans, "no spans for the connection opened before the agent"
        allowed = {("/small", 200), ("/index.html", 200), ("/missing", 404), ("*", 200), ("*", 404)}
        for s in spans:
            got = (sattr(s, "url.path"), sattr(s, "http.response.status_code"))
            assert got in allowed, "wrong span from a table the agent never saw: %s" % harness.brief(s)
        assert any(sattr(s, "url.path") == "*" for s in spans), [harness.brief(s) for s in spans]
        p.stdin.write("quit\n")
        p.stdin.flush()
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
        srv.stop()


def test_client_spans_of_curl(nghttpd, agent_factory):
    """curl selected by its executable: HTTPClient spans with url.full from :authority."""
    a = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/curl"})
    tag = secrets.token_hex(4)
    url = "http://127.0.0.1:%d/small?c=%s" % (nghttpd.port, tag)
    pred = lambda s: s.get("type") == "HTTPClient" and sattr(s, "url.full") == url  # noqa: E731
    deadline = time.monotonic() + 20
    since = a.mark()
    while True:  # the first curl may exec before discovery attached
        lport, _, code, _ = curl(url, "--http2-prior-knowledge")
        assert code == 200
        found = a.spans.matching(pred, since)
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    since = a.mark()
    lport, _, code, _ = curl(url, "--http2-prior-knowledge")
    span = a.wait_for_exact_spans(lambda s: pred(s) and str(s.get("peerPort")) == str(lport), 1, since=since,
                                  describe="curl client span")[0]
    attrs = span["spanAttributes"]
    assert span["kind"] == "SPAN_KIND_CLIENT" and span["name"].startswith("GET")
    assert span["statusCode"] == "STATUS_CODE_UNSET"
    assert (attrs["http.request.method"], attrs["http.response.status_code"]) == ("GET", 200)
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", nghttpd.port)
    assert attrs["http.response.body.size"] == len(SMALL)
    assert rattr(span, "service.name") == "curl"


@pytest.mark.parametrize("server", ["nghttpd", "nginx"])
def test_h2_over_tls(agent, nghttpd_tls, nginx_tls, server):
    """The same HTTP/2 handler on TLS plaintext: spans identical to h2c's but for url.scheme."""
    srv, path, body = (nghttpd_tls, "/small", SMALL) if server == "nghttpd" else (nginx_tls, "/hello", b"hello")
    since = agent.mark()
    lport, version, code, got = curl("https://127.0.0.1:%d%s?tls=1" % (srv.port, path), "-k", "--http2")
    assert (version, code, got) == ("2", 200, body)
    span = one_span(agent, srv.port, lport, since, "h2 over TLS to %s" % server)
    assert_server_span(span, srv.port, "GET", path, 200, query="tls=1", resp_body=len(body), scheme="https")
    since = agent.mark()
    lport, _, code, _ = curl("https://127.0.0.1:%d/status/503" % srv.port if server == "nginx" else
                             "https://127.0.0.1:%d/missing" % srv.port, "-k", "--http2")
    span = one_span(agent, srv.port, lport, since, "h2 over TLS error")
    assert sattr(span, "http.response.status_code") == code and code in (404, 503)


def test_h2load_over_tls_exactly_one_span_per_request(agent, nghttpd_tls):
    tag = "run=" + secrets.token_hex(4)
    since = agent.mark()
    out = subprocess.run(["h2load", "-n", "1000", "-c", "5", "-m", "10",
                          "https://127.0.0.1:%d/small?%s" % (nghttpd_tls.port, tag)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "1000 succeeded" in out.stdout, out.stdout[-1500:]
    spans = agent.wait_for_exact_spans(h2_pred(nghttpd_tls.port, path="/small", query=tag), 1000, since=since,
                                       timeout=60, describe="h2load over TLS")
    assert {sattr(s, "url.scheme") for s in spans} == {"https"}
    assert len({s["peerPort"] for s in spans}) == 5
