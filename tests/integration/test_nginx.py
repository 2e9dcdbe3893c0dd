"""nginx 1.22 (C, epoll, writev + sendfile) with one worker and with two workers (reuseport)."""
import http.client
import os

import pytest

import harness
import keepalive_client
import raw_client
from harness import launch, sattr, rattr

INDEX_HTML = os.path.join(launch.APPS_DIR, "nginx", "html", "index.html")


@pytest.fixture(scope="module")
def nginx1(apps):
    srv = apps.get("nginx")
    srv.workers = launch.nginx_workers(srv, 1)
    return srv


@pytest.fixture(scope="module")
def nginx2(apps):
    srv = apps.start("nginx", workers=2, reuseport=True, name="nginx-2workers")
    srv.workers = launch.nginx_workers(srv, 2)
    return srv


@pytest.fixture(scope="module")
def agent(nginx1, nginx2, module_agent_factory):
    a = module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": "%d,%d" % (nginx1.port, nginx2.port),
                                  "OTEL_EBPF_TRACE_PRINTER": "json"})
    a.warm_up(nginx1.port)
    return a


def request_span(agent, srv, path, **kw):
    since = agent.mark()
    r = harness.http_request(srv.port, path, **kw)
    span = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r.local_port), 1, since=since,
                                      describe="nginx %s" % path)[0]
    return r, span


def test_hello(agent, nginx1):
    r, span = request_span(agent, nginx1, "/hello")
    assert (r.status, r.body) == (200, b"hello")
    assert span["name"] == "GET /hello" and span["kind"] == "SPAN_KIND_SERVER"
    assert span["statusCode"] == "STATUS_CODE_UNSET"
    a = span["spanAttributes"]
    assert (a["http.request.method"], a["http.response.status_code"], a["url.path"], a["http.route"]) == (
        "GET", 200, "/hello", "/hello")
    assert (a["server.port"], a["client.address"], a["http.response.body.size"]) == (nginx1.port, "127.0.0.1", 5)
    assert rattr(span, "service.name") == "nginx"
    assert rattr(span, "telemetry.sdk.language") == "generic"
    assert harness.span_pid(span) in nginx1.workers  # the worker handles requests, not the master


def test_static_page_sendfile(agent, nginx1):
    r, span = request_span(agent, nginx1, "/index.html")
    size = os.path.getsize(INDEX_HTML)
    assert (r.status, len(r.body)) == (200, size)
    assert sattr(span, "url.path") == "/index.html"
    assert span["name"] == "GET " + sattr(span, "http.route")  # the heuristic's verdict on "index.html" varies
    assert sattr(span, "http.response.body.size") == size  # headers by writev, the body by sendfile


def test_api_and_errors(agent, nginx1):
    _, span = request_span(agent, nginx1, "/api")
    assert span["name"] == "GET /api" and sattr(span, "http.response.body.size") == 3
    _, span = request_span(agent, nginx1, "/status/503")
    assert span["statusCode"] == "STATUS_CODE_ERROR" and span["name"] == "GET /status/*"
    _, span = request_span(agent, nginx1, "/status/404")
    assert span["statusCode"] == "STATUS_CODE_UNSET" and sattr(span, "http.response.status_code") == 404


def test_pipelined_three_in_one_send(agent, nginx1):
    paths = ["/hello", "/api", "/status/404"]
    since = agent.mark()
    lport, resps = raw_client.pipeline(nginx1.port, paths)
    assert [x[0] for x in resps] == [200, 200, 404]
    spans = agent.wait_for_exact_spans(harness.server_span_pred(nginx1.port, lport), 3, since=since)
    spans.sort(key=lambda s: (int(s["end"]), int(s["start"])))
    assert [sattr(s, "url.path") for s in spans] == paths
    assert [sattr(s, "http.response.status_code") for s in spans] == [200, 200, 404]
    assert [sattr(s, "http.response.body.size") for s in spans] == [5, 3, 11]


def test_split_request_head(agent, nginx1):
    since = agent.mark()
    lport, resps = raw_client.split(nginx1.port, "/hello", pieces=5, delay_ms=40)
    assert resps[0][0] == 200
    span = agent.wait_for_exact_spans(harness.server_span_pred(nginx1.port, lport), 1, since=since)[0]
    assert span["name"] == "GET /hello" and sattr(span, "http.response.status_code") == 200


def test_keepalive_1000(agent, nginx1):
    since = agent.mark()
    res = keepalive_client.run("http://127.0.0.1:%d/api" % nginx1.port, 1000)
    assert res["statuses"] == {200: 1000}
    spans = agent.wait_for_exact_spans(harness.server_span_pred(nginx1.port, res["local_port"]), 1000, timeout=30,
                                       since=since, settle=3.0)
    assert {sattr(s, "url.path") for s in spans} == {"/api"}


def test_two_workers(agent, nginx2):
    """40 concurrent connections spread over both workers (reuseport); every span comes from a worker PID."""
    agent.warm_up(nginx2.port)
    since = agent.mark()
    conns, ports = [], set()
    try:
        for _ in range(40):  # all open at once, one request each
            c = http.client.HTTPConnection("127.0.0.1", nginx2.port, timeout=10)
            c.connect()
            conns.append(c)
            ports.add(str(c.sock.getsockname()[1]))
            c.request("GET", "/hello")
            assert c.getresponse().read() == b"hello"
        pred = harness.server_span_pred(nginx2.port)
        spans = agent.wait_for_exact_spans(lambda s: pred(s) and str(s.get("peerPort")) in ports, 40, since=since)
    finally:
        for c in conns:
            c.close()
    pids = {harness.span_pid(s) for s in spans}
    assert pids <= set(nginx2.workers), "span pids %s, workers %s" % (pids, nginx2.workers)
    assert len(pids) == 2, "40 connections with reuseport should reach both workers: %s" % pids
    assert {rattr(s, "service.name") for s in spans} == {"nginx"}
    assert {s["name"] for s in spans} == {"GET /hello"}
