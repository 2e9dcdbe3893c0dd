"""Kafka spans and messaging metrics on the real kernel path, traced from real clients: kcat 1.7.1 (librdkafka
2.0.2), kafka-python 2.0.2 and confluent-kafka 1.7, producing and consuming against tests/apps/kafka_broker.py. That broker is OURS: no
real Kafka broker can run here (Debian has none, Maven is unreachable); it answers with the API versions the
clients ask for. The flexible versions no real client here sends (Produce v9/v13, Fetch v12/v13/v16, Metadata v12)
come from RawClient in the same file (also ours). The broker side is traced too (KafkaServer spans).

kafka-python and confluent-kafka 1.7 (librdkafka from Python) run as child processes selected by PID.
obi-compat 3.2/3.3 and acceptance example 12: "publish <topic>" PRODUCER, "process <topic>" CONSUMER,
messaging.* attributes, status UNSET, messaging_client_operation_duration / messaging_process_duration."""
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import harness
import otlp
from harness import launch, rattr, sattr

BROKER = os.path.join(harness.REPO_DIR, "tests", "apps", "kafka_broker.py")
sys.path.insert(0, os.path.dirname(BROKER))
from kafka_broker import RawClient  # noqa: E402

WARM_TIMEOUT_S = 20.0
KCAT = launch.real_exe("kcat")


@pytest.fixture
def broker(work_dir):
    port = launch.free_port()
    srv = launch.ServerProcess("kafka-broker-%d" % port, [launch.PYTHON, BROKER, str(port)], port,
                               os.path.join(work_dir, "servers"), ready_text="ready kafka 127.0.0.1:%d" % port)
    srv.wait_ready()
    yield srv
    srv.stop()


def kafka_pred(pid=None, op=None, topic=None, port=None, span_type="KafkaClient"):
    def pred(s):
        return (s.get("type") == span_type and (pid is None or harness.span_pid(s) == pid)
                and (op is None or sattr(s, "messaging.operation.type") == op)
                and (topic is None or sattr(s, "messaging.destination.name") == topic)
                and (port is None or sattr(s, "server.port") == port))
    return pred


def check_span(s, op, topic, client_id, broker_port, offset=None, server=False):
    """Every attribute of a Kafka span (obi-compat 3.3), name, kind and status."""
    assert s["name"] == "%s %s" % (op, topic), harness.brief(s)
    kind = "SPAN_KIND_SERVER" if server else ("SPAN_KIND_PRODUCER" if op == "publish" else "SPAN_KIND_CONSUMER")
    assert s["kind"] == kind, harness.brief(s)
    assert s["statusCode"] == "STATUS_CODE_UNSET"
    want = {"messaging.system": "kafka", "messaging.operation.type": op, "messaging.destination.name": topic,
            "messaging.client.id": client_id, "messaging.destination.partition.id": "0",
            "server.address": "127.0.0.1", "server.port": broker_port}
    if op == "process":
        want["messaging.kafka.offset"] = offset
    if server:
        want["client.address"] = "127.0.0.1"
    assert s["spanAttributes"] == want, s["spanAttributes"]
    assert int(s["durationUSec"]) >= 0
    assert str(s["hostPort"]) == str(broker_port)
    assert s["traceID"] not in ("", "0" * 32) and s["spanID"] not in harness.ZERO_SPAN_ID


class LineProc:
    """A client process fed on stdin, its stdout read line by line on a thread."""

    def __init__(self, argv, log_path):
        self.err = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     env=launch.clean_env(), text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    @property
    def pid(self):
        return self.proc.pid

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read_line(self, timeout=20.0):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no output from %s within %.0fs" % (self.proc.args, timeout)) from None

    def finish(self, timeout=20.0):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait(5)
        self.err.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def warm_up(agent, pred, action, timeout=WARM_TIMEOUT_S):
    """Repeats `action` until a span matching `pred` is printed (the agent has attached to the process)."""
    since = agent.mark()
    deadline = time.monotonic() + timeout
    while not agent.spans.matching(pred, since):
        if time.monotonic() > deadline:
            raise AssertionError("no warm-up span within %.0fs\n%s" % (timeout, agent.logs()))
        action()
        end = time.monotonic() + 0.5
        while time.monotonic() < end and not agent.spans.matching(pred, since):
            time.sleep(0.05)


def produce_raw(port, topic, value):
    c = RawClient(port, client_id="obi-test-producer")
    try:
        c.produce(7, topic, [value.encode()])
    finally:
        c.close()


# --------------------------------------------------------------------------------------------------- kcat
def test_kcat_producer_spans(agent_factory, broker):
    agent = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/kcat"})

    def produce(lines, *extra):  # one `kcat -P`: it sends what it read when its stdin ends
        p = subprocess.Popen([KCAT, "-P", "-b", "127.0.0.1:%d" % broker.port, "-t", "logging", *extra],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = p.communicate("".join(l + "\n" for l in lines).encode(), timeout=30)
        assert p.returncode == 0, err
        return p.pid
    warm_up(agent, kafka_pred(op="publish", topic="logging", port=broker.port), lambda: produce(["warm"]))
    since = agent.mark()
    runs = [produce(["message-%d" % i]) for i in range(3)]  # three processes, a Produce request each
    batch = produce(["b-1", "b-2", "b-3"], "-X", "acks=0")  # one request with 3 records and no response
    for pid in runs + [batch]:
        s = agent.wait_for_exact_spans(kafka_pred(pid, "publish"), 1, since=since, settle=0.1,
                                       describe="publish of kcat %d" % pid)[0]
        check_span(s, "publish", "logging", "rdkafka", broker.port)
        assert rattr(s, "service.name") == "kcat"
    time.sleep(harness.SETTLE_S)
    assert len(agent.spans.matching(kafka_pred(op="publish", port=broker.port), since)) == 4


@pytest.mark.parametrize("backend", harness.PROBE_BACKENDS)
def test_kcat_consumer_spans_and_no_spans_for_empty_polls(agent_factory, broker, work_dir, backend):
    agent = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/kcat", "OTEL_EBPF_BPF_PROBE_BACKEND": backend})
    kcat = LineProc([KCAT, "-C", "-b", "127.0.0.1:%d" % broker.port, "-t", "logging", "-o", "end", "-u",
                     "-f", "%o %s\\n"], os.path.join(work_dir, "kcat-consumer.err"))
    try:
        n = [0]

        def warm():
            n[0] += 1
            produce_raw(broker.port, "logging", "warm-%d" % n[0])
        warm_up(agent, kafka_pred(kcat.pid, "process", "logging"), warm)
        while not kcat.lines.empty():
            kcat.lines.get()
        since = agent.mark()
        offsets = []
        for i in range(3):
            produce_raw(broker.port, "logging", "message-%d" % i)
            off, value = kcat.read_line().split(" ", 1)
            while value.startswith("warm-"):  # a warm-up message printed late
                off, value = kcat.read_line().split(" ", 1)
            assert value == "message-%d" % i
            offsets.append(int(off))
            time.sleep(0.3)
        spans = agent.wait_for_spans(kafka_pred(kcat.pid, "process"), 3, since=since, describe="kcat process")
        # librdkafka long-polls every 500 ms: two idle seconds of empty fetches must add no span
        time.sleep(2.0)
        spans = agent.spans.matching(kafka_pred(kcat.pid, "process"), since)
        assert len(spans) == 3, [harness.brief(s) for s in spans]
    finally:
        kcat.kill()
        kcat.finish()
    assert [sattr(s, "messaging.kafka.offset") for s in spans] == offsets
    for s, off in zip(spans, offsets):
        check_span(s, "process", "logging", "rdkafka", broker.port, offset=off)
    assert not agent.spans.matching(kafka_pred(kcat.pid, "publish"), since)


# ------------------------------------------------------------------------------------------- kafka-python
CLIENTS = {
    # kafka-python 2.0.2 (pure Python), consuming without a group
    "kafka-python": textwrap.dedent("""
        import sys
        from kafka import KafkaConsumer, KafkaProducer, TopicPartition
        port = sys.argv[1]
        producer = KafkaProducer(bootstrap_servers="127.0.0.1:" + port, client_id="obi-kp-producer", linger_ms=0)

        def produce(topic, value):
            md = producer.send(topic, value.encode()).get(timeout=10)
            return md.partition, md.offset

        def consume(topic, n):
            consumer = KafkaConsumer(bootstrap_servers="127.0.0.1:" + port, client_id="obi-kp-consumer",
                                     group_id=None, auto_offset_reset="earliest", fetch_max_wait_ms=300)
            consumer.assign([TopicPartition(topic, 0)])
            got = []
            while len(got) < n:
                for records in consumer.poll(timeout_ms=1000).values():
                    got += [r.offset for r in records]
            consumer.close()
            return got
    """),
    # confluent-kafka 1.7 (librdkafka 2.0.2 from Python), consuming in a consumer group
    "confluent-kafka": textwrap.dedent("""
        import sys
        from confluent_kafka import Consumer, Producer
        port = sys.argv[1]
        producer = Producer({"bootstrap.servers": "127.0.0.1:" + port, "client.id": "obi-ck-producer",
                             "linger.ms": 0})

        def produce(topic, value):
            out = []
            producer.produce(topic, value.encode(), on_delivery=lambda err, m: out.append((err, m)))
            producer.flush(10)
            assert out and out[0][0] is None, out
            return out[0][1].partition(), out[0][1].offset()

        def consume(topic, n):
            consumer = Consumer({"bootstrap.servers": "127.0.0.1:" + port, "client.id": "obi-ck-consumer",
                                 "group.id": "obi-group", "auto.offset.reset": "earliest",
                                 "fetch.wait.max.ms": 300})
            consumer.subscribe([topic])
            got = []
            while len(got) < n:
                m = consumer.poll(1.0)
                if m is not None and not m.error():
                    got.append(m.offset())
            consumer.close()
            return got
    """),
}
CLIENT_LOOP = textwrap.dedent("""
    # driven by stdin: "produce TOPIC VALUE" -> "produced PARTITION OFFSET", "consume TOPIC N" -> "consumed OFFSETS"
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if cmd[0] == "produce":
            print("produced %d %d" % produce(cmd[1], cmd[2]), flush=True)
        elif cmd[0] == "consume":
            print("consumed", " ".join(map(str, consume(cmd[1], int(cmd[2])))), flush=True)
""")
CLIENT_IDS = {"kafka-python": ("obi-kp-producer", "obi-kp-consumer"),
              "confluent-kafka": ("obi-ck-producer", "obi-ck-consumer")}


def start_client(work_dir, broker, library):
    path = os.path.join(work_dir, "kafka_client_%s.py" % library)
    with open(path, "w") as f:
        f.write(CLIENTS[library] + CLIENT_LOOP)
    proc = LineProc([launch.PYTHON, path, str(broker.port)], os.path.join(work_dir, "kafka-client-%s.err" % library))
    assert proc.read_line() == "ready"
    return proc


def metric_total(port, name, labels):
    _, text, _ = otlp.http_get(port, "/metrics")
    return sum(v for n, lab, v in otlp.parse_exposition(text)
               if n == name and all(lab.get(k) == want for k, want in labels.items()))


@pytest.mark.parametrize("library", ["kafka-python", "confluent-kafka"])
def test_python_clients_producer_consumer_and_metrics(agent_factory, broker, work_dir, library):
    client = start_client(work_dir, broker, library)
    try:
        producer_id, consumer_id = CLIENT_IDS[library]
        prom = launch.free_port()
        agent = agent_factory(env={"OTEL_EBPF_TARGET_PID": str(client.pid), "OTEL_EBPF_PROMETHEUS_PORT": str(prom)})

        def warm():
            client.send("produce warmup w")
            assert client.read_line().startswith("produced")
        warm_up(agent, kafka_pred(client.pid, "publish", "warmup"), warm)
        since = agent.mark()
        for i in range(3):
            client.send("produce logging message-%d" % i)
            assert client.read_line() == "produced 0 %d" % i
        publish = agent.wait_for_exact_spans(kafka_pred(client.pid, "publish", "logging"), 3, since=since)
        for s in publish:
            check_span(s, "publish", "logging", producer_id, broker.port)
            assert rattr(s, "service.name").startswith("python3")

        client.send("consume logging 3")
        assert client.read_line(timeout=40) == "consumed 0 1 2"
        # one fetch returned the three records; the long polls after it returned none
        process = agent.wait_for_exact_spans(kafka_pred(client.pid, "process", "logging"), 1, since=since,
                                             settle=2.0)
        check_span(process[0], "process", "logging", consumer_id, broker.port, offset=0)

        # acceptance example 12: the RED metrics of both operations
        labels = {"messaging_system": "kafka", "messaging_destination_name": "logging"}
        deadline = time.monotonic() + 20
        while True:
            pub = metric_total(prom, "messaging_client_operation_duration_seconds_count", labels)
            proc = metric_total(prom, "messaging_process_duration_seconds_count", labels)
            if (pub, proc) == (3, 1) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert (pub, proc) == (3, 1), "metrics: publish %s, process %s" % (pub, proc)
        assert metric_total(prom, "messaging_process_duration_seconds_bucket", dict(labels, le="+Inf")) == 1
    finally:
        client.kill()
        client.finish()


# ------------------------------------------------------------------------ flexible versions (our raw client)
RAW_CLIENT = textwrap.dedent("""
    # RawClient (tests/apps/kafka_broker.py): the versions no real client here sends.
    import sys
    sys.path.insert(0, sys.argv[2])
    from kafka_broker import RawClient
    port = int(sys.argv[1])
    c = RawClient(port, client_id="obi-raw")
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "warm":
            c.produce(9, "warmup", [b"w"])
        elif line.strip() == "run":
            _, resp = c.metadata(12, ["flex"])
            tid = c.topic_ids(12, resp)["flex"]
            c.produce(9, "flex", [b"a", b"b"])          # offsets 0-1
            c.produce(13, "flex", [b"c"], topic_id=tid)  # offset 2
            c.produce(10, "flex", [b"d"], acks=0)        # offset 3, no response
            c.fetch(12, "flex", 0)
            c.fetch(13, "flex", 1, topic_id=tid)
            c.fetch(16, "flex", 3, topic_id=tid)
            c.fetch(13, "flex", 4, topic_id=tid, max_wait_ms=200)  # empty
        print("done", flush=True)
""")


def test_flexible_versions_and_topic_ids(agent_factory, broker, work_dir):
    path = os.path.join(work_dir, "kafka_raw_client.py")
    with open(path, "w") as f:
        f.write(RAW_CLIENT)
    raw = LineProc([launch.PYTHON, path, str(broker.port), os.path.dirname(BROKER)],
                   os.path.join(work_dir, "kafka-raw-client.err"))
    try:
        assert raw.read_line() == "ready"
        agent = agent_factory(env={"OTEL_EBPF_TARGET_PID": str(raw.pid)})

        def warm():
            raw.send("warm")
            assert raw.read_line() == "done"
        warm_up(agent, kafka_pred(raw.pid, "publish", "warmup"), warm)
        since = agent.mark()
        raw.send("run")
        assert raw.read_line() == "done"
    finally:
        raw.kill()
        raw.finish()
    publish = agent.wait_for_exact_spans(kafka_pred(raw.pid, "publish", "flex"), 3, since=since)
    for s in publish:
        check_span(s, "publish", "flex", "obi-raw", broker.port)
    process = agent.wait_for_exact_spans(kafka_pred(raw.pid, "process"), 3, since=since)
    # Fetch v12 from 0, v13 from 1 (its batch starts at 0), v16 from 3; the empty v13 fetch has no span
    assert [sattr(s, "messaging.kafka.offset") for s in process] == [0, 1, 3]
    for s in process:
        check_span(s, "process", "flex", "obi-raw", broker.port, offset=sattr(s, "messaging.kafka.offset"))


# ------------------------------------------------------------------------------------------- broker side
def test_broker_side_spans(agent_factory, broker, work_dir):
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(broker.port)})
    addr = "127.0.0.1:%d" % broker.port
    pred_pub = kafka_pred(broker.pid, "publish", "logging", span_type="KafkaServer")

    def warm():
        subprocess.run([KCAT, "-P", "-b", addr, "-t", "logging"], input=b"warm\n", check=True, timeout=20)
    warm_up(agent, pred_pub, warm)
    since = agent.mark()
    subprocess.run([KCAT, "-P", "-b", addr, "-t", "logging", "-X", "linger.ms=0"], input=b"s-1\n", check=True,
                   timeout=20)
    out = subprocess.run([KCAT, "-C", "-b", addr, "-t", "logging", "-o", "-1", "-c", "1", "-e", "-f", "%o %s\\n"],
                         check=True, timeout=20, capture_output=True, text=True).stdout.split()
    assert out[1] == "s-1"
    pub = agent.wait_for_exact_spans(pred_pub, 1, since=since)[0]
    check_span(pub, "publish", "logging", "rdkafka", broker.port, server=True)
    assert rattr(pub, "service.name").startswith("python3")
    proc = agent.wait_for_spans(kafka_pred(broker.pid, "process", "logging", span_type="KafkaServer"), 1,
                                since=since)
    check_span(proc[0], "process", "logging", "rdkafka", broker.port, offset=int(out[0]), server=True)


# ------------------------------------------------------------------------------------ the broker itself
@pytest.mark.noagent
def test_broker_answers_an_unsupported_api_versions_request_with_v0(broker):
    """KIP-511: a version the broker does not know gets a v0 response (header v0), error UNSUPPORTED_VERSION and
    the broker's ApiVersions range, so that the client can retry with one it supports."""
    c = RawClient(broker.port)
    try:
        _, resp = c.call(18, 4, b"\x07obi-raw\x041.0\x00")
        r = RawClient.body_reader(18, 0, resp)
        assert r.i16() == 35
        assert r.array(lambda r: (r.i16(), r.i16(), r.i16())) == [(18, 0, 3)]
        _, resp = c.api_versions(3)  # and the connection stays usable
        r = RawClient.body_reader(18, 3, resp)
        r.flex = True
        assert r.i16() == 0
        keys = {k: (lo, hi) for k, lo, hi, _ in r.array(lambda r: (r.i16(), r.i16(), r.i16(), r.tags()))}
        assert keys[0] == (0, 13) and keys[1] == (0, 16) and keys[18] == (0, 3)
    finally:
        c.close()
