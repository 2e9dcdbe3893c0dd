"""The agent against a collector that fails: killed for 30 s under load, retryable and permanent errors, partial
success, a hung export. The agent must keep running with bounded memory, count what it drops, and recover by
itself."""
import time
import uuid

import pytest

import otlp
from harness import launch

OUTAGE_S = 30
RSS_LIMIT_KIB = 128 * 1024
RSS_LATE_GROWTH_LIMIT_KIB = 12 * 1024   # second half of the outage: the queue is full, memory must be flat
LOAD_RPS = 200


@pytest.fixture
def app(apps):
    return apps.get("python")


def internal_metrics(port):
    status, body, _ = otlp.http_get(port, otlp.INTERNAL_METRICS_PATH)
    assert status == 200, "GET %s on :%d -> %d" % (otlp.INTERNAL_METRICS_PATH, port, status)
    return otlp.parse_exposition(body)


def dropped_spans(samples):
    return sum(v for name, _, v in samples if otlp.DROPPED_SPANS_METRIC_RE.match(name))


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_collector_down_under_load(agent_factory, receiver_factory, app, protocol):
    rx = receiver_factory()
    iport = launch.free_port()
    agent = otlp.start_agent(agent_factory, app, rx, protocol, extra={
        "OTEL_EBPF_TRACE_PRINTER": "disabled",
        "OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "prometheus",
        "OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT": str(iport),
        "OTEL_EBPF_OTLP_TRACES_MAX_QUEUE_SIZE": "2000",
        "OTEL_EBPF_OTLP_TRACES_MAX_EXPORT_BATCH_SIZE": "256",
        "OTEL_EBPF_BACKOFF_MAX_INTERVAL": "5s",
    }, warm_up=False)
    otlp.warm_up_metrics(rx, app.port)
    tag = uuid.uuid4().hex[:8]
    traffic = otlp.Traffic(app.port, rate=LOAD_RPS, path_fn=lambda i: "/users/%s-%d" % (tag, i),
                           max_seconds=OUTAGE_S + 120).start()
    try:
        rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/%s-" % tag), 100, timeout=20,
                          describe="spans under load before the outage")
        rss_before = otlp.rss_kib(agent.pid)
        stderr_before = len(agent.stderr().splitlines())

        rx.kill()
        samples = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < OUTAGE_S:
            time.sleep(1.0)
            assert agent.proc.poll() is None, "agent exited during the outage\n%s" % agent.logs()
            samples.append((time.monotonic() - t0, otlp.rss_kib(agent.pid)))
        sent_during = traffic.sent
        assert traffic.errors == 0, "the traced server failed %d requests during the outage" % traffic.errors

        rss = [kib for _, kib in samples]
        assert max(rss) < RSS_LIMIT_KIB, "agent RSS peaked at %d KiB (limit %d); before the outage %d KiB" % (
            max(rss), RSS_LIMIT_KIB, rss_before)
        half = len(rss) // 2
        late_growth = max(rss[half:]) - max(rss[:half])
        assert late_growth < RSS_LATE_GROWTH_LIMIT_KIB, (
            "RSS still growing in the second half of the outage (+%d KiB): %s" % (late_growth, samples))
        log_lines = len(agent.stderr().splitlines()) - stderr_before
        assert log_lines < 100, "%d log lines in %d s of outage (a warning per failure floods the log)" % (
            log_lines, OUTAGE_S)

        dropped = dropped_spans(internal_metrics(iport))
        assert dropped > 0, "no dropped-span counter > 0 on %s after %d s of outage at %d req/s; obi_* series: %s" % (
            otlp.INTERNAL_METRICS_PATH, OUTAGE_S, LOAD_RPS,
            sorted({n for n, _, _ in internal_metrics(iport) if n.startswith("obi_")}))

        rx.start()
        since = rx.mark("traces")
        rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/%s-" % tag), 50, timeout=60,
                          since=since, describe="spans after the collector came back")
        msince = rx.mark("metrics")
        rx.wait_for(lambda: rx.records("metrics")[msince:], timeout=30, describe="metrics after the collector came back")
        assert agent.proc.poll() is None
        assert sent_during >= LOAD_RPS * OUTAGE_S * 0.5, "load generator too slow: %d requests" % sent_during
    finally:
        traffic.stop()


@pytest.mark.parametrize("protocol,mode", [("grpc", "unavailable"), ("http/protobuf", "unavailable"),
                                           ("http/protobuf", "throttle")])
def test_retryable_errors_are_retried(agent_factory, otlp_receiver, app, protocol, mode):
    """UNAVAILABLE / 503 / 429 (with Retry-After 1 s) twice: the spans still arrive, each exactly once."""
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, protocol, metrics=False,
                     extra={"OTEL_EBPF_BACKOFF_INITIAL_INTERVAL": "200ms", "OTEL_EBPF_BACKOFF_MAX_INTERVAL": "2s"})
    rx.wait_for_spans(otlp.server_span_pred(app.port), 1, describe="warm-up spans")
    time.sleep(1.0)
    rx.set_fault(mode, "traces", count=2, retry_after_s=1)
    tag = uuid.uuid4().hex[:8]
    paths = ["/users/%s-%d" % (tag, i) for i in range(20)]
    otlp.send_requests(app.port, paths)
    rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/%s-" % tag), 20, timeout=30,
                      describe="spans after two refused exports")
    time.sleep(1.5)
    got = [s["attrs"]["url.path"] for s in rx.spans() if s["attrs"].get("url.path", "").startswith("/users/%s-" % tag)]
    assert sorted(got) == sorted(paths), "lost or duplicated spans: %d exported for %d requests" % (len(got), 20)
    outcomes = [r["outcome"] for r in rx.requests() if r["signal"] == "traces"]
    assert outcomes.count(mode) == 2 and outcomes[-1] == "ok", outcomes


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_permanent_error_is_not_retried(agent_factory, otlp_receiver, app, protocol):
    rx = otlp_receiver
    agent = otlp.start_agent(agent_factory, app, rx, protocol, metrics=False)
    rx.wait_for_spans(otlp.server_span_pred(app.port), 1, describe="warm-up spans")
    time.sleep(1.5)
    rx.set_fault("bad_request", "traces", count=1, message="obi test: permanently rejected")
    tag = uuid.uuid4().hex[:8]
    otlp.send_requests(app.port, ["/users/%s-refused" % tag])
    rx.wait_for(lambda: [r for r in rx.requests() if r["outcome"] == "bad_request"], describe="the refused export")
    time.sleep(3.0)
    otlp.send_requests(app.port, ["/users/%s-later" % tag])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/%s-later" % tag), 1,
                      describe="a span exported after the refused one")
    assert not [s for s in rx.spans() if s["attrs"].get("url.path") == "/users/%s-refused" % tag], (
        "a batch refused with a permanent error was sent again")
    assert len([r for r in rx.requests() if r["outcome"] == "bad_request"]) == 1
    assert agent.proc.poll() is None


def test_partial_success_is_logged(agent_factory, otlp_receiver, app):
    rx = otlp_receiver
    agent = otlp.start_agent(agent_factory, app, rx, "grpc", metrics=False)
    rx.wait_for_spans(otlp.server_span_pred(app.port), 1, describe="warm-up spans")
    msg = "obi-test-partial-%s" % uuid.uuid4().hex[:6]
    rx.set_fault("partial", "traces", count=1, rejected=1, message=msg)
    otlp.send_requests(app.port, ["/users/partial-1"])
    rx.wait_for(lambda: msg in agent.stderr(), timeout=15,
                describe="the partial-success message %r in the agent's log" % msg)
    otlp.send_requests(app.port, ["/users/partial-2"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/partial-2"), 1)
    assert agent.proc.poll() is None


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_hung_collector_times_out(agent_factory, otlp_receiver, app, protocol):
    """An export that never gets an answer ends at OTEL_EXPORTER_OTLP_TIMEOUT; later spans still go out."""
    rx = otlp_receiver
    agent = otlp.start_agent(agent_factory, app, rx, protocol, metrics=False,
                             extra={"OTEL_EXPORTER_OTLP_TIMEOUT": "2000"})
    rx.wait_for_spans(otlp.server_span_pred(app.port), 1, describe="warm-up spans")
    time.sleep(1.0)
    rx.set_fault("hang", "traces", count=1)
    otlp.send_requests(app.port, ["/users/hang-1"])
    rx.wait_for(lambda: [r for r in rx.requests() if r["outcome"] == "hang"], describe="the hung export")
    otlp.send_requests(app.port, ["/users/hang-2"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/hang-2"), 1, timeout=30,
                      describe="a span exported after the hung export")
    assert agent.proc.poll() is None
