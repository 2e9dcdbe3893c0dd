#!/usr/bin/python3
"""A small single-node Kafka broker for the tests: no real broker can run here (Debian has none, Maven is
unreachable), so this one answers REAL clients (librdkafka via kcat, kafka-python) with the API versions they
ask for. Stdlib only, written from the Kafka protocol guide; not a production broker.

  /usr/bin/python3 tests/apps/kafka_broker.py PORT [--partitions N] [--dump DIR] [--topic-ids]

Prints `ready kafka 127.0.0.1:PORT pid=PID` once it accepts connections. Supported (request versions):
ApiVersions 0-3 (flexible v3; an unsupported version gets the v0 error answer), Metadata 0-12 (topics are
created on first mention; topic ids from v10), Produce 0-13 (record batches kept in memory, base offsets
assigned; topic ids from v13), Fetch 0-16 (long poll up to max_wait_ms, topic ids from v13), ListOffsets 0-7, FindCoordinator 0-4, JoinGroup 0-7,
SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-4, OffsetCommit 0-8, OffsetFetch 0-7 (one-member groups),
InitProducerId 0-4. Another API key or version closes the connection, as a broker does.

--dump DIR writes every frame (with its 4-byte length) to DIR as NNNN-<conn>-<api>-v<ver>.c2s.bin (request) /
.s2c.bin (response): the raw bytes of real clients, used for the parser corpus and unit tests.
--max-version KEY=V lowers what ApiVersions advertises for an API (e.g. 1=4 makes clients fetch with v4).

RawClient (below) speaks the versions no real client here uses (flexible Produce v9+, Fetch v12+, topic ids):
the tests use it to cover those versions; it is ours, like the broker.
"""
import argparse
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid

# ------------------------------------------------------------------------------------------------ wire
# First flexible request version per API key (request header v2 / response header v1 from there on).
FLEXIBLE = {0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4, 18: 3, 22: 2}
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
             10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
             18: "ApiVersions", 22: "InitProducerId"}
SUPPORTED = {0: (0, 13), 1: (0, 16), 2: (0, 7), 3: (0, 12), 8: (0, 8), 9: (0, 7), 10: (0, 4), 11: (0, 7),
             12: (0, 4), 13: (0, 4), 14: (0, 5), 18: (0, 3), 22: (0, 4)}

NONE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_MEMBER_ID, UNSUPPORTED_VERSION = 0, 1, 3, 25, 35


class Truncated(Exception):
    pass


class Reader:
    def __init__(self, data, flexible=False):
        self.b, self.p, self.flex = data, 0, flexible

    def take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise Truncated("need %d bytes at %d of %d" % (n, self.p, len(self.b)))
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift > 28:
                raise Truncated("varint too long")

    def uuid(self):
        return self.take(16)

    def string(self):
        n = self.uvarint() - 1 if self.flex else self.i16()
        return None if n < 0 else self.take(n).decode("utf-8", "replace")

    def bytes_(self):
        n = self.uvarint() - 1 if self.flex else self.i32()
        return None if n < 0 else self.take(n)

    def array(self, item):
        n = self.uvarint() - 1 if self.flex else self.i32()
        return None if n < 0 else [item(self) for _ in range(n)]

    def tags(self):
        if self.flex:
            for _ in range(self.uvarint()):
                self.uvarint()
                self.take(self.uvarint())


class Writer:
    def __init__(self, flexible=False):
        self.parts, self.flex = [], flexible

    def raw(self, b):
        self.parts.append(b)
        return self

    def i8(self, v):
        return self.raw(struct.pack(">b", v))

    def i16(self, v):
        return self.raw(struct.pack(">h", v))

    def i32(self, v):
        return self.raw(struct.pack(">i", v))

    def i64(self, v):
        return self.raw(struct.pack(">q", v))

    def uvarint(self, v):
        out = bytearray()
        while True:
            if v < 0x80:
                out.append(v)
                return self.raw(bytes(out))
            out.append((v & 0x7F) | 0x80)
            v >>= 7

    def string(self, s):
        if s is None:
            return self.uvarint(0) if self.flex else self.i16(-1)
        b = s.encode()
        (self.uvarint(len(b) + 1) if self.flex else self.i16(len(b)))
        return self.raw(b)

    def bytes_(self, b):
        if b is None:
            return self.uvarint(0) if self.flex else self.i32(-1)
        (self.uvarint(len(b) + 1) if self.flex else self.i32(len(b)))
        return self.raw(b)

    def array(self, items, fn):
        if items is None:
            return self.uvarint(0) if self.flex else self.i32(-1)
        (self.uvarint(len(items) + 1) if self.flex else self.i32(len(items)))
        for it in items:
            fn(self, it)
        return self

    def tags(self):
        return self.uvarint(0) if self.flex else self

    def data(self):
        return b"".join(self.parts)


# ----------------------------------------------------------------------------------------------- state
class Partition:
    def __init__(self):
        self.batches = []  # (base_offset, last_offset, bytes)
        self.next_offset = 0


class Broker:
    def __init__(self, port, partitions, dump_dir, max_versions):
        self.port, self.partitions, self.dump_dir = port, partitions, dump_dir
        self.max_versions = max_versions
        self.lock = threading.Condition()
        self.topics = {}      # name -> [Partition]
        self.topic_ids = {}   # name -> 16-byte uuid
        self.groups = {}      # group -> {"generation", "member", "protocol", "assignment", "offsets"}
        self.frame_no = 0
        self.conn_no = 0
        self.producer_id = 1000

    def topic(self, name, create=True):
        with self.lock:
            if name not in self.topics and create:
                self.topics[name] = [Partition() for _ in range(self.partitions)]
                self.topic_ids[name] = uuid.uuid4().bytes
            return self.topics.get(name)

    def topic_by_id(self, tid):
        with self.lock:
            for name, i in self.topic_ids.items():
                if i == tid:
                    return name
        return None

    def dump(self, conn, api, ver, direction, frame):
        if not self.dump_dir:
            return
        with self.lock:
            self.frame_no += 1
            n = self.frame_no
        name = "%04d-c%d-%s-v%d.%s.bin" % (n, conn, API_NAMES.get(api, "api%d" % api), ver, direction)
        with open(os.path.join(self.dump_dir, name), "wb") as f:
            f.write(frame)


# ------------------------------------------------------------------------------------------ record sets
def rewrite_offsets(records, base):
    """Assigns offsets from `base` to a produced record set; returns [(base, last, bytes)] per batch."""
    out, p = [], 0
    while p + 17 <= len(records):
        size = struct.unpack(">i", records[p + 8:p + 12])[0]
        end = p + 12 + size
        if size <= 0 or end > len(records):
            break
        magic = records[p + 16]
        chunk = bytearray(records[p:end])
        if magic >= 2:
            last_delta = struct.unpack(">i", chunk[23:27])[0]
            struct.pack_into(">q", chunk, 0, base)
            struct.pack_into(">i", chunk, 12, 0)  # partition leader epoch
            out.append((base, base + last_delta, bytes(chunk)))
            base += last_delta + 1
        else:  # message set v0/v1: one offset per (outer) message
            struct.pack_into(">q", chunk, 0, base)
            out.append((base, base, bytes(chunk)))
            base += 1
        p = end
    return out


# ---------------------------------------------------------------------------------------------- handlers
class Conn:
    def __init__(self, broker, sock, n):
        self.broker, self.sock, self.n = broker, sock, n

    # -- framing
    def recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def serve(self):
        while True:
            head = self.recv_exact(4)
            if head is None:
                return
            size = struct.unpack(">i", head)[0]
            if size < 8 or size > 100 << 20:
                log("conn %d: bad frame size %d" % (self.n, size))
                return
            body = self.recv_exact(size)
            if body is None:
                return
            if not self.handle(head + body):
                return

    def handle(self, frame):
        r = Reader(frame[4:])
        api, ver, corr = r.i16(), r.i16(), r.i32()
        client_id = r.string()  # header v1+: a non-compact nullable string even in flexible requests
        flexible = api in FLEXIBLE and ver >= FLEXIBLE[api]
        if flexible:
            r.flex = True
            r.tags()
        self.broker.dump(self.n, api, ver, "c2s", frame)
        lo, hi = SUPPORTED.get(api, (0, -1))
        hi = min(hi, self.broker.max_versions.get(api, hi))
        if api == 18 and not lo <= ver <= hi:
            return self.reply(api, 0, corr, self.api_versions(ver, supported=False), flexible_hdr=False)
        if not lo <= ver <= hi:
            log("conn %d: unsupported %s v%d from %r: closing" % (self.n, API_NAMES.get(api, api), ver, client_id))
            return False
        w = Writer(flexible)
        try:
            if api == 0:
                body = self.produce(r, ver, w)
                if body is None:  # acks=0: no response
                    return True
            else:
                body = getattr(self, "api_%d" % api)(r, ver, w)
        except Truncated as e:
            log("conn %d: malformed %s v%d: %s" % (self.n, API_NAMES.get(api, api), ver, e))
            return False
        return self.reply(api, ver, corr, body, flexible_hdr=flexible and api != 18)

    def reply(self, api, ver, corr, body, flexible_hdr):
        hdr = struct.pack(">i", corr) + (b"\x00" if flexible_hdr else b"")
        payload = hdr + body
        frame = struct.pack(">i", len(payload)) + payload
        self.broker.dump(self.n, api, ver, "s2c", frame)
        self.sock.sendall(frame)
        return True

    # -- ApiVersions (18)
    def api_versions(self, ver, supported=True):
        if not supported:  # unsupported request version: v0 answer, error 35, our ApiVersions range
            w = Writer(False)
            w.i16(UNSUPPORTED_VERSION)
            w.array([(18, 0, 3)], lambda w, k: w.i16(k[0]).i16(k[1]).i16(k[2]))
            return w.data()
        w = Writer(ver >= 3)
        w.i16(NONE)
        keys = [(k, lo, min(hi, self.broker.max_versions.get(k, hi))) for k, (lo, hi) in sorted(SUPPORTED.items())]
        w.array(keys, lambda w, k: (w.i16(k[0]).i16(k[1]).i16(k[2]), w.tags()))
        if ver >= 1:
            w.i32(0)
        return w.tags().data()

    def api_18(self, r, ver, w):
        if ver >= 3:
            r.string(), r.string()  # client software name and version
            r.tags()
        return self.api_versions(ver)

    # -- Metadata (3)
    def api_3(self, r, ver, w):
        def topic_req(r):
            tid = r.uuid() if ver >= 10 else None
            name = r.string()
            r.tags()
            return name if name is not None else self.broker.topic_by_id(tid)
        names = r.array(topic_req)
        if names is None or (ver == 0 and not names):
            names = sorted(self.broker.topics)
        for n in names:
            if n:
                self.broker.topic(n)
        if ver >= 3:
            w.i32(0)
        w.array([1], lambda w, _: (w.i32(1), w.string("127.0.0.1"), w.i32(self.broker.port),
                                   w.string(None) if ver >= 1 else None, w.tags()))
        if ver >= 2:
            w.string("obi-test-cluster")
        if ver >= 1:
            w.i32(1)

        def part(w, i):
            w.i16(NONE).i32(i).i32(1)
            if ver >= 7:
                w.i32(0)
            w.array([1], lambda w, x: w.i32(x))
            w.array([1], lambda w, x: w.i32(x))
            if ver >= 5:
                w.array([], lambda w, x: w.i32(x))
            w.tags()

        def topic(w, name):
            parts = self.broker.topic(name, create=False)
            w.i16(NONE if parts else UNKNOWN_TOPIC_OR_PARTITION)
            w.string(name)
            if ver >= 10:
                w.raw(self.broker.topic_ids.get(name, bytes(16)))
            if ver >= 1:
                w.i8(0)
            w.array(list(range(len(parts or []))), part)
            if ver >= 8:
                w.i32(-2147483648)
            w.tags()
        w.array([n for n in names if n], topic)
        if 8 <= ver <= 10:
            w.i32(-2147483648)
        return w.tags().data()

    # -- Produce (0)
    def produce(self, r, ver, w):
        if ver >= 3:
            r.string()
        acks, _timeout = r.i16(), r.i32()

        def part(r):
            idx, records = r.i32(), r.bytes_()
            r.tags()
            return idx, records

        def topic(r):
            name = self.broker.topic_by_id(r.uuid()) if ver >= 13 else r.string()
            parts = r.array(part)
            r.tags()
            return name, parts
        topics = r.array(topic) or []
        r.tags()
        results = []
        with self.broker.lock:
            for name, parts in topics:
                plist = self.broker.topic(name) if name else []
                res = []
                for idx, records in parts or []:
                    if not 0 <= idx < len(plist):
                        res.append((idx, UNKNOWN_TOPIC_OR_PARTITION, -1))
                        continue
                    p = plist[idx]
                    base = p.next_offset
                    for b in rewrite_offsets(records or b"", base):
                        p.batches.append(b)
                        p.next_offset = b[1] + 1
                    res.append((idx, NONE, base))
                results.append((name, res))
            self.broker.lock.notify_all()
        if acks == 0:
            return None

        def part_out(w, pr):
            w.i32(pr[0]).i16(pr[1]).i64(pr[2])
            if ver >= 2:
                w.i64(-1)
            if ver >= 5:
                w.i64(0)
            if ver >= 8:
                w.array([], None)
                w.string(None)
            w.tags()
        w.array(results, lambda w, t: ((w.raw(self.broker.topic_ids.get(t[0], bytes(16))) if ver >= 13
                                        else w.string(t[0])), w.array(t[1], part_out), w.tags()))
        if ver >= 1:
            w.i32(0)
        return w.tags().data()

    # -- Fetch (1)
    def api_1(self, r, ver, w):
        if ver <= 14:
            r.i32()  # replica id
        max_wait, _min_bytes = r.i32(), r.i32()
        if ver >= 3:
            r.i32()
        if ver >= 4:
            r.i8()
        if ver >= 7:
            r.i32(), r.i32()

        def part(r):
            idx = r.i32()
            if ver >= 9:
                r.i32()
            offset = r.i64()
            if ver >= 12:
                r.i32()
            if ver >= 5:
                r.i64()
            max_bytes = r.i32()
            r.tags()
            return idx, offset, max_bytes

        def topic(r):
            t = r.uuid() if ver >= 13 else r.string()
            parts = r.array(part)
            r.tags()
            return t, parts
        topics = r.array(topic) or []
        deadline = time.monotonic() + min(max(max_wait, 0), 5000) / 1000.0

        def collect():
            out, have = [], False
            for t, parts in topics:
                name = self.broker.topic_by_id(t) if ver >= 13 else t
                plist = self.broker.topics.get(name) if name else None
                res = []
                for idx, offset, max_bytes in parts or []:
                    if not plist or not 0 <= idx < len(plist):
                        res.append((idx, UNKNOWN_TOPIC_OR_PARTITION, -1, b""))
                        continue
                    p = plist[idx]
                    if offset < 0 or offset > p.next_offset:
                        res.append((idx, OFFSET_OUT_OF_RANGE, p.next_offset, b""))
                        continue
                    data = bytearray()
                    for base, last, b in p.batches:
                        if last < offset:
                            continue
                        if data and len(data) + len(b) > max_bytes:
                            break
                        data += b
                    have = have or bool(data)
                    res.append((idx, NONE, p.next_offset, bytes(data)))
                out.append((t, res))
            return out, have
        with self.broker.lock:
            while True:
                result, have = collect()
                left = deadline - time.monotonic()
                if have or left <= 0:
                    break
                self.broker.lock.wait(left)
        if ver >= 1:
            w.i32(0)
        if ver >= 7:
            w.i16(NONE).i32(0)

        def part_out(w, pr):
            idx, err, hwm, data = pr
            w.i32(idx).i16(err).i64(hwm)
            if ver >= 4:
                w.i64(hwm)
            if ver >= 5:
                w.i64(0)
            if ver >= 4:
                w.array([], None)
            if ver >= 11:
                w.i32(-1)
            w.bytes_(data)
            w.tags()

        def topic_out(w, t):
            (w.raw(t[0]) if ver >= 13 else w.string(t[0]))
            w.array(t[1], part_out)
            w.tags()
        w.array(result, topic_out)
        return w.tags().data()

    # -- ListOffsets (2)
    def api_2(self, r, ver, w):
        r.i32()
        if ver >= 2:
            r.i8()

        def part(r):
            idx = r.i32()
            if ver >= 4:
                r.i32()
            ts = r.i64()
            if ver == 0:
                r.i32()
            r.tags()
            return idx, ts

        def topic(r):
            name = r.string()
            parts = r.array(part)
            r.tags()
            return name, parts
        topics = r.array(topic) or []
        if ver >= 2:
            w.i32(0)

        def part_out(w, pr, plist):
            idx, ts = pr
            if not plist or not 0 <= idx < len(plist):
                err, off = UNKNOWN_TOPIC_OR_PARTITION, -1
            else:
                err, off = NONE, (0 if ts == -2 else plist[idx].next_offset)
            w.i32(idx).i16(err)
            if ver == 0:
                w.array([off], lambda w, o: w.i64(o))
            else:
                w.i64(-1).i64(off)
                if ver >= 4:
                    w.i32(0)
            w.tags()

        def topic_out(w, t):
            plist = self.broker.topic(t[0])
            w.string(t[0])
            w.array(t[1] or [], lambda w, pr: part_out(w, pr, plist))
            w.tags()
        w.array(topics, topic_out)
        return w.tags().data()

    # -- FindCoordinator (10)
    def api_10(self, r, ver, w):
        if ver <= 3:
            key = r.string()
            if ver >= 1:
                r.i8()
            keys = [key]
        else:
            r.i8()
            keys = r.array(lambda r: r.string()) or []
        r.tags()
        if ver >= 1:
            w.i32(0)
        if ver <= 3:
            w.i16(NONE)
            if ver >= 1:
                w.string(None)
            w.i32(1).string("127.0.0.1").i32(self.broker.port)
        else:
            w.array(keys, lambda w, k: (w.string(k), w.i32(1), w.string("127.0.0.1"), w.i32(self.broker.port),
                                        w.i16(NONE), w.string(None), w.tags()))
        return w.tags().data()

    # -- groups (one member each)
    def group(self, name):
        return self.broker.groups.setdefault(name, {"generation": 0, "member": None, "protocol": None,
                                                     "assignment": b"", "offsets": {}})

    def api_11(self, r, ver, w):  # JoinGroup
        gid = r.string()
        r.i32()
        if ver >= 1:
            r.i32()
        member = r.string()
        if ver >= 5:
            r.string()
        r.string()  # protocol type
        protos = r.array(lambda r: (r.string(), r.bytes_(), r.tags())[:2]) or []
        if ver >= 8:
            r.string()
        r.tags()
        with self.broker.lock:
            g = self.group(gid)
            if not member:
                member = "%s-member-%d" % (gid, self.n)
            g["generation"] += 1
            g["member"] = member
            g["protocol"] = protos[0][0] if protos else ""
            gen = g["generation"]
        if ver >= 2:
            w.i32(0)
        w.i16(NONE).i32(gen)
        if ver >= 7:
            w.string("consumer")
        w.string(protos[0][0] if protos else "")
        w.string(member).string(member)

        def m(w, p):
            w.string(member)
            if ver >= 5:
                w.string(None)
            w.bytes_(p[1] or b"")
            w.tags()
        w.array(protos[:1], m)
        return w.tags().data()

    def api_14(self, r, ver, w):  # SyncGroup
        gid, _gen, _member = r.string(), r.i32(), r.string()
        if ver >= 3:
            r.string()
        if ver >= 5:
            r.string(), r.string()
        assigns = r.array(lambda r: (r.string(), r.bytes_(), r.tags())[:2]) or []
        r.tags()
        with self.broker.lock:
            g = self.group(gid)
            if assigns:
                g["assignment"] = assigns[0][1] or b""
            data = g["assignment"]
        if ver >= 1:
            w.i32(0)
        w.i16(NONE)
        if ver >= 5:
            w.string("consumer").string(g["protocol"])
        w.bytes_(data)
        return w.tags().data()

    def api_12(self, r, ver, w):  # Heartbeat
        if ver >= 1:
            w.i32(0)
        w.i16(NONE)
        return w.tags().data()

    def api_13(self, r, ver, w):  # LeaveGroup
        if ver >= 1:
            w.i32(0)
        w.i16(NONE)
        if ver >= 3:
            w.array([], None)
        return w.tags().data()

    def api_8(self, r, ver, w):  # OffsetCommit
        gid = r.string()
        if ver >= 1:
            r.i32(), r.string()
        if ver >= 7:
            r.string()
        if 2 <= ver <= 4:
            r.i64()

        def part(r):
            idx, off = r.i32(), r.i64()
            if ver >= 6:
                r.i32()
            if ver == 1:
                r.i64()
            r.string()
            r.tags()
            return idx, off

        def topic(r):
            name = r.string()
            parts = r.array(part)
            r.tags()
            return name, parts
        topics = r.array(topic) or []
        r.tags()
        with self.broker.lock:
            g = self.group(gid)
            for name, parts in topics:
                for idx, off in parts or []:
                    g["offsets"][(name, idx)] = off
        if ver >= 3:
            w.i32(0)
        w.array(topics, lambda w, t: (w.string(t[0]),
                                      w.array(t[1] or [], lambda w, p: (w.i32(p[0]), w.i16(NONE), w.tags())),
                                      w.tags()))
        return w.tags().data()

    def api_9(self, r, ver, w):  # OffsetFetch
        gid = r.string()
        topics = r.array(lambda r: (r.string(), r.array(lambda r: r.i32()), r.tags())[:2])
        if ver >= 7:
            r.i8()
        r.tags()
        with self.broker.lock:
            g = self.group(gid)
            if topics is None:
                names = sorted({k[0] for k in g["offsets"]})
                topics = [(n, sorted(i for t, i in g["offsets"] if t == n)) for n in names]
            offsets = dict(g["offsets"])
        if ver >= 3:
            w.i32(0)

        def p(w, name, idx):
            w.i32(idx).i64(offsets.get((name, idx), -1))
            if ver >= 5:
                w.i32(-1)
            w.string(None).i16(NONE).tags()
        w.array(topics, lambda w, t: (w.string(t[0]), w.array(t[1] or [], lambda w, i: p(w, t[0], i)), w.tags()))
        if ver >= 2:
            w.i16(NONE)
        return w.tags().data()

    def api_22(self, r, ver, w):  # InitProducerId
        with self.broker.lock:
            self.broker.producer_id += 1
            pid = self.broker.producer_id
        w.i32(0).i16(NONE).i64(pid).i16(0)
        return w.tags().data()


def log(msg):
    sys.stderr.write("kafka_broker: %s\n" % msg)
    sys.stderr.flush()


# ------------------------------------------------------------------------------------------- raw client
def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _varint(v):
    return Writer().uvarint((v << 1) ^ (v >> 63)).data()


def record_batch(values, timestamp_ms=None):
    """A magic-2 record batch (base offset 0, no compression) holding `values` (bytes)."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    recs = b""
    for i, v in enumerate(values):
        body = b"\x00" + _varint(0) + _varint(i) + _varint(-1) + _varint(len(v)) + v + _varint(0)
        recs += _varint(len(body)) + body
    after_crc = (struct.pack(">hiqqqhii", 0, len(values) - 1, ts, ts, -1, -1, -1, len(values)) + recs)
    head = struct.pack(">i", 0) + b"\x02" + struct.pack(">I", crc32c(after_crc))
    batch = head + after_crc
    return struct.pack(">qi", 0, len(batch)) + batch


class RawClient:
    """One connection speaking exact API versions, for the versions real clients here never send."""

    def __init__(self, port, client_id="obi-raw-client", host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.client_id, self.corr = client_id, 0

    def close(self):
        self.sock.close()

    def frame(self, api, ver, body):
        self.corr += 1
        flexible = api in FLEXIBLE and ver >= FLEXIBLE[api]
        hdr = struct.pack(">hhi", api, ver, self.corr) + Writer(False).string(self.client_id).data()
        payload = hdr + (b"\x00" if flexible else b"") + body
        return struct.pack(">i", len(payload)) + payload

    def call(self, api, ver, body, expect_response=True):
        """Sends one request; returns (request frame, response frame or None)."""
        req = self.frame(api, ver, body)
        self.sock.sendall(req)
        if not expect_response:
            return req, None
        head = self._recv(4)
        return req, head + self._recv(struct.unpack(">i", head)[0])

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return buf

    @staticmethod
    def body_reader(api, ver, resp):
        """A Reader positioned at the body of response frame `resp`."""
        flexible = api in FLEXIBLE and ver >= FLEXIBLE[api] and api != 18
        r = Reader(resp[8:], flexible)
        r.tags()
        return r

    def metadata(self, ver, topics):
        w = Writer(ver >= 9)
        w.array(topics, lambda w, t: ((w.raw(bytes(16)) if ver >= 10 else None), w.string(t), w.tags()))
        if ver >= 4:
            w.i8(1)
        if 8 <= ver <= 10:
            w.i8(0)
        if ver >= 8:
            w.i8(0)
        return self.call(3, ver, w.tags().data())

    def topic_ids(self, ver, resp):
        """{name: uuid bytes} from a Metadata v10+ response."""
        r = self.body_reader(3, ver, resp)
        r.i32()
        r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string(), r.tags()))
        r.string(), r.i32()
        out = {}

        def topic(r):
            r.i16()
            name, tid = r.string(), r.uuid()
            r.i8()
            r.array(lambda r: (r.i16(), r.i32(), r.i32(), r.i32(), r.array(lambda r: r.i32()),
                               r.array(lambda r: r.i32()), r.array(lambda r: r.i32()), r.tags()))
            r.i32()
            r.tags()
            out[name] = tid
        r.array(topic)
        return out

    def produce(self, ver, topic, values, partition=0, acks=1, topic_id=None):
        w = Writer(ver >= 9)
        if ver >= 3:
            w.string(None)
        w.i16(acks).i32(5000)
        w.array([topic], lambda w, t: ((w.raw(topic_id) if ver >= 13 else w.string(t)),
                                       w.array([partition], lambda w, p: (w.i32(p), w.bytes_(record_batch(values)),
                                                                          w.tags())),
                                       w.tags()))
        return self.call(0, ver, w.tags().data(), expect_response=acks != 0)

    def fetch(self, ver, topic, offset, partition=0, max_wait_ms=100, topic_id=None):
        w = Writer(ver >= 12)
        if ver <= 14:
            w.i32(-1)
        w.i32(max_wait_ms).i32(1)
        if ver >= 3:
            w.i32(1 << 20)
        if ver >= 4:
            w.i8(0)
        if ver >= 7:
            w.i32(0).i32(-1)

        def part(w, p):
            w.i32(p)
            if ver >= 9:
                w.i32(-1)
            w.i64(offset)
            if ver >= 12:
                w.i32(-1)
            if ver >= 5:
                w.i64(-1)
            w.i32(1 << 20)
            w.tags()
        w.array([topic], lambda w, t: ((w.raw(topic_id) if ver >= 13 else w.string(t)), w.array([partition], part),
                                       w.tags()))
        if ver >= 7:
            w.array([], None)
        if ver >= 11:
            w.string("")
        return self.call(1, ver, w.tags().data())

    def api_versions(self, ver):
        w = Writer(ver >= 3)
        if ver >= 3:
            w.string("obi-raw-client").string("1.0").tags()
        return self.call(18, ver, w.data())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--partitions", type=int, default=1)
    ap.add_argument("--dump", metavar="DIR")
    ap.add_argument("--max-version", action="append", default=[], metavar="KEY=V")
    args = ap.parse_args()
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
    maxv = {}
    for kv in args.max_version:
        k, v = kv.split("=")
        maxv[int(k)] = int(v)
    broker = Broker(args.port, args.partitions, args.dump, maxv)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with broker.lock:
                broker.conn_no += 1
                n = broker.conn_no
            try:
                Conn(broker, self.request, n).serve()
            except (ConnectionError, OSError):
                pass
            except Exception as e:  # a bug of ours: say so, keep serving others
                log("conn %d: %r" % (n, e))

    srv = Server(("127.0.0.1", args.port), Handler)
    print("ready kafka 127.0.0.1:%d pid=%d" % (args.port, os.getpid()), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
