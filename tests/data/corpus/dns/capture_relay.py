# Recording DNS relay: UDP and TCP on 127.0.0.1:LISTEN -> 127.0.0.1:UPSTREAM; writes each
# client message and each server reply to OUT/<n>.<udp|tcp>.<c2s|s2c>.bin
import os, select, socket, sys, threading
listen, upstream, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
n = [0]
lock = threading.Lock()
def name(kind):
    with lock:
        n[0] += 1
        return os.path.join(out, "%03d.%s" % (n[0], kind))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", listen))
    while True:
        q, addr = s.recvfrom(65535)
        base = name("udp")
        open(base + ".c2s.bin", "wb").write(q)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
        u.sendto(q, ("127.0.0.1", upstream))
        try:
            r, _ = u.recvfrom(65535)
        except socket.timeout:
            continue
        open(base + ".s2c.bin", "wb").write(r)
        s.sendto(r, addr)
def tcp_conn(c):
    u = socket.create_connection(("127.0.0.1", upstream))
    base = name("tcp")
    c2s = open(base + ".c2s.bin", "wb"); s2c = open(base + ".s2c.bin", "wb")
    while True:
        rd, _, _ = select.select([c, u], [], [], 5)
        if not rd: break
        done = False
        for x in rd:
            d = x.recv(65535)
            if not d: done = True; break
            if x is c: c2s.write(d); c2s.flush(); u.sendall(d)
            else: s2c.write(d); s2c.flush(); c.sendall(d)
        if done: break
    c.close(); u.close()
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", listen)); s.listen(8)
    while True:
        c, _ = s.accept(); threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()
threading.Thread(target=udp, daemon=True).start()
tcp()
