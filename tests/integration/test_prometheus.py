"""The agent's Prometheus endpoint, scraped by a real Prometheus 2.42 every second and checked with PromQL and
`promtool check metrics` (obi-compat 4.2, 4.4, 4.5, 4.7, 4.8, 5.4)."""
import re
import uuid

import pytest

import conftest
import otlp
from harness import launch

N_REQUESTS = 1000
DURATION_LABELS = {"http_request_method", "http_response_status_code", "http_route", "server_address", "server_port",
                   "service_name", "service_namespace", "instance", "job"}


@pytest.fixture
def app(apps):
    return apps.get("python")


def start_agent(agent_factory, app, extra=None):
    port = launch.free_port()
    env = {"OTEL_EBPF_OPEN_PORT": str(app.port), "OTEL_EBPF_TRACE_PRINTER": "json",
           "OTEL_EBPF_PROMETHEUS_PORT": str(port)}
    env.update(extra or {})
    agent = agent_factory(env=env)
    agent.warm_up(app.port)
    return agent, port


def scrape(port, path=otlp.METRICS_PATH):
    status, body, headers = otlp.http_get(port, path)
    assert status == 200, "GET %s on :%d -> %d %s" % (path, port, status, body[:300])
    return body, headers


def users(app, n):
    tag = uuid.uuid4().hex[:8]
    assert otlp.send_requests(app.port, ["/users/%s-%d" % (tag, i) for i in range(n)]) == [200] * n


def test_promql_counts_every_request(agent_factory, prometheus_factory, app):
    agent, port = start_agent(agent_factory, app)
    prom = prometheus_factory([{"job": "obi", "port": port}])
    prom.wait_target_up("obi")
    users(app, N_REQUESTS)
    prom.wait_for_value('sum(http_server_request_duration_seconds_count{http_route="/users/*"})', float(N_REQUESTS),
                        timeout=30)
    assert prom.value('sum(http_server_request_duration_seconds_bucket{http_route="/users/*",le="+Inf"})') == N_REQUESTS
    assert prom.value('sum(http_server_request_duration_seconds_sum{http_route="/users/*"})') > 0
    series = prom.query('http_server_request_duration_seconds_count{http_route="/users/*"}')
    assert len(series) == 1, series
    labels = series[0]["metric"]
    # Prometheus stores no empty labels: service_namespace="" (no namespace) is absent.
    missing = DURATION_LABELS - {"service_namespace"} - set(labels)
    assert not missing, "labels missing: %s (got %s)" % (missing, labels)
    svc = conftest.service_name_of(app)
    assert (labels["http_request_method"], labels["http_response_status_code"], labels["server_port"]) == (
        "GET", "200", str(app.port))
    assert labels["service_name"] == svc and labels["job"] == svc
    assert labels["instance"].endswith(":%d" % app.pid)
    assert "url_path" not in labels and "client_address" not in labels
    # classic buckets: OBI's duration boundaries
    les = sorted(float(s["metric"]["le"]) for s in prom.query(
        'http_server_request_duration_seconds_bucket{http_route="/users/*"}'))
    assert les == sorted(otlp.DURATION_BUCKETS + [float("inf")])
    assert agent.proc.poll() is None


def _traffic(app, apps):
    users(app, 20)
    otlp.send_requests(app.port, ["/hello", "/status/503", "/status/404", "/users/1?q=2",
                                  "/call?url=http://127.0.0.1:%d/hello" % apps.downstream.port])


def test_promtool_check_metrics_is_clean(agent_factory, app, apps):
    _, port = start_agent(agent_factory, app)
    _traffic(app, apps)
    body, headers = scrape(port)
    assert headers.get("content-type", "").startswith("text/plain"), headers
    assert "http_server_request_duration_seconds_bucket" in body
    rc, out = otlp.promtool_check_metrics(body)
    assert (rc, out) == (0, ""), "promtool check metrics: exit %d\n%s" % (rc, out)
    for name, labels, value in otlp.parse_exposition(body):
        assert value == value, "NaN sample %s %s" % (name, labels)


def test_target_info_and_build_info(agent_factory, app, apps):
    _, port = start_agent(agent_factory, app)
    _traffic(app, apps)
    samples = otlp.parse_exposition(scrape(port)[0])
    svc = conftest.service_name_of(app)
    ti = [lab for name, lab, v in samples if name == "target_info" and lab.get("service_name") == svc]
    assert len(ti) == 1, "want one target_info for %s, got %s" % (svc, ti)
    for key in ("host_id", "host_name", "service_name", "instance", "job", "telemetry_sdk_language",
                "telemetry_sdk_name", "telemetry_sdk_version", "telemetry_distro_name", "os_type"):
        assert ti[0].get(key), "target_info lacks %s: %s" % (key, ti[0])
    assert ti[0]["telemetry_sdk_language"] == "python" and ti[0]["instance"].endswith(":%d" % app.pid)
    build = [(lab, v) for name, lab, v in samples if name == "obi_build_info"]
    assert build and all(v == 1 for _, v in build), build
    assert {"version", "revision"} <= set(build[0][0]), build[0][0]


@pytest.mark.parametrize("same_port", [True, False], ids=["shared-port", "own-port"])
def test_internal_metrics(agent_factory, app, apps, same_port):
    port = launch.free_port()
    iport = port if same_port else launch.free_port()
    env = {"OTEL_EBPF_OPEN_PORT": str(app.port), "OTEL_EBPF_TRACE_PRINTER": "json",
           "OTEL_EBPF_PROMETHEUS_PORT": str(port), "OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "prometheus",
           "OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT": str(iport)}
    agent = agent_factory(env=env)
    agent.warm_up(app.port)
    _traffic(app, apps)
    body, _ = scrape(iport, otlp.INTERNAL_METRICS_PATH)
    names = {n for n, _, _ in otlp.parse_exposition(body)}
    assert any(n.startswith("obi_") for n in names), "no obi_* internal series: %s" % sorted(names)[:50]
    rc, out = otlp.promtool_check_metrics(body)
    assert (rc, out) == (0, ""), "promtool check metrics on %s: exit %d\n%s" % (otlp.INTERNAL_METRICS_PATH, rc, out)
    app_body, _ = scrape(port)
    assert "http_server_request_duration_seconds_count" in app_body
    assert agent.proc.poll() is None


def test_span_metrics_and_service_graph(agent_factory, prometheus_factory, app):
    agent, port = start_agent(agent_factory, app, {
        "OTEL_EBPF_METRICS_FEATURES": "application,application_span,application_service_graph",
        # loopback: client and server are both 127.0.0.1, a self reference for OBI
        "OTEL_EBPF_PROMETHEUS_ALLOW_SERVICE_GRAPH_SELF_REFERENCES": "true"})
    prom = prometheus_factory([{"job": "obi", "port": port}])
    prom.wait_target_up("obi")
    n, errors = 100, 5
    users(app, n)
    assert otlp.send_requests(app.port, ["/status/503"] * errors) == [503] * errors
    svc = conftest.service_name_of(app)
    prom.wait_for_value('sum(traces_spanmetrics_calls_total{span_name="GET /users/*",span_kind="SPAN_KIND_SERVER",'
                        'status_code="STATUS_CODE_UNSET",service_name="%s"})' % svc, float(n), timeout=30)
    assert prom.value('sum(traces_spanmetrics_latency_count{span_name="GET /users/*"})') == n
    assert prom.value('sum(traces_spanmetrics_calls_total{span_name="GET /status/*",'
                      'status_code="STATUS_CODE_ERROR"})') == errors
    assert prom.value('sum(traces_service_graph_request_total{server="%s"})' % svc) >= n + errors
    assert prom.value('sum(traces_service_graph_request_failed_total{server="%s"})' % svc) == errors
    assert prom.value('sum(traces_service_graph_request_server_seconds_count{server="%s"})' % svc) >= n + errors
    assert prom.value('count(traces_target_info{service_name="%s"})' % svc) == 1
    body, _ = scrape(port)
    rc, out = otlp.promtool_check_metrics(body)
    assert (rc, out) == (0, ""), out
    calls = [lab for name, lab, _ in otlp.parse_exposition(body) if name == "traces_spanmetrics_calls_total"]
    assert calls and all(lab.get("source") == "obi" for lab in calls), calls[:3]
    assert re.search(r'^traces_service_graph_request_total\{[^}]*client="', body, re.M)
    assert agent.proc.poll() is None
