#!/usr/bin/env python3
"""Derives the classification corpus (*.bin) of this folder from the recorded sessions (*.trace).

A .trace file is what tests/apps/tcp_recorder.py wrote for one connection: one line per recv() of the
proxy, "> hex" client-to-server, "< hex" server-to-client. This script writes, per session:
  <session>_startup.c2s.bin      the client's StartupMessage (or SSLRequest) burst
  <session>_midstream.c2s.bin    the first query burst after authentication (a connection seen mid-stream)
  <session>_midstream.s2c.bin    its answer, when the whole answer fits the detector's 512-byte window
Identical bursts are written once. Run: python3 make_bins.py (in this folder). MySQL: ../mysql/make_bins.py.
"""
import glob
import os
import sys

DETECT_WINDOW = 512


def bursts(path):
    out = []
    for line in open(path):
        mark, hexdata = line.split()
        data = bytes.fromhex(hexdata)
        if out and out[-1][0] == mark:
            out[-1][1].extend(data)
        else:
            out.append((mark, bytearray(data)))
    return [(m, bytes(b)) for m, b in out]


def main(folder):
    seen = set()
    for trace in sorted(glob.glob(os.path.join(folder, "*.trace"))):
        name = os.path.basename(trace)[:-len(".trace")]
        bs = bursts(trace)
        picks = []
        startup = [b for m, b in bs if m == ">" and b[:1] == b"\0"]
        for i, b in enumerate(startup):
            picks.append(("%s_%s.c2s.bin" % (name, "ssl_request" if len(b) == 8 else "startup"), b))
        # after the first ReadyForQuery the client sends its first query
        for i, (m, b) in enumerate(bs):
            if m == ">" and b[:1] in (b"Q", b"P", b"B"):
                picks.append(("%s_midstream.c2s.bin" % name, b))
                if i + 1 < len(bs) and bs[i + 1][0] == "<" and len(bs[i + 1][1]) <= DETECT_WINDOW \
                        and bs[i + 1][1][-6:-1] == b"Z\0\0\0\x05":
                    picks.append(("%s_midstream.s2c.bin" % name, bs[i + 1][1]))
                break
        for fname, data in picks:
            if data in seen:
                continue
            seen.add(data)
            with open(os.path.join(folder, fname), "wb") as f:
                f.write(data)
            print(fname, len(data))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
