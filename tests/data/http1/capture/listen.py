# Capture listener: accepts `conns` connections, records the exact bytes each client sends,
# answers 100-continue, and replies once per request head after the client goes idle.
import socket, sys, time, re
port = int(sys.argv[1]); out = sys.argv[2]; fam = socket.AF_INET6 if '-6' in sys.argv else socket.AF_INET
conns = int(next((a.split('=')[1] for a in sys.argv if a.startswith('conns=')), '1'))
s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::1' if fam == socket.AF_INET6 else '127.0.0.1', port)); s.listen(8)
print("ready", flush=True)
for k in range(conns):
    c, _ = s.accept(); c.settimeout(0.6); buf = b''; sent100 = False
    while True:
        try:
            d = c.recv(65536)
        except socket.timeout:
            n = len(re.findall(rb'(?m)^[A-Z]+ \S+ HTTP/1\.\d\r?\n', buf))
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok' * max(n, 1))
            c.settimeout(0.6)
            try:
                d = c.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d: break
            buf += d; continue
        if not d: break
        buf += d
        if not sent100 and b'\r\n\r\n' in buf and re.search(rb'(?i)\r\nexpect: *100-continue', buf.split(b'\r\n\r\n')[0]):
            c.sendall(b'HTTP/1.1 100 Continue\r\n\r\n'); sent100 = True
    c.close()
    name = out if conns == 1 else out.replace('.bin', f'_{k}.bin')
    open(name, 'wb').write(buf)
    print("captured", name, len(buf), flush=True)
