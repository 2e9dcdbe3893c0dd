"""Integration-test harness for ebpf-instrument: run the agent, read its JSON spans, check BPF cleanup.

Stdlib only (runs under Debian's /usr/bin/python3). Used by conftest.py and bench/http_nginx.py.
Everything the agent is expected to print is a constant at the top of this file, so a change in the
agent's wording is a one-line change here.
"""
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_DIR, "tests", "apps"))
import launch  # noqa: E402  (tests/apps/launch.py)

# ----------------------------------------------------------------------------------------- contract knobs
AGENT_BIN = os.path.abspath(os.environ.get("OBI_AGENT_BIN") or os.path.join(REPO_DIR, "build", "ebpf-instrument"))
# The agent logs this on stderr once its probes are attached (case-insensitive).
READY_PATTERN = re.compile(r"\bready: instrumenting \d+ process")
READY_TIMEOUT_S = 30.0
# Also accepted as ready: the agent has been up this long without printing READY_PATTERN (None = pattern only).
READY_FALLBACK_UPTIME_S = 2.0
# The agent reports the active probe backend on stderr with this line.
BACKEND_PATTERN = "probe backend: {backend}"
PROBE_BACKENDS = ("sock_tracepoints", "syscall_tracepoints")
# `--check` prints a report matching this.
CHECK_PATTERN = re.compile(r"probe backend", re.IGNORECASE)


def config_args(path):
    """How the agent is given a config file."""
    return ["--config=%s" % path]


STOP_TIMEOUT_S = 10.0          # SIGINT -> exit
BPF_CLEANUP_TIMEOUT_S = 3.0    # programs/links may outlive the process for a moment (RCU)
OUR_BPF_PREFIX = "obi_"        # every BPF program of ours is named obi_*
SETTLE_S = 1.5                 # > the agent's 1 s batch timeout: time to wait before asserting "no more spans"

# OBI's JSON trace-printer fields that are always strings.
OBI_STRING_FIELDS = ("type", "peer", "peerPort", "host", "hostPort", "traceID", "spanID", "parentSpanID", "flags",
                     "peerName", "hostName", "kind", "start", "handlerStart", "end", "duration", "durationUSec",
                     "handlerDuration", "handlerDurationUSec")
ZERO_SPAN_ID = ("", "0" * 16)


# ----------------------------------------------------------------------------------------------- spans
class SpanReader:
    """Tails a file of trace-printer output and parses it incrementally.

    The `json` printer writes one JSON array of span objects per line. A partially written last line is
    kept until its newline arrives. Multi-line arrays (`json_indent`) are accumulated until they parse.
    Anything else (log lines, counter output) goes to `other_lines`.
    """

    MAX_PENDING = 16 << 20

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.pending = []  # lines of a multi-line JSON document being accumulated
        self.spans = []
        self.other_lines = []
        self.bad_lines = []  # lines that looked like JSON but never parsed

    def feed(self, data):
        """Parses `data` (bytes) appended to the stream; returns the number of new spans."""
        before = len(self.spans)
        buf = self.partial + data
        lines = buf.split(b"\n")
        self.partial = lines.pop()  # no newline yet: maybe still being written
        for raw in lines:
            self._line(raw.decode("utf-8", "replace"))
        return len(self.spans) - before

    def _line(self, line):
        stripped = line.strip()
        if self.pending:
            if stripped[:1] in ("[", "{") and line[:1] in ("[", "{"):
                # a new document starts at column 0 while the previous one never parsed: it was broken
                self.bad_lines.append("\n".join(self.pending)[:2000])
                self.pending = []
            else:
                self.pending.append(line)
                doc = "\n".join(self.pending)
                if self._try(doc):
                    self.pending = []
                elif len(doc) > self.MAX_PENDING:
                    self.bad_lines.append(doc[:2000])
                    self.pending = []
                return
        if not stripped:
            return
        if stripped[0] in "[{":
            if not self._try(stripped):
                self.pending = [line]
            return
        self.other_lines.append(line)

    def _try(self, text):
        try:
            doc = json.loads(text)
        except ValueError:
            return False
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if isinstance(item, dict):
                self.spans.append(item)
            else:
                self.bad_lines.append(json.dumps(item)[:2000])
        return True

    def poll(self):
        """Reads what was appended to the file since the last call; returns the number of new spans."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return 0
        self.offset += len(data)
        return self.feed(data) if data else 0

    def mark(self):
        """Index to pass as `since` so later waits only look at spans printed from now on."""
        self.poll()
        return len(self.spans)

    def matching(self, predicate, since=0):
        self.poll()
        return [s for s in self.spans[since:] if predicate(s)]

    def wait_for_spans(self, predicate, count=1, timeout=10.0, since=0, describe=None):
        """Waits until at least `count` spans after index `since` satisfy `predicate`; returns them
        (all matches, possibly more than `count`). Fails with a summary of what was seen on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate, since)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError("timed out after %.1fs waiting for %d span(s)%s; %d matched. %s"
                                     % (timeout, count, " (%s)" % describe if describe else "", len(found),
                                        self.summary(since)))
            time.sleep(0.05)

    def wait_for_exact_spans(self, predicate, count, timeout=10.0, since=0, settle=SETTLE_S, describe=None):
        """Like wait_for_spans, then waits `settle` seconds more and asserts exactly `count` matched."""
        self.wait_for_spans(predicate, count, timeout, since, describe)
        time.sleep(settle)
        found = self.matching(predicate, since)
        assert len(found) == count, "expected exactly %d span(s)%s, got %d: %s" % (
            count, " (%s)" % describe if describe else "", len(found), [brief(s) for s in found[:20]])
        return found

    def summary(self, since=0, limit=15):
        self.poll()
        recent = self.spans[since:]
        lines = ["%d span(s) printed since the mark (%d in total)" % (len(recent), len(self.spans))]
        lines += ["  " + brief(s) for s in recent[-limit:]]
        if self.other_lines:
            lines.append("non-JSON stdout lines: %d, last: %r" % (len(self.other_lines), self.other_lines[-3:]))
        if self.bad_lines or self.pending or self.partial:
            lines.append("unparsed: %d bad, %d pending lines, partial=%r" % (len(self.bad_lines), len(self.pending),
                                                                           self.partial[:200]))
        return "\n".join(lines)


def parse_span_stream(text):
    """All spans in a complete trace-printer output (str or bytes)."""
    r = SpanReader(os.devnull)
    r.feed((text.encode() if isinstance(text, str) else text) + b"\n")
    return r.spans


def brief(span):
    """One-line description of a span for failure messages."""
    a = span.get("spanAttributes") or {}
    attrs = span.get("attributes") or {}
    return "%s %r kind=%s status=%s path=%s %s:%s->%s:%s trace=%s span=%s parent=%s svc=%s" % (
        span.get("type"), span.get("name"), span.get("kind"),
        a.get("http.response.status_code", attrs.get("status")), a.get("url.path", attrs.get("url")),
        span.get("peer"), span.get("peerPort"), span.get("host"), span.get("hostPort"), span.get("traceID"),
        span.get("spanID"), span.get("parentSpanID"), (span.get("resource") or {}).get("service.name"))


def sattr(span, key, default=None):
    """An OTel span attribute (spanAttributes)."""
    return (span.get("spanAttributes") or {}).get(key, default)


def rattr(span, key, default=None):
    """An OTel resource attribute."""
    return (span.get("resource") or {}).get(key, default)


def span_pid(span):
    """The PID from resource service.instance.id (<host>:<pid>), or None."""
    iid = rattr(span, "service.instance.id") or ""
    tail = iid.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def server_span_pred(port, peer_port=None, path=None):
    """HTTP server spans of the server on `port` (optionally of one client connection and/or url.path)."""
    def pred(s):
        return (s.get("type") == "HTTP" and str(s.get("hostPort")) == str(port)
                and (peer_port is None or str(s.get("peerPort")) == str(peer_port))
                and (path is None or sattr(s, "url.path") == path))
    return pred


def client_span_pred(url_full=None, trace_id=None, url_prefix=None):
    """HTTP client spans, by exact url.full, url.full prefix and/or trace id."""
    def pred(s):
        return (s.get("type") == "HTTPClient"
                and (url_full is None or sattr(s, "url.full") == url_full)
                and (url_prefix is None or str(sattr(s, "url.full", "")).startswith(url_prefix))
                and (trace_id is None or s.get("traceID") == trace_id))
    return pred


def new_trace_ids():
    """(trace id, parent span id) as lowercase hex for a W3C traceparent."""
    return secrets.token_hex(16), secrets.token_hex(8)


# ------------------------------------------------------------------------------------------ HTTP client
class Response:
    """status, body (bytes), headers (lower-case names), local_port."""

    def __init__(self, status, body, headers, local_port):
        self.status, self.body, self.headers, self.local_port = status, body, headers, local_port


def http_request(port, path, method="GET", headers=None, body=None, host="127.0.0.1", timeout=30):
    """One request on a fresh connection; returns a Response carrying the client's local port."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        local_port = conn.sock.getsockname()[1]
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, data, {k.lower(): v for k, v in resp.getheaders()}, local_port)
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------- BPF
def _bpftool_json(*args):
    try:
        out = subprocess.run(["bpftool", "--json", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise AssertionError("bpftool is not installed (apt-get install bpftool)") from None
    if out.returncode != 0:
        raise AssertionError("bpftool %s failed: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout or "[]")


def bpf_ids_held_by_processes(exclude_pid=None):
    """{'progs': ids, 'links': ids} of BPF programs and links that live processes hold open (from
    /proc/*/fdinfo), so another agent running on the host is not mistaken for a leak of ours."""
    held = {"progs": set(), "links": set()}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == exclude_pid:
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                if not target.startswith(("anon_inode:bpf-prog", "anon_inode:bpf_link")):
                    continue
                with open("/proc/%s/fdinfo/%s" % (pid, fd)) as f:
                    for line in f:
                        key, _, val = line.partition(":")
                        if key == "prog_id":
                            held["progs"].add(int(val))
                        elif key == "link_id":
                            held["links"].add(int(val))
            except (OSError, ValueError):
                continue
    return held


def our_bpf_objects():
    """{'progs': {id: name}, 'links': {id: prog name}}: programs named obi_* and links to them."""
    progs_all = {p["id"]: p.get("name", "") for p in _bpftool_json("prog", "show")}
    progs = {i: n for i, n in progs_all.items() if n.startswith(OUR_BPF_PREFIX)}
    links = {}
    for link in _bpftool_json("link", "show"):
        name = progs_all.get(link.get("prog_id"), "")
        if name.startswith(OUR_BPF_PREFIX) or str(link.get("name", "")).startswith(OUR_BPF_PREFIX):
            links[link["id"]] = name or link.get("name")
    return {"progs": progs, "links": links}


def assert_no_new_bpf_objects(before, timeout=BPF_CLEANUP_TIMEOUT_S):
    """Fails if obi_* programs or links that were not in `before` are still loaded after `timeout`, unless
    another live process holds them open (another agent on the host)."""
    deadline = time.monotonic() + timeout
    while True:
        now = our_bpf_objects()
        left = {k: {i: n for i, n in now[k].items() if i not in before[k]} for k in now}
        if left["progs"] or left["links"]:
            held = bpf_ids_held_by_processes()
            left = {k: {i: n for i, n in left[k].items() if i not in held[k]} for k in left}
        if not left["progs"] and not left["links"]:
            return
        if time.monotonic() >= deadline:
            raise AssertionError("BPF objects of ours still loaded after the agent exited: %s" % left)
        time.sleep(0.1)


# ----------------------------------------------------------------------------------------------- agent
ACTIVE_AGENTS = []  # started and not yet stopped (for failure reports)


class Agent:
    """One ebpf-instrument process with stdout/stderr in files.

    env: extra environment (the caller's OTEL_* variables are dropped first). config: YAML text or a dict
    (written as JSON, which is valid YAML). The spans printed on stdout are read through `self.spans`.
    """

    def __init__(self, work_dir, env=None, config=None, args=(), name="agent", binary=None):
        self.binary = binary or AGENT_BIN
        os.makedirs(work_dir, exist_ok=True)
        self.work_dir, self.name = work_dir, name
        self.stdout_path = os.path.join(work_dir, name + ".stdout")
        self.stderr_path = os.path.join(work_dir, name + ".stderr")
        self.argv = [self.binary, *args]
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(work_dir, name + ".yaml")
            with open(self.config_path, "w") as f:
                f.write(config if isinstance(config, str) else json.dumps(config, indent=2))
            self.argv += config_args(self.config_path)
        self.extra_env = dict(env or {})
        self.env = launch.clean_env(self.extra_env)
        self.spans = SpanReader(self.stdout_path)
        self.proc = None
        self.returncode = None
        self.bpf_before = None
        self._warm = set()

    # -- lifecycle
    def start(self, wait_ready=True):
        if not os.path.exists(self.binary):
            raise AssertionError("agent binary %s not found: build it (cmake --build build) or set OBI_AGENT_BIN"
                                 % self.binary)
        self.bpf_before = our_bpf_objects()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env,
                                         cwd=self.work_dir, start_new_session=True)
        self.started_at = time.monotonic()
        ACTIVE_AGENTS.append(self)
        if wait_ready:
            self.wait_ready()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def uptime(self):
        return time.monotonic() - self.started_at

    def wait_ready(self, timeout=READY_TIMEOUT_S):
        """Until READY_PATTERN is on stderr (or the agent has been up READY_FALLBACK_UPTIME_S)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("agent exited with %s before it was ready\n%s" % (self.proc.returncode,
                                                                                       self.logs()))
            if READY_PATTERN.search(self.stderr()):
                return self
            if READY_FALLBACK_UPTIME_S is not None and self.uptime() >= READY_FALLBACK_UPTIME_S:
                return self
            if time.monotonic() >= deadline:
                raise AssertionError("agent not ready after %.0fs (no %r on stderr)\n%s" % (
                    timeout, READY_PATTERN.pattern, self.logs()))
            time.sleep(0.05)

    def stop(self, expect_rc=0, check_bpf=True):
        """SIGINT, wait up to STOP_TIMEOUT_S, assert the exit code, then assert no BPF objects of ours remain."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        if self in ACTIVE_AGENTS:
            ACTIVE_AGENTS.remove(self)
        hung = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                hung = True
                self.proc.kill()
                self.proc.wait(10)
        self.returncode = self.proc.returncode
        self.spans.poll()
        if hung:
            raise AssertionError("agent did not exit within %.0fs of SIGINT (killed)\n%s" % (STOP_TIMEOUT_S,
                                                                                               self.logs()))
        if expect_rc is not None:
            assert self.returncode == expect_rc, "agent exit code %s, expected %s\n%s" % (
                self.returncode, expect_rc, self.logs())
        if check_bpf:
            assert_no_new_bpf_objects(self.bpf_before)
        return self.returncode

    def kill(self):
        """Last-resort cleanup without assertions (SIGINT, then SIGKILL)."""
        if self in ACTIVE_AGENTS:
            ACTIVE_AGENTS.remove(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None:
            self.returncode = self.proc.returncode

    # -- output
    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def logs(self, limit=6000):
        err = self.stderr()
        return "agent %s (argv %s, env %s)\n--- stderr %s (last %d of %d chars) ---\n%s\n--- stdout %s ---\n%s" % (
            self.name, self.argv, self.extra_env, self.stderr_path, min(limit, len(err)), len(err), err[-limit:],
            self.stdout_path, self.spans.summary())

    # -- spans
    def mark(self):
        return self.spans.mark()

    def wait_for_spans(self, predicate, count=1, timeout=10.0, since=0, describe=None):
        return self.spans.wait_for_spans(predicate, count, timeout, since, describe)

    def wait_for_exact_spans(self, predicate, count, timeout=10.0, since=0, settle=SETTLE_S, describe=None):
        return self.spans.wait_for_exact_spans(predicate, count, timeout, since, settle, describe)

    def warm_up(self, port, path="/hello?obi_warmup=1", timeout=30.0, interval=0.3):
        """Sends requests to `port` until a server span for that port is printed, so that a test's first
        request is not lost while the agent is still discovering or attaching. Done once per port."""
        if port in self._warm:
            return
        since = self.mark()
        deadline = time.monotonic() + timeout
        pred = server_span_pred(port)
        while True:
            try:
                http_request(port, path, timeout=5)
            except OSError:
                pass
            end = time.monotonic() + interval
            while time.monotonic() < end:
                if self.spans.matching(pred, since):
                    self._warm.add(port)
                    return
                time.sleep(0.05)
            if self.proc.poll() is not None:
                raise AssertionError("agent exited with %s during warm-up\n%s" % (self.proc.returncode, self.logs()))
            if time.monotonic() >= deadline:
                raise AssertionError("no server span for port %d within %.0fs of warm-up traffic\n%s" % (
                    port, timeout, self.logs()))
