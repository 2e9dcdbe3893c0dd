"""Export configuration errors: rejected at start (exit != 0 within 2 s, stderr names the variable and the value),
and an unreachable collector: a runtime warning while the agent keeps running."""
import re
import time

import pytest

import harness
import otlp
from harness import launch

BAD_CONFIG_EXIT_S = 2.0
BASE = {"OTEL_EBPF_OPEN_PORT": "8080", "OTEL_EBPF_TRACE_PRINTER": "json"}

# (id, env on top of BASE, substrings stderr must contain; a tuple means "any of these")
BAD = [
    ("protocol", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "foo"},
     ["OTEL_EXPORTER_OTLP_PROTOCOL", "foo"]),
    ("traces-protocol", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                         "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/xml"},
     ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/xml"]),
    ("metrics-protocol-debug", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "debug"},
     ["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "debug"]),
    ("endpoint-bad-port", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:notaport"},
     ["OTEL_EXPORTER_OTLP_ENDPOINT", "notaport"]),
    ("endpoint-no-host", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://:4318"},
     ["OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4318"]),
    ("endpoint-scheme", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://127.0.0.1:4318/v1/traces"},
     ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp"]),
    ("metrics-endpoint-spaces", {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://local host:4318/v1/metrics"},
     ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]),
    ("headers-no-equals", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                           "OTEL_EXPORTER_OTLP_HEADERS": "authorization"},
     ["OTEL_EXPORTER_OTLP_HEADERS", "authorization"]),
    ("traces-headers-empty-key", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                                  "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "=v"},
     ["OTEL_EXPORTER_OTLP_TRACES_HEADERS"]),
    ("metrics-interval", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EBPF_METRICS_INTERVAL": "soon"},
     ["OTEL_EBPF_METRICS_INTERVAL", "soon"]),
    ("histogram-aggregation", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                               "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "base10"},
     ["OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "base10"]),
    ("temporality", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                     "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "sometimes"},
     ["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"]),
    ("features", {"OTEL_EBPF_PROMETHEUS_PORT": "19999", "OTEL_EBPF_METRICS_FEATURES": "application,bogus"},
     ["OTEL_EBPF_METRICS_FEATURES", "bogus"]),
    ("prometheus-port", {"OTEL_EBPF_PROMETHEUS_PORT": "70000"}, ["OTEL_EBPF_PROMETHEUS_PORT", "70000"]),
    ("internal-exporter", {"OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "statsd"},
     ["OTEL_EBPF_INTERNAL_METRICS_EXPORTER", "statsd"]),
    ("internal-prometheus-without-port", {"OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "prometheus"},
     [("OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT", "internal_metrics.prometheus.port")]),
    ("batch-timeout", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                       "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "-1s"},
     ["OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT"]),
]


@pytest.mark.parametrize("env,expect", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_export_config_is_rejected(env, expect):
    rc, out, err, took = otlp.run_agent_once(dict(BASE, **env), timeout=BAD_CONFIG_EXIT_S + 3)
    assert took <= BAD_CONFIG_EXIT_S, "took %.1fs to reject the config" % took
    assert rc is not None and rc > 0, "exit code %s (want a normal non-zero exit)\nstderr: %s" % (rc, err)
    for want in expect:
        options = want if isinstance(want, tuple) else (want,)
        assert any(re.search(re.escape(o), err, re.IGNORECASE) for o in options), (
            "stderr does not name %s:\n%s" % (" or ".join(options), err))


def test_header_values_are_not_logged():
    rc, _, err, _ = otlp.run_agent_once(dict(BASE, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318",
                                             OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer s3cr3t,broken"),
                                        timeout=BAD_CONFIG_EXIT_S + 3)
    assert rc and rc > 0
    assert "OTEL_EXPORTER_OTLP_HEADERS" in err and "s3cr3t" not in err, err


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_unreachable_collector_warns_and_keeps_running(agent_factory, apps, protocol):
    app = apps.get("python")
    dead = launch.free_port()  # nothing listens there
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % dead, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
           "OTEL_EBPF_METRICS_INTERVAL": "1s", "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "200ms",
           "OTEL_EBPF_OPEN_PORT": str(app.port), "OTEL_EBPF_TRACE_PRINTER": "json"}
    agent = agent_factory(env=env)
    agent.warm_up(app.port)
    otlp.send_requests(app.port, ["/users/%d" % i for i in range(50)])
    deadline = time.monotonic() + 20
    pattern = re.compile(r"(warn|error).*127\.0\.0\.1:%d|127\.0\.0\.1:%d.*(warn|error|refused|unavailable)"
                         % (dead, dead), re.IGNORECASE)
    while not pattern.search(agent.stderr()):
        assert time.monotonic() < deadline, "no warning naming the unreachable endpoint 127.0.0.1:%d:\n%s" % (
            dead, agent.stderr()[-3000:])
        assert agent.proc.poll() is None, agent.logs()
        time.sleep(0.2)
    # still tracing: the printer keeps printing
    since = agent.mark()
    r = harness.http_request(app.port, "/hello")
    agent.wait_for_spans(harness.server_span_pred(app.port, r.local_port), 1, since=since)
    time.sleep(3)
    assert agent.proc.poll() is None
    warnings = [line for line in agent.stderr().splitlines() if str(dead) in line]
    assert len(warnings) < 30, "the unreachable endpoint is logged %d times in a few seconds" % len(warnings)
    # A dead collector must not hold the exit: the batch waiting in a retry backoff gets one last attempt at
    # once (this used to wait out the backoff, several seconds, and sometimes the whole shutdown timeout).
    t0 = time.monotonic()
    agent.stop()
    took = time.monotonic() - t0
    assert took < 4, "the agent took %.1f s to exit with the collector down\n%s" % (took, agent.stderr()[-2000:])
