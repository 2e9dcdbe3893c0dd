# rawclient.py PORT OUT 'REQ' [--expect BODYLEN]: sends raw request bytes (Python escapes
# allowed), reads the server's bytes until close or 1 s of silence, writes them to OUT.
import socket, sys, time
port, out, req = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode().decode('unicode_escape').encode('latin1')
s = socket.create_connection(('127.0.0.1', port)); s.settimeout(1.0)
buf = b''
if '--expect' in sys.argv:
    n = int(sys.argv[sys.argv.index('--expect') + 1])
    s.sendall(req)
    while b'\r\n\r\n' not in buf:
        buf += s.recv(65536)
    s.sendall(b'x' * n)
else:
    s.sendall(req)
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d: break
    buf += d
open(out, 'wb').write(buf); print(out, len(buf))
