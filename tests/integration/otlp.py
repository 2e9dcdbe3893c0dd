"""Real peers for the export tests: the Node OTLP receiver (tests/otlp_receiver) and a Prometheus 2.42 server.

Stdlib only (Debian's /usr/bin/python3). Used by conftest.py (fixtures `otlp_receiver`, `receiver_factory`,
`prometheus_factory`), the test_otlp_*.py / test_prometheus*.py / test_sampling.py modules and
bench/otlp_export.py.

  ensure_receiver_installed()      `npm ci` into tests/otlp_receiver when node_modules is missing or stale
  Receiver(out_dir, ...)           start/kill/restart the receiver; its records, spans, metric points, stats;
                                   set_fault(mode=..., signal=..., count=...) through its admin endpoint
  Prometheus(work_dir, targets)    a real Prometheus scraping every second; wait_target_up(), query(), value()
  otlp_env(receiver, protocol)     the agent's OTEL_* variables for one receiver
  Traffic                          a background client sending steady keep-alive traffic (bounded in time)
  rss_kib(pid), cpu_ticks(pid)     from /proc
The agent's expected names (metric names, internal metrics) are constants at the top of this file.
"""
import atexit
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import launch

RECEIVER_DIR = os.path.join(harness.REPO_DIR, "tests", "otlp_receiver")
RECEIVER_JS = os.path.join(RECEIVER_DIR, "receiver.js")
SDK_SEND_JS = os.path.join(RECEIVER_DIR, "sdk_send.js")
READY_RE = re.compile(r"^ready otlp-receiver grpc=([\d.]+):(\d+) http=([\d.]+):(\d+) pid=(\d+)", re.M)
NPM_LOCK = "/tmp/obi-otlp-receiver-npm.lock"
_LIVE = []  # receivers and Prometheus servers not yet stopped


@atexit.register
def _stop_leftovers():
    for p in list(_LIVE):
        try:
            p.stop(timeout=3)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass

# ----------------------------------------------------------------------------------------- contract knobs
# obi-compat.md section 4; OTLP metric names as the agent sends them (Prometheus names are derived in the tests).
HTTP_SERVER_DURATION = "http.server.request.duration"
HTTP_SERVER_DURATION_PROM = "http_server_request_duration_seconds"
DURATION_BUCKETS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
TRACES_SCOPE_NAME = "go.opentelemetry.io/obi"          # obi-compat 2.2: otel.library.name of traces
INTERNAL_METRICS_PATH = "/internal/metrics"
METRICS_PATH = "/metrics"
# A dropped span must be counted by some obi_* counter of the internal metrics whose name says "drop" and "span" or
# "trace" (the exact name is not in obi-compat.md; see the report), e.g. obi_otel_trace_dropped_spans_total.
DROPPED_SPANS_METRIC_RE = re.compile(r"^obi_\w*(?:(?:span|trace)\w*drop|drop\w*(?:span|trace))\w*$")
TRACE_EXPORT_ERRORS_METRIC = "obi_otel_trace_export_errors_total"   # obi-compat 4.8


# ------------------------------------------------------------------------------------------- npm install
def _lock_digest():
    with open(os.path.join(RECEIVER_DIR, "package-lock.json"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def ensure_receiver_installed(timeout=600):
    """`npm ci` (exactly the lock file, devDependencies included: the self-check sender needs them) into
    tests/otlp_receiver/node_modules when it is missing or was installed from another lock file. npm 11 warns that
    protobufjs' postinstall was not run; that is harmless (the generated classes ship in the package)."""
    marker = os.path.join(RECEIVER_DIR, "node_modules", ".obi-lock-sha256")
    want = _lock_digest()
    with open(NPM_LOCK, "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        try:
            with open(marker) as f:
                if f.read().strip() == want:
                    return
        except OSError:
            pass
        npm = shutil.which("npm")
        if not npm:
            raise AssertionError("npm is not installed (the OTLP receiver is a Node project: apt/nodesource node+npm)")
        out = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=RECEIVER_DIR,
                             capture_output=True, text=True, timeout=timeout, env=launch.clean_env())
        if out.returncode != 0:
            raise AssertionError("npm ci in %s failed (%d):\n%s\n%s" % (RECEIVER_DIR, out.returncode,
                                                                      out.stdout[-3000:], out.stderr[-3000:]))
        with open(marker, "w") as f:
            f.write(want + "\n")


# ----------------------------------------------------------------------------------------- record views
def plain(attrs):
    """{key: value} from the receiver's typed attributes {key: {type, value}} (arrays and kvlists unwrapped)."""
    def val(v):
        if v["type"] == "array":
            return [val(x) for x in v["value"]]
        if v["type"] == "kvlist":
            return {k: val(x) for k, x in v["value"].items()}
        return v["value"]
    return {k: val(v) for k, v in (attrs or {}).items()}


def types(attrs):
    """{key: type} ('string', 'int', 'double', 'bool', 'bytes', 'array', 'kvlist', 'empty')."""
    return {k: v["type"] for k, v in (attrs or {}).items()}


def flat_spans(records):
    """Every span of trace records, with its resource and scope: the span's own fields plus `attrs` (plain),
    `attr_types`, `resource` (plain), `resource_types`, `scope` and `record` (transport, encoding, headers, ...)."""
    out = []
    for rec in records:
        meta = {k: rec.get(k) for k in ("seq", "transport", "encoding", "compression", "path", "headers")}
        for rs in rec.get("resource_spans", []):
            res = rs["resource"]["attributes"]
            for ss in rs["scope_spans"]:
                for s in ss["spans"]:
                    view = dict(s)
                    view.update(attrs=plain(s["attributes"]), attr_types=types(s["attributes"]),
                                resource=plain(res), resource_types=types(res), scope=ss["scope"], record=meta)
                    out.append(view)
    return out


def metric_points(records, name=None):
    """(resource plain attrs, metric dict without data_points, point with `attrs` plain) for every data point
    of the metric `name` (all metrics when None), in export order."""
    out = []
    for rec in records:
        for rm in rec.get("resource_metrics", []):
            res = plain(rm["resource"]["attributes"])
            for sm in rm["scope_metrics"]:
                for m in sm["metrics"]:
                    if name is not None and m["name"] != name:
                        continue
                    meta = {k: v for k, v in m.items() if k != "data_points"}
                    meta["scope"] = sm["scope"]
                    for p in m["data_points"]:
                        q = dict(p)
                        q["attrs"] = plain(p["attributes"])
                        q["attr_types"] = types(p["attributes"])
                        out.append((res, meta, q))
    return out


def metric_names(records):
    return sorted({m["name"] for _, m, _ in metric_points(records)})


def _matches(attrs, want):
    return all(attrs.get(k) == v for k, v in (want or {}).items())


def total(records, name, attrs=None, resource=None, field="count"):
    """What a backend would show as the total of `field` ('count' for histograms, 'value' for sums) over the
    series of `name` whose point attributes include `attrs` (and resource attributes include `resource`).
    DELTA points are added up; for CUMULATIVE series the latest point of each series counts."""
    latest = {}
    acc = 0
    for res, meta, p in metric_points(records, name):
        if not _matches(p["attrs"], attrs) or not _matches(res, resource):
            continue
        v = p.get(field, 0)
        v = float(v) if isinstance(v, str) else v
        if meta.get("aggregation_temporality") == "AGGREGATION_TEMPORALITY_DELTA":
            acc += v
        else:
            key = (json.dumps(res, sort_keys=True), json.dumps(p["attrs"], sort_keys=True))
            prev = latest.get(key)
            if prev is None or int(p["time_unix_nano"]) >= prev[0]:
                latest[key] = (int(p["time_unix_nano"]), v)
    return acc + sum(v for _, v in latest.values())


# ----------------------------------------------------------------------------------------------- receiver
class Receiver:
    """One receiver process (node receiver.js). Ports 0 = any free port; restart() reuses the ports it got."""

    def __init__(self, out_dir, grpc_port=0, http_port=0, faults=(), routes=None, name="otlp-receiver"):
        self.out_dir, self.name = out_dir, name
        self.grpc_port, self.http_port = grpc_port, http_port
        self.faults, self.routes = list(faults), dict(routes or {})
        os.makedirs(out_dir, exist_ok=True)
        self.stdout_path = os.path.join(out_dir, name + ".stdout")
        self.stderr_path = os.path.join(out_dir, name + ".stderr")
        self.proc = None
        self._cache = {}  # signal -> [offset, partial bytes, records]

    # -- lifecycle
    def start(self, timeout=20.0):
        ensure_receiver_installed()
        node = shutil.which("node")
        if not node:
            raise AssertionError("node is not installed")
        argv = [node, RECEIVER_JS, "--out-dir", self.out_dir, "--grpc-port", str(self.grpc_port),
                "--http-port", str(self.http_port)]
        for f in self.faults:
            argv += ["--fault", ",".join("%s=%s" % kv for kv in f.items())]
        for path, sig in self.routes.items():
            argv += ["--route", "%s=%s" % (path, sig)]
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            start_at = out.tell()
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=RECEIVER_DIR,
                                         env=launch.clean_env(), start_new_session=True)
        _LIVE.append(self)  # stopped at interpreter exit if a test forgets it
        deadline = time.monotonic() + timeout
        while True:
            with open(self.stdout_path, "rb") as f:
                f.seek(start_at)
                m = READY_RE.search(f.read().decode("utf-8", "replace"))
            if m:
                self.grpc_port, self.http_port = int(m.group(2)), int(m.group(4))
                return self
            if self.proc.poll() is not None:
                raise AssertionError("OTLP receiver exited with %s before it was ready:\n%s" % (
                    self.proc.returncode, self.logs()))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("OTLP receiver not ready within %.0fs:\n%s" % (timeout, self.logs()))
            time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL (a crashed collector): connections are reset, nothing is flushed."""
        if self.running():
            self.proc.kill()
            self.proc.wait(10)
        self._forget()

    def stop(self, timeout=5.0):
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._forget()

    def _forget(self):
        if self in _LIVE:
            _LIVE.remove(self)

    def restart(self, timeout=20.0):
        """Starts again on the same ports, appending to the same files."""
        self.stop()
        return self.start(timeout)

    def logs(self, limit=3000):
        parts = []
        for p in (self.stdout_path, self.stderr_path):
            try:
                with open(p, "rb") as f:
                    parts.append("--- %s ---\n%s" % (p, f.read()[-limit:].decode("utf-8", "replace")))
            except OSError:
                pass
        return "\n".join(parts)

    # -- endpoints
    @property
    def grpc_endpoint(self):
        return "http://127.0.0.1:%d" % self.grpc_port

    @property
    def http_endpoint(self):
        return "http://127.0.0.1:%d" % self.http_port

    def endpoint(self, protocol):
        return self.grpc_endpoint if protocol == "grpc" else self.http_endpoint

    # -- admin
    def _admin(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise AssertionError("receiver %s %s: %d %s" % (method, path, resp.status, data[:500]))
            return json.loads(data)
        finally:
            conn.close()

    def stats(self):
        return self._admin("GET", "/admin/stats")

    def set_fault(self, mode, signal="all", count=None, **kw):
        """mode: ok, unavailable (gRPC UNAVAILABLE / HTTP 503), throttle (RESOURCE_EXHAUSTED + RetryInfo / 429),
        bad_request (INVALID_ARGUMENT / 400), partial (success with rejected=N, message=...), delay (delay_ms),
        hang (never answered), drop (answered OK, counted, not written). count: the next N requests only."""
        spec = dict(kw, mode=mode, signal=signal)
        if count is not None:
            spec["count"] = count
        return self._admin("POST", "/admin/fault", spec)

    def clear_fault(self):
        return self._admin("POST", "/admin/fault", {"mode": "ok", "signal": "all"})

    def reset_stats(self):
        return self._admin("POST", "/admin/reset", {})

    # -- records
    def _read(self, name):
        path = os.path.join(self.out_dir, name + ".jsonl")
        ent = self._cache.setdefault(name, [0, b"", []])
        try:
            with open(path, "rb") as f:
                f.seek(ent[0])
                data = f.read()
        except FileNotFoundError:
            return ent[2]
        ent[0] += len(data)
        lines = (ent[1] + data).split(b"\n")
        ent[1] = lines.pop()
        ent[2].extend(json.loads(line) for line in lines if line.strip())
        return ent[2]

    def records(self, signal):
        """Decoded exports of `signal` ('traces' or 'metrics') so far, oldest first."""
        return list(self._read(signal))

    def requests(self):
        """One entry per request received (also refused and undecodable ones): seq, signal, transport, encoding,
        compression, path, headers, items, outcome, warnings."""
        return list(self._read("requests"))

    def mark(self, signal="traces"):
        return len(self._read(signal))

    def spans(self, since=0):
        return flat_spans(self._read("traces")[since:])

    def wait_for(self, fn, timeout=20.0, interval=0.2, describe="condition"):
        """Polls fn() until it returns a truthy value; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if v:
                return v
            if time.monotonic() >= deadline:
                raise AssertionError("timed out after %.0fs waiting for %s\nreceiver: %s\n%s" % (
                    timeout, describe, self.summary(), self.logs(1500)))
            time.sleep(interval)

    def wait_for_spans(self, pred, count=1, timeout=20.0, since=0, describe="spans"):
        def found():
            got = [s for s in self.spans(since) if pred(s)]
            return got if len(got) >= count else None
        return self.wait_for(found, timeout, describe="%d %s" % (count, describe))

    def summary(self):
        try:
            st = self.stats()
            st = {k: st[k] for k in ("traces", "metrics", "unknown_paths") if k in st}
        except Exception as e:  # noqa: BLE001 (the receiver may be down on purpose)
            st = "stats unavailable: %s" % e
        return "%s running=%s ports grpc=%s http=%s stats=%s" % (self.name, self.running(), self.grpc_port,
                                                                  self.http_port, st)


# --------------------------------------------------------------------------------------------- agent env
def otlp_env(receiver, protocol="grpc", traces=True, metrics=True, interval="1s", batch_timeout="200ms",
             features=None, extra=None):
    """The agent's environment to export to `receiver` with `protocol` (grpc, http/protobuf, http/json).
    Both signals use the common endpoint; with only one signal, that signal's own endpoint is used."""
    ep = receiver.endpoint(protocol)
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_EBPF_METRICS_INTERVAL": interval,
           "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": batch_timeout}
    if traces and metrics:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = ep
    elif traces:
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = ep if protocol == "grpc" else ep + "/v1/traces"
    elif metrics:
        env["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = ep if protocol == "grpc" else ep + "/v1/metrics"
    if features:
        env["OTEL_EBPF_METRICS_FEATURES"] = features
    env.update(extra or {})
    return env


def server_span_pred(port, path=None, path_prefix=None):
    """OTLP spans of HTTP server `port` (optionally with an exact url.path or a url.path prefix)."""
    def pred(s):
        a = s["attrs"]
        return (s["kind"] == "SPAN_KIND_SERVER" and a.get("server.port") == port
                and (path is None or a.get("url.path") == path)
                and (path_prefix is None or str(a.get("url.path", "")).startswith(path_prefix)))
    return pred


def warm_up_metrics(receiver, port, timeout=30.0):
    """Sends GET /hello?obi_warmup=1 to `port` until the receiver has an http.server.request.duration point for it
    (for agents whose spans are not printed, e.g. with the always_off sampler)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            harness.http_request(port, "/hello?obi_warmup=1", timeout=5)
        except OSError:
            pass
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if total(receiver.records("metrics"), HTTP_SERVER_DURATION, {"server.port": port}) > 0:
                return
            time.sleep(0.1)
        if time.monotonic() > deadline:
            raise AssertionError("no %s point for port %d within %.0fs of warm-up traffic\n%s" % (
                HTTP_SERVER_DURATION, port, timeout, receiver.summary()))


def start_agent(agent_factory, app, receiver, protocol="grpc", extra=None, warm_up=True, **kw):
    """An agent selecting `app` by port, exporting to `receiver` (otlp_env), with the JSON printer on; warmed up
    (a span for the port was printed) unless warm_up=False."""
    env = otlp_env(receiver, protocol, extra=extra, **kw)
    env["OTEL_EBPF_OPEN_PORT"] = str(app.port)
    env.setdefault("OTEL_EBPF_TRACE_PRINTER", "json")
    agent = agent_factory(env=env)
    if warm_up:
        agent.warm_up(app.port)
    return agent


def wait_total(receiver, name, attrs, want, timeout=30.0, settle=3.0, field="count"):
    """Waits until the receiver's total of metric `name` for `attrs` reaches `want`, then `settle` s more (three
    export intervals), and returns the final total (the caller asserts it is exactly `want`)."""
    receiver.wait_for(lambda: total(receiver.records("metrics"), name, attrs, field=field) >= want, timeout,
                      describe="%s %s total >= %s" % (name, attrs, want))
    time.sleep(settle)
    return total(receiver.records("metrics"), name, attrs, field=field)



# ---------------------------------------------------------------------------------------------- traffic
def send_requests(port, paths, headers=None, host="127.0.0.1"):
    """Sends GET `paths` over one keep-alive connection (reconnecting if the server closes it); returns the
    list of statuses."""
    statuses = []
    conn = None
    try:
        for p in paths:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=30)
            hdrs = headers(p) if callable(headers) else (headers or {})
            conn.request("GET", p, headers=hdrs)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
            if resp.will_close:
                conn.close()
                conn = None
    finally:
        if conn is not None:
            conn.close()
    return statuses


class Traffic:
    """A background thread sending `rate` GET requests per second to `port` (paths from path_fn(i)) over
    keep-alive connections, for at most `max_seconds`. .sent, .errors, .stop()."""

    def __init__(self, port, rate=100, path_fn=None, max_seconds=120):
        self.port, self.rate, self.max_seconds = port, rate, max_seconds
        self.path_fn = path_fn or (lambda i: "/users/%d" % i)
        self.sent = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic-%d" % port, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        t0 = time.monotonic()
        conn = None
        i = 0
        while not self._stop.is_set() and time.monotonic() - t0 < self.max_seconds:
            due = t0 + i / float(self.rate)
            now = time.monotonic()
            if due > now:
                time.sleep(min(due - now, 0.1))
                continue
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", self.path_fn(i))
                resp = conn.getresponse()
                resp.read()
                self.sent += 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                self.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
            i += 1
        if conn is not None:
            conn.close()

    def stop(self):
        self._stop.set()
        self._thread.join(15)


# ------------------------------------------------------------------------------------------------- /proc
def rss_kib(pid):
    """VmRSS of `pid` in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def cpu_ticks(pid):
    """utime + stime of `pid` (all threads) in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------- HTTP scraping
def http_get(port, path, timeout=10, host="127.0.0.1"):
    """(status, body text, headers) of one GET."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace"), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """[(name, {label: value}, float value)] of a Prometheus text exposition (comments skipped)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line.strip())
        if not m:
            raise AssertionError("unparsable exposition line: %r" % line)
        labels = {k: bytes(v, "utf-8").decode("unicode_escape") for k, v in _LABEL_RE.findall(m.group(3) or "")}
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def promtool_check_metrics(text):
    """(exit code, combined output) of `promtool check metrics` on `text`."""
    promtool = shutil.which("promtool")
    if not promtool:
        raise AssertionError("promtool is not installed (apt-get install prometheus)")
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    return out.returncode, (out.stdout + out.stderr).strip()


# -------------------------------------------------------------------------------------------- Prometheus
class Prometheus:
    """A real Prometheus server scraping `targets` every `interval`.

    targets: [{"job": name, "port": p, "path": "/metrics", "honor_labels": True}]. honor_labels keeps the
    agent's own `job`/`instance` labels (OBI sets them) instead of renaming them exported_job/exported_instance.
    """

    def __init__(self, work_dir, targets, interval="1s", name="prometheus"):
        self.work_dir = os.path.join(work_dir, name)
        os.makedirs(self.work_dir, exist_ok=True)
        self.targets = targets
        self.interval = interval
        self.port = None
        self.proc = None
        self.config_path = os.path.join(self.work_dir, "prometheus.yml")
        self.log_path = os.path.join(self.work_dir, "prometheus.log")

    def _config(self):
        jobs = []
        for t in self.targets:
            jobs.append({"job_name": t["job"], "metrics_path": t.get("path", METRICS_PATH),
                         "honor_labels": t.get("honor_labels", True), "scrape_interval": self.interval,
                         "scrape_timeout": self.interval,
                         "static_configs": [{"targets": ["127.0.0.1:%d" % t["port"]]}]})
        # JSON is YAML
        return json.dumps({"global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
                           "scrape_configs": jobs}, indent=2)

    def start(self, timeout=30.0):
        binary = shutil.which("prometheus")
        if not binary:
            raise AssertionError("prometheus is not installed (apt-get install prometheus)")
        with open(self.config_path, "w") as f:
            f.write(self._config())
        self.port = launch.free_port()
        data = os.path.join(self.work_dir, "data-%d" % self.port)
        argv = [binary, "--config.file=%s" % self.config_path, "--storage.tsdb.path=%s" % data,
                "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         cwd=self.work_dir, env=launch.clean_env(), start_new_session=True)
        _LIVE.append(self)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._get("/-/ready")[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited with %s:\n%s" % (self.proc.returncode, self.logs()))
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("prometheus not ready within %.0fs:\n%s" % (timeout, self.logs()))
            time.sleep(0.1)

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self in _LIVE:
            _LIVE.remove(self)

    def logs(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _get(self, path, params=None):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def targets_health(self):
        """{job: (health, lastError)} of the active targets."""
        status, body = self._get("/api/v1/targets")
        if status != 200:
            raise AssertionError("prometheus /api/v1/targets: %d %s" % (status, body[:500]))
        return {t["labels"].get("job", t.get("scrapePool")): (t["health"], t.get("lastError", ""))
                for t in json.loads(body)["data"]["activeTargets"]}

    def wait_target_up(self, job=None, timeout=30.0):
        """Until the target of `job` (every target when None) has health "up"."""
        deadline = time.monotonic() + timeout
        while True:
            h = self.targets_health()
            jobs = [job] if job else [t["job"] for t in self.targets]
            if all(h.get(j, ("unknown", ""))[0] == "up" for j in jobs):
                return h
            if time.monotonic() > deadline:
                raise AssertionError("prometheus targets not up within %.0fs: %s\n%s" % (timeout, h, self.logs()))
            time.sleep(0.25)

    def query(self, expr):
        """Result list of an instant query ([{metric: {...}, value: [ts, "v"]}] for a vector)."""
        status, body = self._get("/api/v1/query", {"query": expr})
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise AssertionError("PromQL %r failed: %d %s" % (expr, status, body[:500]))
        data = doc["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def value(self, expr):
        """The single value of `expr` (None when the result is empty)."""
        res = self.query(expr)
        if not res:
            return None
        assert len(res) == 1, "PromQL %r returned %d series: %s" % (expr, len(res), res[:5])
        return float(res[0]["value"][1])

    def wait_for_value(self, expr, want, timeout=30.0, settle=3.0):
        """Until `expr` == want; then waits `settle` s (a few scrapes) and checks it stayed there."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.value(expr)
            if v == want:
                break
            if time.monotonic() > deadline:
                raise AssertionError("PromQL %r = %r after %.0fs, want %r; targets %s" % (
                    expr, v, timeout, want, self.targets_health()))
            time.sleep(0.5)
        time.sleep(settle)
        v = self.value(expr)
        assert v == want, "PromQL %r moved from %r to %r" % (expr, want, v)
        return v


# ------------------------------------------------------------------------------------------------ helpers
def run_agent_once(env, timeout=10.0, args=()):
    """Runs the agent to completion (for configurations it must reject); returns (rc, stdout, stderr, seconds)."""
    if not os.path.exists(harness.AGENT_BIN):
        raise AssertionError("agent binary %s not found (set OBI_AGENT_BIN)" % harness.AGENT_BIN)
    t0 = time.monotonic()
    proc = subprocess.Popen([harness.AGENT_BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=launch.clean_env(env), text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("agent still running after %.0fs (it accepted the configuration)\nstdout: %s\n"
                             "stderr: %s" % (timeout, out[-2000:], err[-2000:])) from None
    return proc.returncode, out, err, time.monotonic() - t0


def run_sdk_sender(protocol, endpoint, signal="both", compression="none", headers=None, temporality="cumulative",
                   exponential=False, timeout=60):
    """Runs sdk_send.js (the OTel JS SDK's own exporters); returns its JSON report."""
    ensure_receiver_installed()
    argv = [shutil.which("node") or "node", SDK_SEND_JS, "--protocol", protocol, "--endpoint", endpoint,
            "--signal", signal, "--compression", compression, "--temporality", temporality]
    for k, v in (headers or {}).items():
        argv += ["--header", "%s=%s" % (k, v)]
    if exponential:
        argv.append("--exponential")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=RECEIVER_DIR,
                         env=launch.clean_env())
    if out.returncode != 0:
        raise AssertionError("sdk_send.js failed (%d): %s" % (out.returncode, out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ fixtures
# Imported into conftest.py.
import pytest  # noqa: E402


@pytest.fixture
def receiver_factory(work_dir, request):
    """receiver_factory(grpc_port=0, http_port=0, faults=(), routes=None) -> started Receiver, stopped at the end
    of the test. Records go to <work_dir>/otlp/<test>-<n>/."""
    started = []
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)[-70:]

    def start(grpc_port=0, http_port=0, faults=(), routes=None):
        out_dir = os.path.join(work_dir, "otlp", "%s-%d" % (safe, len(started) + 1))
        r = Receiver(out_dir, grpc_port, http_port, faults, routes)
        started.append(r)
        return r.start()

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def otlp_receiver(receiver_factory):
    """One started receiver for the test."""
    return receiver_factory()


@pytest.fixture
def prometheus_factory(work_dir, request):
    """prometheus_factory(targets, interval="1s") -> started Prometheus, stopped at the end of the test.
    targets: [{"job", "port", "path"="/metrics", "honor_labels"=True}]."""
    started = []
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)[-70:]

    def start(targets, interval="1s"):
        p = Prometheus(os.path.join(work_dir, "prometheus"), targets, interval,
                       name="%s-%d" % (safe, len(started) + 1))
        started.append(p)
        return p.start()

    yield start
    for p in started:
        p.stop()
