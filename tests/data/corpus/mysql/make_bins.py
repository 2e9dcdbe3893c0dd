#!/usr/bin/env python3
"""Derives the classification corpus (*.bin) of this folder from the recorded sessions (*.trace).

A .trace file is what tests/apps/tcp_recorder.py wrote for one connection: one line per recv() of the
proxy, "> hex" client-to-server, "< hex" server-to-client. This script writes, per session:
  <session>_greeting.s2c.bin     the server's greeting (the first burst of a MySQL connection)
  <session>_midstream.c2s.bin    the first command after authentication (a connection seen mid-stream)
  <session>_midstream.s2c.bin    its answer, when it is a result set or an error
Identical bursts are written once. Run: python3 make_bins.py (in this folder).
"""
import glob
import os
import sys


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
        picks = [("%s_greeting.s2c.bin" % name, bs[0][1])] if bs and bs[0][0] == "<" else []
        for i, (m, b) in enumerate(bs):
            # a command: sequence id 0, after the handshake (the greeting is burst 0)
            if i >= 3 and m == ">" and len(b) > 4 and b[3] == 0 and b[4] in (0x03, 0x16, 0x17):
                picks.append(("%s_midstream.c2s.bin" % name, b))
                if i + 1 < len(bs) and bs[i + 1][0] == "<":
                    r = bs[i + 1][1]
                    if r[3] == 1 and (r[4] == 0xff or b"\x03def" in r[:64]):
                        picks.append(("%s_midstream.s2c.bin" % name, r[:512]))
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
