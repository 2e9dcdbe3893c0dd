#!/usr/bin/python3
"""TEST DOUBLE of ebpf-instrument for checking the integration tests themselves (not eBPF, not the product).

It follows the contract the tests assume (CLI, config errors, stderr lines, JSON trace printer) and sees HTTP
on loopback by sniffing `lo` with an AF_PACKET socket, mapping sockets to processes through /proc. Use it to
tell a wrong test from a wrong agent:
    OBI_AGENT_BIN=tests/integration/fake_agent.py /usr/bin/python3 -m pytest tests/integration
Limits: loopback IPv4 only; the parent of a client span is the newest unfinished server request of the same
process; connections opened before it started have no SYN, so their server side is guessed from listeners.
"""
import fnmatch
import json
import os
import re
import secrets
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
PORT_ENUM = re.compile(r"^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$")
PRINTERS = ("disabled", "text", "json", "json_indent", "counter")
BACKENDS = ("auto", "sock_tracepoints", "syscall_tracepoints")
KNOWN_KEYS = {"open_port", "trace_printer", "log_level", "executable_path", "service_name", "service_namespace",
              "discovery", "ebpf", "attributes", "routes", "otel_traces_export", "otel_metrics_export",
              "prometheus_export", "filter", "network", "log_format", "shutdown_timeout"}
HELP = """usage: ebpf-instrument [--config=FILE] [--check] [--help]
Environment: OTEL_EBPF_OPEN_PORT, OTEL_EBPF_AUTO_TARGET_EXE, OTEL_EBPF_TRACE_PRINTER,
OTEL_EBPF_BPF_PROBE_BACKEND, OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS, OTEL_EBPF_CONFIG_PATH
(fake agent for testing the test suite)"""


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------------------------------ config
def parse_ports(text, where):
    if not PORT_ENUM.match(str(text)):
        die("%s: invalid port list %r" % (where, text))
    ports = set()
    for part in str(text).split(","):
        a, _, b = part.strip().partition("-")
        ports.update(range(int(a), int(b or a) + 1))
    return ports


def load_config(argv):
    cfg_path = os.environ.get("OTEL_EBPF_CONFIG_PATH")
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--help", "-h"):
            print(HELP)
            sys.exit(0)
        if a == "--check":
            print("probe backend: sock_tracepoints: available (fake)\nprobe backend: syscall_tracepoints: available")
            sys.exit(0)
        if a.startswith(("--config=", "-config=")):
            cfg_path = a.split("=", 1)[1]
        elif a in ("--config", "-config"):
            i += 1
            cfg_path = argv[i]
        else:
            die("unknown argument %r" % a)
        i += 1
    cfg = {}
    if cfg_path:
        try:
            import yaml
            with open(cfg_path) as f:
                cfg = yaml.safe_load(f) or {}
        except OSError as e:
            die("config file %s: %s" % (cfg_path, e))
        except Exception as e:  # noqa: BLE001 - any YAML error
            die("config file %s: malformed YAML: %s" % (cfg_path, e))
        for k in cfg:
            if k not in KNOWN_KEYS:
                die("config file %s: unknown key %r" % (cfg_path, k))
    conf = {"ports": None, "exe": None, "printer": "disabled", "backend": "auto", "headers": False}
    if "open_port" in cfg:
        conf["ports"] = parse_ports(cfg["open_port"], "open_port")
    if "trace_printer" in cfg:
        if cfg["trace_printer"] not in PRINTERS:
            die("trace_printer: invalid value %r" % cfg["trace_printer"])
        conf["printer"] = cfg["trace_printer"]
    env = os.environ
    if env.get("OTEL_EBPF_OPEN_PORT"):
        conf["ports"] = parse_ports(env["OTEL_EBPF_OPEN_PORT"], "OTEL_EBPF_OPEN_PORT")
    if env.get("OTEL_EBPF_TRACE_PRINTER"):
        if env["OTEL_EBPF_TRACE_PRINTER"] not in PRINTERS:
            die("OTEL_EBPF_TRACE_PRINTER: invalid value %r" % env["OTEL_EBPF_TRACE_PRINTER"])
        conf["printer"] = env["OTEL_EBPF_TRACE_PRINTER"]
    if env.get("OTEL_EBPF_BPF_PROBE_BACKEND"):
        if env["OTEL_EBPF_BPF_PROBE_BACKEND"] not in BACKENDS:
            die("OTEL_EBPF_BPF_PROBE_BACKEND: invalid value %r" % env["OTEL_EBPF_BPF_PROBE_BACKEND"])
        conf["backend"] = env["OTEL_EBPF_BPF_PROBE_BACKEND"]
    conf["exe"] = env.get("OTEL_EBPF_AUTO_TARGET_EXE") or None
    conf["headers"] = env.get("OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS", "").lower() == "true"
    if conf["ports"] is None and conf["exe"] is None:
        die("nothing to instrument: set OTEL_EBPF_OPEN_PORT, OTEL_EBPF_AUTO_TARGET_EXE or discovery.instrument")
    if conf["backend"] == "auto":
        conf["backend"] = "sock_tracepoints"
    return conf


# ------------------------------------------------------------------------------------------- /proc
def _addr(hexaddr):
    """'0100007F:1F90' (or the 32-hex-digit IPv6 form) -> ('127.0.0.1', 8080); None for real IPv6."""
    ip_hex, port_hex = hexaddr.split(":")
    if len(ip_hex) == 32:
        if ip_hex == "0" * 32:
            ip_hex = "00000000"
        elif ip_hex.startswith("0000000000000000FFFF0000"):
            ip_hex = ip_hex[24:]
        else:
            return None
    return socket.inet_ntoa(struct.pack("<I", int(ip_hex, 16))), int(port_hex, 16)


def read_tcp_table():
    """{(ipv4, port): [(state, inode, remote)]} from /proc/net/tcp and the IPv4-mapped part of
    /proc/net/tcp6 (Java's sockets are AF_INET6 even for 127.0.0.1)."""
    out = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                p = line.split()
                local, remote = _addr(p[1]), _addr(p[2])
                if local:
                    out.setdefault(local, []).append((p[3], int(p[9]), remote))
    return out


def inode_pids():
    """{socket inode: [pids]} over all processes."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                try:
                    link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                except OSError:
                    continue
                if link.startswith("socket:["):
                    out.setdefault(int(link[8:-1]), []).append(int(pid))
        except OSError:
            continue
    return out


class Procs:
    def __init__(self, conf):
        self.conf = conf
        self.services = {}
        self.owners = {}

    def owners_of(self, ino):
        if ino not in self.owners:
            self.owners = inode_pids()  # rescan only on a miss
        return sorted(self.owners.get(ino, []))

    def pid_of(self, ip, port, listening=False, remote=None):
        table = read_tcp_table()
        entries = table.get((ip, port), []) + ([] if ip == "0.0.0.0" else table.get(("0.0.0.0", port), []))
        for st, ino, rem in entries:
            if ino and (st == "0A") == listening and (remote is None or rem == remote):
                pids = self.owners_of(ino)
                if pids:
                    return pids[-1] if listening else pids[0]
        return None

    def selected(self, pid):
        if pid is None:
            return False
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            return False
        if self.conf["exe"] and not fnmatch.fnmatchcase(exe, self.conf["exe"]):
            return False
        if self.conf["ports"] is not None:
            listen = [ino for (ip, port), ents in read_tcp_table().items() if port in self.conf["ports"]
                      for st, ino, _ in ents if st == "0A"]
            if not any(pid in self.owners_of(ino) for ino in listen):
                return False
        return True

    def service(self, pid):
        if pid in self.services:
            return self.services[pid]
        exe = os.readlink("/proc/%d/exe" % pid)
        env = {}
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                for kv in f.read().split(b"\0"):
                    k, _, v = kv.decode("utf-8", "replace").partition("=")
                    env[k] = v
        except OSError:
            pass
        attrs = {}
        for kv in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
            if "=" in kv:
                k, _, v = kv.partition("=")
                attrs[k.strip()] = v.strip()
        name = env.get("OTEL_SERVICE_NAME") or attrs.pop("service.name", None) or os.path.basename(exe)
        attrs.pop("service.name", None)
        base = os.path.basename(exe)
        lang = "generic"
        if base.startswith("python"):
            lang = "python"
        elif base == "node":
            lang = "nodejs"
        elif base == "java":
            lang = "java"
        else:
            try:
                with open(exe, "rb") as f:
                    if b"\xff Go buildinf:" in f.read():
                        lang = "go"
            except OSError:
                pass
        host = socket.gethostname()
        res = {"service.name": name, "service.instance.id": "%s:%d" % (host, pid), "telemetry.sdk.language": lang,
               "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "fake",
               "telemetry.distro.name": "opentelemetry-ebpf-instrumentation", "host.name": host,
               "host.id": host, "os.type": "linux"}
        res.update(attrs)
        self.services[pid] = (res, lang)
        return self.services[pid]


# ------------------------------------------------------------------------------------------- HTTP
def route_of(path):
    segs = path.split("/")[1:11]
    out = []
    for s in segs:
        ok = s == "" or all(c.isalpha() or c in "._-" or (i == 1) for i, c in enumerate(s)) and \
            sum(not (c.isalpha() or c in "._-") for c in s) <= 1
        out.append(s if ok else "*")
    return "/" + "/".join(out)


def parse_head(buf):
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, end + 4


def body_len(buf, start, headers):
    """Length of the body starting at buf[start:], or None if incomplete. Returns (consumed, body bytes)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        i, total = start, 0
        while True:
            e = buf.find(b"\r\n", i)
            if e < 0:
                return None
            size = int(buf[i:e].split(b";")[0] or b"0", 16)
            if size == 0:
                t = buf.find(b"\r\n", e + 2)  # end of the (empty) trailer section
                if t < 0:
                    return None
                return t + 2 - start, total
            if len(buf) < e + 2 + size + 2:
                return None
            total += size
            i = e + 2 + size + 2
    n = int(headers.get("content-length", "0") or 0)
    if len(buf) - start < n:
        return None
    return n, n


class Conn:
    def __init__(self, cli, srv):
        self.cli, self.srv = cli, srv  # (ip, port)
        self.streams = {cli: bytearray(), srv: bytearray()}
        self.first_ts = {cli: None, srv: None}
        self.next_seq = {}
        self.pending = []  # parsed requests awaiting responses
        self.srv_pid = self.cli_pid = None
        self.resolved = False


class Sniffer:
    def __init__(self, conf, emit):
        self.conf, self.emit = conf, emit
        self.procs = Procs(conf)
        self.conns = {}
        self.inflight = {}  # pid -> list of server request dicts not yet answered
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)

    def fileno(self):
        return self.sock.fileno()

    def read(self):
        data, anc, _, addr = self.sock.recvmsg(262144, 64)
        if addr[2] == PACKET_OUTGOING:
            return
        ts = time.time()
        for level, typ, val in anc:
            if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                ts = sec + nsec / 1e9
        self.packet(data[14:], ts)

    def packet(self, ip, ts):
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            return
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        off = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload = tcp[off:]
        a, b = (src, sport), (dst, dport)
        key = frozenset((a, b))
        syn, ack, fin, rst = flags & 2, flags & 16, flags & 1, flags & 4
        conn = self.conns.get(key)
        if syn and not ack:
            conn = self.conns[key] = Conn(a, b)
            conn.next_seq[a] = seq + 1
            conn.cli_pid = self.procs.pid_of(a[0], a[1], remote=b)
            return
        if syn and ack and conn:
            conn.next_seq[a] = seq + 1
            return
        if conn is None:
            if not payload:
                return
            # mid-stream: the side with a listening socket is the server
            srv_is_b = self.procs.pid_of(b[0], b[1], listening=True) is not None
            conn = self.conns[key] = Conn(a, b) if srv_is_b else Conn(b, a)
            conn.next_seq[a] = seq
        if payload:
            exp = conn.next_seq.get(a, seq)
            if seq < exp:
                payload = payload[exp - seq:]
            if payload:
                conn.next_seq[a] = seq + len(payload) if seq >= exp else exp + len(payload)
                if not conn.resolved:
                    conn.resolved = True
                    conn.srv_pid = self.procs.pid_of(conn.srv[0], conn.srv[1], remote=conn.cli) or \
                        self.procs.pid_of(conn.srv[0], conn.srv[1], listening=True)
                    if conn.cli_pid is None:
                        conn.cli_pid = self.procs.pid_of(conn.cli[0], conn.cli[1], remote=conn.srv)
                if not conn.streams[a]:
                    conn.first_ts[a] = ts
                conn.streams[a] += payload
                if a == conn.cli:
                    self.requests(conn)
                else:
                    self.responses(conn, ts)
        if fin or rst:
            if rst or (fin and not conn.pending):
                self.conns.pop(key, None)

    def requests(self, conn):
        buf = conn.streams[conn.cli]
        while True:
            head = parse_head(buf)
            if not head:
                return
            line, headers, hl = head
            bl = body_len(buf, hl, headers)
            if bl is None:
                return
            consumed, size = bl
            method, target = line.split(" ")[0], line.split(" ")[1]
            path, _, query = target.partition("?")
            req = {"method": method, "path": path, "query": query, "headers": headers, "size": size,
                   "start": conn.first_ts[conn.cli], "conn": conn}
            self.begin(req)
            conn.pending.append(req)
            del buf[:hl + consumed]

    def begin(self, req):
        conn = req["conn"]
        req["server"] = self.procs.selected(conn.srv_pid)
        req["client"] = self.procs.selected(conn.cli_pid)
        if os.environ.get("FAKE_AGENT_DEBUG"):
            print("request %s %s %s(pid %s, %s) -> %s(pid %s, %s)" % (
                req["method"], req["path"], conn.cli, conn.cli_pid, req["client"], conn.srv, conn.srv_pid,
                req["server"]), file=sys.stderr, flush=True)
        tp = req["headers"].get("traceparent", "")
        m = re.match(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$", tp)
        lang = self.procs.service(conn.srv_pid)[1] if req["server"] else None
        if req["server"]:
            if m and (self.conf["headers"] or lang == "go"):
                req["trace"], req["parent"], req["flags"] = m.group(1), m.group(2), m.group(3)
            else:
                req["trace"], req["parent"], req["flags"] = secrets.token_hex(16), "0" * 16, "01"
            req["span"] = secrets.token_hex(8)
            self.inflight.setdefault(conn.srv_pid, []).append(req)
        if conn.cli_pid is None and not req["server"]:
            # the client socket was gone before we looked (short connection): assume the process that is
            # serving a request right now made the call
            busy = [pid for pid, reqs in self.inflight.items() if reqs]
            if len(busy) == 1:
                conn.cli_pid = busy[0]
                req["client"] = True
        if req["client"]:
            parents = self.inflight.get(conn.cli_pid) or []
            if parents:
                p = parents[-1]
                req["ctrace"], req["cparent"] = p["trace"], p["span"]
            else:
                req["ctrace"], req["cparent"] = secrets.token_hex(16), "0" * 16
            req["cspan"] = secrets.token_hex(8)

    def responses(self, conn, ts):
        buf = conn.streams[conn.srv]
        while conn.pending:
            head = parse_head(buf)
            if not head:
                return
            line, headers, hl = head
            status = int(line.split(" ")[1])
            if status < 200 or status in (204, 304) or conn.pending[0]["method"] == "HEAD":
                bl = (0, 0)
            else:
                bl = body_len(buf, hl, headers)
            if bl is None:
                return
            consumed, size = bl
            del buf[:hl + consumed]
            req = conn.pending.pop(0)
            req.update(status=status, rsize=size, end=ts)
            if req.get("server"):
                lst = self.inflight.get(conn.srv_pid, [])
                if req in lst:
                    lst.remove(req)
                self.emit(self.span(req, server=True))
            if req.get("client"):
                self.emit(self.span(req, server=False))
            if not buf:
                conn.first_ts[conn.srv] = None

    def span(self, req, server):
        conn = req["conn"]
        pid = conn.srv_pid if server else conn.cli_pid
        res, _ = self.procs.service(pid)
        route = route_of(req["path"])
        status = req["status"]
        start, end = int(req["start"] * 1e6), int(req["end"] * 1e6)
        host_hdr = req["headers"].get("host", "")
        a = {"http.request.method": req["method"], "http.response.status_code": status,
             "url.path": req["path"], "http.route": route, "server.address": conn.srv[0],
             "server.port": conn.srv[1], "url.scheme": "http", "http.request.body.size": req["size"],
             "http.response.body.size": req["rsize"]}
        if req["query"]:
            a["url.query"] = req["query"]
        if server:
            a["client.address"] = conn.cli[0]
            err = status == 0 or status >= 500
            trace, span_id, parent, kind, typ = req["trace"], req["span"], req["parent"], "SPAN_KIND_SERVER", "HTTP"
        else:
            a["url.full"] = "http://%s%s%s" % (host_hdr, req["path"], "?" + req["query"] if req["query"] else "")
            err = status == 0 or status >= 400
            trace, span_id, parent, kind, typ = req["ctrace"], req["cspan"], req["cparent"], "SPAN_KIND_CLIENT", \
                "HTTPClient"
        dur = end - start
        return {"type": typ, "peer": conn.cli[0], "peerPort": str(conn.cli[1]), "host": conn.srv[0],
                "hostPort": str(conn.srv[1]), "traceID": trace, "spanID": span_id, "parentSpanID": parent,
                "flags": "01", "peerName": "", "hostName": "", "kind": kind, "start": str(start),
                "handlerStart": str(start), "end": str(end), "duration": "%dµs" % dur, "durationUSec": str(dur),
                "handlerDuration": "%dµs" % dur, "handlerDurationUSec": str(dur),
                "attributes": {"method": req["method"], "status": str(status), "url": req["path"],
                               "contentLen": str(req["size"]), "responseLen": str(req["rsize"]), "route": route,
                               "clientAddr": conn.cli[0], "serverAddr": conn.srv[0], "serverPort": str(conn.srv[1])},
                "name": "%s %s" % (req["method"], route),
                "statusCode": "STATUS_CODE_ERROR" if err else "STATUS_CODE_UNSET",
                "spanAttributes": a, "resource": res}


def main():
    conf = load_config(sys.argv[1:])
    batch, stop = [], []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sniffer = Sniffer(conf, batch.append)
    print("probe backend: %s" % conf["backend"], file=sys.stderr, flush=True)
    print("fake agent ready", file=sys.stderr, flush=True)
    last_flush, count = time.monotonic(), 0

    def flush():
        nonlocal count
        if not batch:
            return
        count += len(batch)
        if conf["printer"] == "json":
            sys.stdout.write(json.dumps(batch, ensure_ascii=False) + "\n")
        elif conf["printer"] == "json_indent":
            sys.stdout.write(json.dumps(batch, indent=2, ensure_ascii=False) + "\n")
        elif conf["printer"] == "counter":
            sys.stdout.write("spans: %d\n" % count)
        sys.stdout.flush()
        batch.clear()

    while not stop:
        try:
            r, _, _ = select.select([sniffer], [], [], 0.1)
        except InterruptedError:
            continue
        if r:
            for _ in range(1000):
                try:
                    sniffer.read()
                except BlockingIOError:
                    break
        if len(batch) >= 100 or time.monotonic() - last_flush >= 1.0:
            flush()
            last_flush = time.monotonic()
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
