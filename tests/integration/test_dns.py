"""DNS spans from real lookups, under both probe backends: dnsmasq on loopback (a free port, UDP and TCP,
IPv4 and IPv6) answering dig (UDP and +tcp), dnspython (UDP resolver and TCP), raw queries sent with every
UDP socket call (sendto/recvfrom on an unconnected socket, send/recv and write/read on a connected one,
sendmsg/recvmsg, sendmmsg/recvmmsg), glibc getaddrinfo inside a network namespace whose resolv.conf points at
a dnsmasq there, NXDOMAIN/REFUSED answers, and an unanswered query timing out. Every attribute is checked.

The clients run from copies of dig and Debian's python named obi-dns-* so that one executable glob selects
exactly them (the agent under test traces nothing else)."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

import harness
import otlp
from harness import launch, sattr, rattr

FAST = {"OTEL_EBPF_BPF_BATCH_TIMEOUT": "100ms"}
DNS_TIMEOUT_S = 5.0  # ebpf.dns_request_timeout's default

# The client helper: reads one JSON command per line on stdin, answers one JSON line on stdout.
HELPER = r'''
import ctypes, json, os, select, socket, struct, sys, time
import dns.message, dns.query, dns.rcode, dns.resolver

libc = ctypes.CDLL(None, use_errno=True)

class iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]

class msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32), ("msg_iov", ctypes.POINTER(iovec)),
                ("msg_iovlen", ctypes.c_size_t), ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]

class mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", msghdr), ("msg_len", ctypes.c_uint)]

def sockaddr_in(host, port):
    return struct.pack("<H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(host) + b"\0" * 8

def answer(wire):
    m = dns.message.from_wire(wire)
    return {"rcode": dns.rcode.to_text(m.rcode()), "id": m.id,
            "addresses": [r.to_text() for rrset in m.answer for r in rrset if rrset.rdtype in (1, 28)]}

def wait_readable(s, timeout=3.0):
    if not select.select([s], [], [], timeout)[0]:
        raise TimeoutError("no answer")

def mmsg(host, port, names):
    """sendmmsg of one query per name on an unconnected socket (msg_name set), then recvmmsg."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    qs = [dns.message.make_query(n, "A").to_wire() for n in names]
    n = len(qs)
    bufs = [ctypes.create_string_buffer(q, len(q)) for q in qs]
    name = ctypes.create_string_buffer(sockaddr_in(host, port), 16)
    iovs = (iovec * n)(*[iovec(ctypes.cast(b, ctypes.c_void_p), len(q)) for b, q in zip(bufs, qs)])
    msgs = (mmsghdr * n)()
    for i in range(n):
        msgs[i].msg_hdr.msg_name = ctypes.cast(name, ctypes.c_void_p)
        msgs[i].msg_hdr.msg_namelen = 16
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    sent = libc.sendmmsg(s.fileno(), msgs, n, 0)
    if sent != n:
        raise OSError(ctypes.get_errno(), "sendmmsg sent %d" % sent)
    got = []
    while len(got) < n:
        wait_readable(s)
        rb = [ctypes.create_string_buffer(2048) for _ in range(n)]
        riov = (iovec * n)(*[iovec(ctypes.cast(b, ctypes.c_void_p), 2048) for b in rb])
        srcs = [ctypes.create_string_buffer(16) for _ in range(n)]
        rm = (mmsghdr * n)()
        for i in range(n):
            rm[i].msg_hdr.msg_name = ctypes.cast(srcs[i], ctypes.c_void_p)
            rm[i].msg_hdr.msg_namelen = 16
            rm[i].msg_hdr.msg_iov = ctypes.pointer(riov[i])
            rm[i].msg_hdr.msg_iovlen = 1
        k = libc.recvmmsg(s.fileno(), rm, n - len(got), 0x10000, None)  # MSG_WAITFORONE
        if k <= 0:
            raise OSError(ctypes.get_errno(), "recvmmsg")
        got += [answer(rb[i].raw[:rm[i].msg_len]) for i in range(k)]
    port_ = s.getsockname()[1]
    s.close()
    return {"answers": got, "local_port": port_}

def raw(mode, host, port, name, qtype="A", family=socket.AF_INET):
    q = dns.message.make_query(name, qtype).to_wire()
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    addr = (host, port)
    if mode == "sendto":
        s.sendto(q, addr); wait_readable(s); r, _ = s.recvfrom(4096)
    elif mode == "send":
        s.connect(addr); s.send(q); wait_readable(s); r = s.recv(4096)
    elif mode == "write":
        s.connect(addr); os.write(s.fileno(), q); wait_readable(s); r = os.read(s.fileno(), 4096)
    elif mode == "sendmsg":
        s.sendmsg([q], [], 0, addr); wait_readable(s); r, _, _, _ = s.recvmsg(4096)
    elif mode == "silent":  # nobody answers: the query times out
        s.sendto(q, addr); time.sleep(0.2); r = None
    else:
        raise ValueError(mode)
    lport, laddr = s.getsockname()[1], s.getsockname()[0]
    s.close()
    out = answer(r) if r else {}
    out.update({"local_port": lport, "local_addr": laddr})
    return out

def noise(host, port, count):
    """UDP datagrams that are not DNS queries, with each send call: statsd lines, random bytes, and a
    DNS response (QR set), which only a server sends first."""
    resp = bytearray(dns.message.make_query("svc.test", "A").to_wire())
    resp[2] |= 0x80
    payloads = [b"app.requests:1|c", os.urandom(40), bytes(resp)]
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.connect((host, port))
    for i in range(count):
        p = payloads[i % len(payloads)]
        a.sendto(p, (host, port))
        a.sendmsg([p], [], 0, (host, port))
        b.send(p)
        os.write(b.fileno(), p)
    a.close(); b.close()
    return {"sent": 4 * count}

def run(cmd):
    op = cmd["op"]
    if op == "noise":
        return noise(cmd["host"], cmd["port"], cmd["count"])
    if op == "ping":
        return {"pid": os.getpid()}
    if op == "raw":
        return raw(cmd["mode"], cmd["host"], cmd["port"], cmd["name"], cmd.get("qtype", "A"),
                   socket.AF_INET6 if ":" in cmd["host"] else socket.AF_INET)
    if op == "mmsg":
        return mmsg(cmd["host"], cmd["port"], cmd["names"])
    if op == "resolver":  # dnspython's stub resolver: a new unconnected UDP socket per query
        r = dns.resolver.Resolver(configure=False)
        r.nameservers, r.port, r.lifetime = [cmd["host"]], cmd["port"], 3
        try:
            ans = r.resolve(cmd["name"], cmd.get("qtype", "A"))
            return {"rcode": "NOERROR", "addresses": [x.to_text() for x in ans]}
        except dns.resolver.NXDOMAIN:
            return {"rcode": "NXDOMAIN", "addresses": []}
    if op == "tcp":  # dnspython over TCP: connect, length-prefixed query, response
        q = dns.message.make_query(cmd["name"], cmd.get("qtype", "A"))
        s = socket.create_connection((cmd["host"], cmd["port"]))
        lport = s.getsockname()[1]
        r = dns.query.tcp(q, cmd["host"], port=cmd["port"], timeout=3, sock=s)
        s.close()
        return {"rcode": dns.rcode.to_text(r.rcode()), "local_port": lport,
                "addresses": [x.to_text() for rrset in r.answer for x in rrset]}
    if op == "getaddrinfo":
        try:
            infos = socket.getaddrinfo(cmd["name"], 80, type=socket.SOCK_STREAM)
            return {"addresses": sorted({i[4][0] for i in infos})}
        except socket.gaierror as e:
            return {"error": str(e)}
    raise ValueError(op)

print(json.dumps({"ready": os.getpid()}), flush=True)
for line in sys.stdin:
    try:
        res = run(json.loads(line))
    except Exception as e:
        res = {"exception": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(res), flush=True)
'''


class Helper:
    """The client helper process (a copy of python named obi-dns-py), optionally inside a network namespace."""

    def __init__(self, exe, script, log_dir, netns=None):
        argv = (["ip", "netns", "exec", netns] if netns else []) + [exe, script]
        os.makedirs(log_dir, exist_ok=True)
        self.err_path = os.path.join(log_dir, "dns-helper-%s.err" % (netns or "host"))
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     env=launch.clean_env(), start_new_session=True, text=True)
        ready = json.loads(self.proc.stdout.readline() or "{}")
        assert "ready" in ready, "dns helper did not start: %s" % open(self.err_path).read()
        self.pid = self.proc.pid

    def __call__(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        res = json.loads(self.proc.stdout.readline())
        assert "exception" not in res, "%s: %s" % (cmd, res["exception"])
        return res

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.err.close()


def free_udp_tcp_port():
    """A port free for both TCP and UDP on 127.0.0.1 and ::1."""
    for _ in range(50):
        port = launch.free_port()
        try:
            for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                with socket.socket(fam, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError("no free UDP+TCP port")


def dnsmasq_argv(port, listen, pid_file, extra=()):
    return ["dnsmasq", "-k", "--conf-file=/dev/null", "--listen-address=" + listen, "--port=%d" % port,
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--address=/svc.test/127.0.0.7", "--local=/test/",
            "--pid-file=" + pid_file, "--user=root", *extra]


def unique(prefix):
    """A fresh name under svc.test (dnsmasq answers 127.0.0.7 for all of them) or nx.test (NXDOMAIN)."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture(scope="module")
def dns_bin(work_dir):
    """Copies of dig and Debian's python named obi-dns-*, and the helper script."""
    d = os.path.join(work_dir, "dns-bin")
    os.makedirs(d, exist_ok=True)
    py = os.path.join(d, "obi-dns-py")
    dig = os.path.join(d, "obi-dns-dig")
    shutil.copy2(os.path.realpath("/usr/bin/python3"), py)
    shutil.copy2(shutil.which("dig") or "/usr/bin/dig", dig)
    script = os.path.join(d, "dns_helper.py")
    with open(script, "w") as f:
        f.write(HELPER)
    return {"py": py, "dig": dig, "script": script, "dir": d}


@pytest.fixture(scope="module")
def dnsmasq(work_dir):
    port = free_udp_tcp_port()
    log_dir = os.path.join(work_dir, "servers")
    os.makedirs(log_dir, exist_ok=True)
    srv = launch.ServerProcess("dnsmasq-%d" % port, dnsmasq_argv(port, "127.0.0.1,::1", os.path.join(
        log_dir, "dnsmasq-%d.pid" % port), ("--log-queries",)), port, log_dir)
    srv.wait_ready(10)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def netns_dns(work_dir, dns_bin):
    """A network namespace with loopback up, /etc/netns/<ns>/resolv.conf -> 127.0.0.1, dnsmasq on port 53
    there, and a helper inside it. Everything is removed at the end."""
    ns = "obi-dns-%d" % os.getpid()
    etc = "/etc/netns/%s" % ns
    log_dir = os.path.join(work_dir, "servers")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    srv = helper = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
        srv = launch.ServerProcess("dnsmasq-netns", ["ip", "netns", "exec", ns] + dnsmasq_argv(
            53, "127.0.0.1", os.path.join(log_dir, "dnsmasq-netns.pid")), 53, log_dir)
        helper = Helper(dns_bin["py"], dns_bin["script"], log_dir, netns=ns)
        deadline = time.monotonic() + 10
        while "addresses" not in helper(op="getaddrinfo", name="ready.svc.test"):
            assert time.monotonic() < deadline, "dnsmasq in %s did not answer\n%s" % (ns, srv.logs())
            time.sleep(0.2)
        yield {"ns": ns, "helper": helper, "server": srv}
    finally:
        if helper:
            helper.stop()
        if srv:
            srv.stop()
        subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(etc, ignore_errors=True)


@pytest.fixture(scope="module")
def helper(work_dir, dns_bin):
    h = Helper(dns_bin["py"], dns_bin["script"], os.path.join(work_dir, "servers"))
    yield h
    h.stop()


@pytest.fixture(scope="module", params=harness.PROBE_BACKENDS)
def agent(request, module_agent_factory, helper, netns_dns, dnsmasq, dns_bin):
    iport = launch.free_port()
    a = module_agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/obi-dns-*", "OTEL_EBPF_TRACE_PRINTER": "json",
                                  "OTEL_EBPF_BPF_PROBE_BACKEND": request.param,
                                  "OTEL_EBPF_INTERNAL_METRICS_EXPORTER": "prometheus",
                                  "OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT": str(iport), **FAST},
                             name="dns-%s" % request.param)
    a.backend = request.param
    a.internal_port = iport
    # Until a lookup of the helper shows up: the probes are attached and the helper is traced.
    deadline = time.monotonic() + 30
    while True:
        name = unique("warm") + ".svc.test"
        helper(op="raw", mode="sendto", host="127.0.0.1", port=dnsmasq.port, name=name)
        if any(True for _ in poll_dns(a, name, timeout=0.5)):
            break
        assert time.monotonic() < deadline, "no DNS span during warm-up\n%s" % a.logs()
    yield a
    module_agent_factory.stop(a)


def dns_pred(name):
    return lambda s: s.get("type") == "DNS" and sattr(s, "dns.question.name") == name


def poll_dns(agent, name, timeout):
    try:
        return agent.wait_for_spans(dns_pred(name), 1, timeout=timeout)
    except AssertionError:
        return []


def wait_dns(agent, name, count=1, since=0, timeout=10):
    return agent.wait_for_exact_spans(dns_pred(name), count, since=since, timeout=timeout,
                                      describe="DNS spans for %s (%s)" % (name, agent.backend))


def check_span(span, name, server_port, pid, qtype="A", addresses=("127.0.0.7",), rcode=None, server="127.0.0.1",
               client=None, client_port=None, service="obi-dns-py"):
    """Every attribute and field of one DNS span."""
    assert span["type"] == "DNS"
    assert span["name"] == "QUERY " + name
    assert span["kind"] == "SPAN_KIND_CLIENT"
    assert span["statusCode"] == ("STATUS_CODE_ERROR" if rcode else "STATUS_CODE_UNSET")
    a = span["spanAttributes"]
    expected = {"dns.question.name": name, "server.address": server, "server.port": server_port,
                "dns.question.type": qtype, "dns.answers": list(addresses)}
    if rcode:
        expected.update({"error.type": rcode, "error.message": rcode})
    if client is not None:
        expected["client.address"] = client
    for k, v in expected.items():
        assert a.get(k) == v, "%s: %r != %r in %s" % (k, a.get(k), v, a)
    allowed = set(expected) | {"client.address"}
    assert set(a) <= allowed, "unexpected attributes %s" % (set(a) - allowed)
    assert "client.address" in a
    assert span["host"] == server and span["hostPort"] == str(server_port)
    if client_port is not None:
        assert span["peerPort"] == str(client_port)
    assert harness.span_pid(span) == pid
    assert rattr(span, "service.name") == service
    assert int(span["end"]) >= int(span["start"])
    assert int(span["durationUSec"]) < 3000000
    assert len(span["traceID"]) == 32 and span["traceID"] != "0" * 32
    assert len(span["spanID"]) == 16 and span["spanID"] != "0" * 16
    assert span["parentSpanID"] in harness.ZERO_SPAN_ID
    attrs = span["attributes"]  # OBI's printer fields
    assert attrs["method"] == "QUERY" and attrs["url"] == name
    assert attrs["status"] == ("1" if rcode else "0")


@pytest.mark.parametrize("mode", ["sendto", "send", "write", "sendmsg"])
def test_udp_socket_calls(agent, helper, dnsmasq, mode):
    """One lookup per UDP call family; unconnected sockets (sendto, sendmsg) and connected ones (send, write)."""
    name = unique(mode) + ".svc.test"
    since = agent.mark()
    res = helper(op="raw", mode=mode, host="127.0.0.1", port=dnsmasq.port, name=name)
    assert res["rcode"] == "NOERROR" and res["addresses"] == ["127.0.0.7"]
    span = wait_dns(agent, name, since=since)[0]
    # A connected socket has the local address of its route; an unconnected one is bound to 127.0.0.1 here.
    check_span(span, name, dnsmasq.port, helper.pid, client="127.0.0.1", client_port=res["local_port"])


def test_udp_ipv6(agent, helper, dnsmasq):
    name = unique("v6") + ".svc.test"
    since = agent.mark()
    res = helper(op="raw", mode="sendto", host="::1", port=dnsmasq.port, name=name, qtype="AAAA")
    assert res["rcode"] in ("NOERROR", "NXDOMAIN")
    span = wait_dns(agent, name, since=since)[0]
    check_span(span, name, dnsmasq.port, helper.pid, qtype="AAAA", addresses=(), server="::1",
               rcode=None if res["rcode"] == "NOERROR" else res["rcode"], client="::1", client_port=res["local_port"])


def test_udp_sendmmsg_recvmmsg(agent, helper, dnsmasq):
    names = [unique("mmsg%d" % i) + ".svc.test" for i in range(3)]
    since = agent.mark()
    res = helper(op="mmsg", host="127.0.0.1", port=dnsmasq.port, names=names)
    assert [a["addresses"] for a in res["answers"]] == [["127.0.0.7"]] * 3
    for name in names:
        span = wait_dns(agent, name, since=since)[0]
        check_span(span, name, dnsmasq.port, helper.pid, client="127.0.0.1", client_port=res["local_port"])


def test_dnspython_resolver_and_nxdomain(agent, helper, dnsmasq):
    ok, nx = unique("py") + ".svc.test", unique("py") + ".nx.test"
    since = agent.mark()
    assert helper(op="resolver", host="127.0.0.1", port=dnsmasq.port, name=ok)["addresses"] == ["127.0.0.7"]
    assert helper(op="resolver", host="127.0.0.1", port=dnsmasq.port, name=nx)["rcode"] == "NXDOMAIN"
    check_span(wait_dns(agent, ok, since=since)[0], ok, dnsmasq.port, helper.pid)
    check_span(wait_dns(agent, nx, since=since)[0], nx, dnsmasq.port, helper.pid, addresses=(), rcode="NXDOMAIN")


def test_dnspython_tcp(agent, helper, dnsmasq):
    name = unique("tcp") + ".svc.test"
    since = agent.mark()
    res = helper(op="tcp", host="127.0.0.1", port=dnsmasq.port, name=name)
    assert res["addresses"] == ["127.0.0.7"]
    check_span(wait_dns(agent, name, since=since)[0], name, dnsmasq.port, helper.pid, client="127.0.0.1",
               client_port=res["local_port"])


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_dig(agent, dnsmasq, dns_bin, transport):
    name, nx = unique("dig") + ".svc.test", unique("dig") + ".nx.test"
    refused = unique("dig") + ".example.com"
    since = agent.mark()
    for n, status in ((name, "NOERROR"), (nx, "NXDOMAIN"), (refused, "REFUSED")):
        argv = [dns_bin["dig"], "@127.0.0.1", "-p", str(dnsmasq.port), "+tries=1", "+time=3", n]
        if transport == "tcp":
            argv.insert(-1, "+tcp")
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, env=launch.clean_env())
        assert "status: " + status in out.stdout, out.stdout + out.stderr
    dig_pid = None
    for n, rcode, addrs in ((name, None, ("127.0.0.7",)), (nx, "NXDOMAIN", ()), (refused, "REFUSED", ())):
        span = wait_dns(agent, n, since=since)[0]
        pid = harness.span_pid(span)
        assert pid != dig_pid  # one dig process per lookup
        dig_pid = pid
        check_span(span, n, dnsmasq.port, pid, addresses=addrs, rcode=rcode, service="obi-dns-dig")


def test_getaddrinfo_in_netns(agent, netns_dns):
    """libc's resolver (A and AAAA together with sendmmsg on a connected socket, answers with recvfrom)
    against dnsmasq on port 53 of the namespace that /etc/netns/<ns>/resolv.conf names."""
    helper = netns_dns["helper"]
    name = unique("gai") + ".svc.test"
    since = agent.mark()
    assert helper(op="getaddrinfo", name=name)["addresses"] == ["127.0.0.7"]
    spans = wait_dns(agent, name, count=2, since=since)
    by_type = {harness.sattr(s, "dns.question.type"): s for s in spans}
    assert set(by_type) == {"A", "AAAA"}
    check_span(by_type["A"], name, 53, helper.pid, client="127.0.0.1")
    aaaa = by_type["AAAA"]
    rcode = sattr(aaaa, "error.type")
    check_span(aaaa, name, 53, helper.pid, qtype="AAAA", addresses=(), rcode=rcode, client="127.0.0.1")
    assert by_type["A"]["peerPort"] == aaaa["peerPort"]  # one socket for both


def test_unanswered_query_times_out(agent, helper):
    """A query to a UDP port that never answers becomes an error span after the DNS request timeout."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        name = unique("lost") + ".svc.test"
        since = agent.mark()
        res = helper(op="raw", mode="silent", host="127.0.0.1", port=port, name=name)
        span = wait_dns(agent, name, since=since, timeout=DNS_TIMEOUT_S + 6)[0]
        a = span["spanAttributes"]
        assert span["statusCode"] == "STATUS_CODE_ERROR"
        assert a["error.type"] == "timeout" and a["dns.question.name"] == name and "dns.answers" not in a
        assert a["server.port"] == port and span["peerPort"] == str(res["local_port"])
        assert abs(int(span["durationUSec"]) - DNS_TIMEOUT_S * 1e6) < 1000
        assert silent.recv(4096)  # the query did reach the port
    finally:
        silent.close()


def events_read(agent):
    """The agent's count of events read from its ring buffers (internal metric)."""
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (agent.internal_port, otlp.INTERNAL_METRICS_PATH),
                                timeout=5) as r:
        body = r.read().decode()
    vals = [v for name, _, v in otlp.parse_exposition(body) if name.startswith("obi_ebpf_ringbuf_events_read")]
    assert vals, "no ring buffer counter in the internal metrics:\n" + body[:2000]
    return sum(vals)


def settled_events_read(agent):
    """events_read once it has stopped moving (the counter is updated once a second)."""
    last = events_read(agent)
    for _ in range(10):
        time.sleep(1.2)
        now = events_read(agent)
        if now == last:
            return now
        last = now
    return last


def test_only_dns_udp_reaches_user_space(agent, helper, dnsmasq):
    """UDP traffic of a traced process that does not start with a DNS query costs no events: 1200 sends of
    statsd lines, random bytes and DNS responses with sendto, sendmsg, send and write. 100 DNS queries
    right after are all seen (a query and a response event each)."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        before = settled_events_read(agent)
        assert helper(op="noise", host="127.0.0.1", port=port, count=300)["sent"] == 1200
        after_noise = settled_events_read(agent)
        assert after_noise - before == 0, "non-DNS UDP produced %d events" % (after_noise - before)
    finally:
        silent.close()
    names = {unique("count%d" % i) + ".svc.test" for i in range(100)}
    since = agent.mark()
    for n in names:
        helper(op="raw", mode="sendto", host="127.0.0.1", port=dnsmasq.port, name=n)
    agent.wait_for_exact_spans(lambda s: s.get("type") == "DNS" and sattr(s, "dns.question.name") in names, 100,
                               since=since, timeout=15)
    assert settled_events_read(agent) - after_noise >= 200
