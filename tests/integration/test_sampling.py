"""Trace sampling (OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, obi-compat 5.5): it decides which spans are
exported over OTLP and never what the metrics count.

Incoming traceparent headers of the Python server are read with OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS=true, as in
test_traceparent.py.
"""
import time
import uuid

import pytest

import harness
import otlp

ROUTE = {"http.route": "/users/*"}


@pytest.fixture
def app(apps):
    return apps.get("python")


def start(agent_factory, app, rx, sampler=None, arg=None):
    extra = {"OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS": "true"}
    if sampler is not None:
        extra["OTEL_TRACES_SAMPLER"] = sampler
    if arg is not None:
        extra["OTEL_TRACES_SAMPLER_ARG"] = arg
    agent = otlp.start_agent(agent_factory, app, rx, "grpc", extra=extra, warm_up=False)
    otlp.warm_up_metrics(rx, app.port)
    return agent


def exported(rx, app, prefix):
    return [s for s in rx.spans() if otlp.server_span_pred(app.port, path_prefix=prefix)(s)]


def counted(rx, app, n):
    got = otlp.wait_total(rx, otlp.HTTP_SERVER_DURATION, dict(ROUTE, **{"server.port": app.port}), n)
    assert got == n, "metrics counted %s of %d requests" % (got, n)


def test_always_off_exports_no_spans_but_counts_everything(agent_factory, otlp_receiver, app):
    rx = otlp_receiver
    start(agent_factory, app, rx, "always_off")
    n = 100
    prefix = "/users/off-%s-" % uuid.uuid4().hex[:6]
    assert otlp.send_requests(app.port, ["%s%d" % (prefix, i) for i in range(n)]) == [200] * n
    counted(rx, app, n)
    time.sleep(1.0)
    assert exported(rx, app, prefix) == []
    assert [s for s in rx.spans() if s["attrs"].get("server.port") == app.port] == [], "always_off exported spans"


def test_traceidratio_half(agent_factory, otlp_receiver, app):
    rx = otlp_receiver
    start(agent_factory, app, rx, "traceidratio", "0.5")
    n = 400
    prefix = "/users/half-%s-" % uuid.uuid4().hex[:6]
    assert otlp.send_requests(app.port, ["%s%d" % (prefix, i) for i in range(n)]) == [200] * n
    counted(rx, app, n)
    time.sleep(1.5)
    k = len(exported(rx, app, prefix))
    # Binomial(400, 0.5): mean 200, sd 10; +-6 sd
    assert 140 <= k <= 260, "traceidratio 0.5 exported %d of %d spans" % (k, n)


# sampler, arg -> which of (root, parent sampled 01, parent not sampled 00) are exported
PARENT_CASES = [
    ("default", None, None, (True, True, False)),
    ("parentbased_always_on", "parentbased_always_on", None, (True, True, False)),
    ("parentbased_always_off", "parentbased_always_off", None, (False, True, False)),
    ("parentbased_traceidratio-0", "parentbased_traceidratio", "0", (False, True, False)),
    ("always_on", "always_on", None, (True, True, True)),
]


@pytest.mark.parametrize("sampler,arg,expect", [c[1:] for c in PARENT_CASES], ids=[c[0] for c in PARENT_CASES])
def test_parent_based(agent_factory, otlp_receiver, app, sampler, arg, expect):
    rx = otlp_receiver
    start(agent_factory, app, rx, sampler, arg)
    per_group = 20
    tag = uuid.uuid4().hex[:6]
    groups = {"root": None, "p01": "01", "p00": "00"}
    traces = {}
    for group, flags in groups.items():
        paths = ["/users/%s-%s-%d" % (group, tag, i) for i in range(per_group)]
        if flags is None:
            assert otlp.send_requests(app.port, paths) == [200] * per_group
            continue
        ids = {p: harness.new_trace_ids() for p in paths}
        traces[group] = {t for t, _ in ids.values()}
        assert otlp.send_requests(app.port, paths, headers=lambda p: {
            "traceparent": "00-%s-%s-%s" % (ids[p][0], ids[p][1], flags)}) == [200] * per_group
    counted(rx, app, 3 * per_group)
    time.sleep(1.5)
    for (group, flags), want in zip(groups.items(), expect):
        spans = exported(rx, app, "/users/%s-%s-" % (group, tag))
        assert len(spans) == (per_group if want else 0), "%s: %d of %d %s spans exported" % (
            sampler, len(spans), per_group, group)
        if flags and want:
            assert {s["trace_id"] for s in spans} == traces[group], "exported spans did not keep the incoming trace id"
