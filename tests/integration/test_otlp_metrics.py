"""OTLP metrics as a real receiver decodes them: temporality, histogram kinds and buckets, body-size histograms,
span metrics and the service graph (obi-compat 4.2, 4.3, 4.5)."""
import time
import uuid

import pytest

import conftest
import otlp

N = 200
SIZE_BUCKETS = [0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]


@pytest.fixture
def app(apps):
    return apps.get("python")


def send_users(app, n=N):
    tag = uuid.uuid4().hex[:8]
    assert otlp.send_requests(app.port, ["/users/%s-%d" % (tag, i) for i in range(n)]) == [200] * n


def duration_points(rx, app):
    return [(r, m, p) for r, m, p in otlp.metric_points(rx.records("metrics"), otlp.HTTP_SERVER_DURATION)
            if p["attrs"].get("server.port") == app.port and p["attrs"].get("http.route") == "/users/*"]


@pytest.mark.parametrize("aggregation", ["explicit_bucket_histogram", "base2_exponential_bucket_histogram"])
def test_delta_temporality(agent_factory, otlp_receiver, app, aggregation):
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, "grpc", extra={
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": aggregation})
    send_users(app)
    # sent in two bursts, so that at least two exports carry /users/* points
    time.sleep(2.5)
    send_users(app)
    got = otlp.wait_total(rx, otlp.HTTP_SERVER_DURATION, {"http.route": "/users/*", "server.port": app.port}, 2 * N)
    assert got == 2 * N
    points = duration_points(rx, app)
    kinds = {m["type"] for _, m, _ in points}
    temporalities = {m["aggregation_temporality"] for _, m, _ in points}
    assert temporalities == {"AGGREGATION_TEMPORALITY_DELTA"}
    assert len(points) >= 2, "expected a point per export interval with traffic"
    # delta: consecutive points of a series do not overlap in time
    spans = sorted((int(p["start_time_unix_nano"]), int(p["time_unix_nano"])) for _, _, p in points)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert s1 < e1 <= s2 < e2, "delta windows overlap: %s" % spans
    if aggregation == "base2_exponential_bucket_histogram":
        assert kinds == {"exponential_histogram"}
        for _, _, p in points:
            counts = sum(p["positive"]["bucket_counts"]) + sum(p["negative"]["bucket_counts"]) + p["zero_count"]
            assert counts == p["count"], p
            assert p["scale"] <= 20 and len(p["positive"]["bucket_counts"]) <= 160
            assert 0 < p["sum"] and 0 < p["min"] <= p["max"] < 10
    else:
        assert kinds == {"histogram"}
        assert all(p["explicit_bounds"] == otlp.DURATION_BUCKETS for _, _, p in points)


def test_cumulative_is_the_default(agent_factory, otlp_receiver, app):
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, "http/protobuf")
    send_users(app)
    assert otlp.wait_total(rx, otlp.HTTP_SERVER_DURATION, {"http.route": "/users/*", "server.port": app.port}, N) == N
    points = duration_points(rx, app)
    assert {m["aggregation_temporality"] for _, m, _ in points} == {"AGGREGATION_TEMPORALITY_CUMULATIVE"}
    counts = [p["count"] for _, _, p in points]
    assert counts == sorted(counts), "a cumulative count went down: %s" % counts
    assert len({p["start_time_unix_nano"] for _, _, p in points}) == 1  # one start time per series


def test_body_size_histograms(agent_factory, otlp_receiver, app):
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, "grpc")
    send_users(app, 10)
    name_req, name_resp = "http.server.request.body.size", "http.server.response.body.size"
    assert otlp.wait_total(rx, name_resp, {"http.route": "/users/*", "server.port": app.port}, 10) == 10
    for name in (name_req, name_resp):
        pts = [(m, p) for _, m, p in otlp.metric_points(rx.records("metrics"), name)
               if p["attrs"].get("server.port") == app.port]
        assert pts, "no %s points; metrics seen: %s" % (name, otlp.metric_names(rx.records("metrics")))
        m, p = pts[-1]
        assert m["unit"] == "By" and m["type"] == "histogram"
        assert p["explicit_bounds"] == SIZE_BUCKETS


def test_span_metrics_and_service_graph(agent_factory, otlp_receiver, app):
    """application_span and application_service_graph next to application (obi-compat 4.5)."""
    rx = otlp_receiver
    # On loopback client and server share 127.0.0.1: OBI counts that as a self reference
    # (peer == host) and drops the edge unless self references are allowed.
    otlp.start_agent(agent_factory, app, rx, "grpc", extra={"OTEL_EBPF_ALLOW_SERVICE_GRAPH_SELF_REFERENCES": "true"},
                features="application,application_span,application_service_graph")
    send_users(app)
    errors = 7
    assert otlp.send_requests(app.port, ["/status/503"] * errors) == [503] * errors
    svc = conftest.service_name_of(app)
    rx.wait_for(lambda: {"traces_spanmetrics_calls_total", "traces_service_graph_request_total"}
                <= set(otlp.metric_names(rx.records("metrics"))), timeout=30,
                describe="span metrics and service graph metrics")
    time.sleep(3)
    recs = rx.records("metrics")
    names = set(otlp.metric_names(recs))
    for want in ("traces_spanmetrics_latency", "traces_spanmetrics_calls_total", "traces_service_graph_request_server",
                 "traces_service_graph_request_total", "traces_service_graph_request_failed_total",
                 otlp.HTTP_SERVER_DURATION):
        assert want in names, "%s missing; got %s" % (want, sorted(names))

    def span_name_of(p):
        return p["attrs"].get("span.name", p["attrs"].get("span_name"))

    calls = [(m, p) for _, m, p in otlp.metric_points(recs, "traces_spanmetrics_calls_total")
             if span_name_of(p) == "GET /users/*"]
    assert calls and calls[-1][0]["type"] == "sum" and calls[-1][0]["is_monotonic"] is True
    assert otlp.total(recs, "traces_spanmetrics_calls_total",
                      {k: "GET /users/*" for k in calls[-1][1]["attrs"] if k in ("span.name", "span_name")},
                      field="value") == N
    latency = [m for _, m, p in otlp.metric_points(recs, "traces_spanmetrics_latency") if span_name_of(p) == "GET /users/*"]
    assert latency and latency[-1]["type"] in ("histogram", "exponential_histogram")

    graph = [(m, p) for _, m, p in otlp.metric_points(recs, "traces_service_graph_request_total")
             if p["attrs"].get("server") == svc]
    assert graph, "no service graph edge to server=%s" % svc
    server_total = otlp.total(recs, "traces_service_graph_request_total", {"server": svc}, field="value")
    failed = otlp.total(recs, "traces_service_graph_request_failed_total", {"server": svc}, field="value")
    assert server_total >= N + errors and failed == errors
