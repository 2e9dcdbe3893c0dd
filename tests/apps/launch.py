#!/usr/bin/python3
"""Builds and starts the sample servers and clients of tests/apps (stdlib only).

Used by tests/integration/conftest.py and bench/http_nginx.py, and by hand:
  /usr/bin/python3 tests/apps/launch.py run python --port 18080     # foreground until Ctrl-C
  /usr/bin/python3 tests/apps/launch.py run nginx --port 18080 --workers 2
  /usr/bin/python3 tests/apps/launch.py build DIR                   # go server, java classes, C client into DIR

Every server listens on 127.0.0.1:<port>, is its own session leader (start_new_session) and is stopped by
its PID only. Nothing here depends on the agent.
"""
import argparse
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

APPS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(APPS_DIR))
PYTHON = "/usr/bin/python3"  # Debian's python (pyenv's python3 on PATH is a different exe)
LANGUAGES = ("python", "node", "go", "java")

_live = []  # ServerProcess objects not yet stopped; killed at interpreter exit as a last resort


def clean_env(extra=None):
    """The caller's environment without OTEL_*/OBI_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OBI_", "BEYLA_"))}
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def real_exe(path):
    """Resolved executable path (what /proc/<pid>/exe shows)."""
    return os.path.realpath(shutil.which(path) or path)


class ServerProcess:
    """A started server: PID, port, log files. stop() ends it by PID."""

    def __init__(self, name, argv, port, log_dir, env=None, cwd=None, ready_text=None):
        self.name, self.argv, self.port, self.log_dir = name, list(argv), port, log_dir
        os.makedirs(log_dir, exist_ok=True)
        self.stdout_path = os.path.join(log_dir, "%s.out" % name)
        self.stderr_path = os.path.join(log_dir, "%s.err" % name)
        self.ready_text = ready_text
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=clean_env(env), cwd=cwd or log_dir, start_new_session=True)
        self.pid = self.proc.pid
        self.started_at = time.monotonic()
        _live.append(self)

    @property
    def exe(self):
        try:
            return os.readlink("/proc/%d/exe" % self.pid)
        except OSError:
            return None

    def children(self):
        """PIDs of direct children (nginx workers)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def logs(self, limit=4000):
        parts = []
        for p in (self.stdout_path, self.stderr_path):
            try:
                with open(p, "rb") as f:
                    data = f.read()
                parts.append("--- %s (%d bytes) ---\n%s" % (p, len(data), data[-limit:].decode("utf-8", "replace")))
            except OSError:
                pass
        return "\n".join(parts)

    def wait_ready(self, timeout=60.0):
        """Until the ready line is printed (if the app prints one) and the port accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s before it was ready\n%s" % (self.name, self.proc.returncode,
                                                                                 self.logs()))
            if self.ready_text:
                with open(self.stdout_path, "rb") as f:
                    if self.ready_text.encode() in f.read():
                        return self
            elif port_accepts(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s not ready on port %d after %.0fs\n%s" % (self.name, self.port, timeout, self.logs()))

    def stop(self, timeout=10.0):
        """SIGTERM by PID, then SIGKILL after `timeout`. Returns the exit code."""
        if self in _live:
            _live.remove(self)
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def __repr__(self):
        return "<%s pid=%d port=%d>" % (self.name, self.pid, self.port)


@atexit.register
def _kill_leftovers():
    for s in list(_live):
        try:
            s.stop(timeout=3)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


# ---------------------------------------------------------------------------------------------- builds

def _newer(out, *srcs):
    return os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(s) for s in srcs)


def build_go(out_dir, name="goserver"):
    """Builds the Go server with tests/apps/go/build.sh; returns the binary path."""
    out = os.path.join(out_dir, name)
    src = os.path.join(APPS_DIR, "go")
    if not _newer(out, os.path.join(src, "main.go"), os.path.join(src, "go.mod")):
        subprocess.run(["sh", os.path.join(src, "build.sh"), out_dir, name], check=True, stdout=subprocess.DEVNULL,
                       env=clean_env())
    return out


def build_java(out_dir):
    """Compiles TestServer.java into out_dir/java-classes; returns that classpath dir."""
    cls_dir = os.path.join(out_dir, "java-classes")
    src = os.path.join(APPS_DIR, "java", "TestServer.java")
    if not _newer(os.path.join(cls_dir, "TestServer.class"), src):
        os.makedirs(cls_dir, exist_ok=True)
        subprocess.run(["javac", "-d", cls_dir, src], check=True, env=clean_env())
    return cls_dir


def build_c_client(out_dir, name="obi_http_client", source="http_client.c"):
    """Compiles tests/apps/<source> with cc; returns the binary path."""
    out = os.path.join(out_dir, name)
    src = os.path.join(APPS_DIR, source)
    if not _newer(out, src):
        os.makedirs(out_dir, exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-o", out, src], check=True)
    return out


def render_nginx(scratch, port, workers=1, reuseport=False, access_log=True, user="root"):
    """Writes scratch/nginx.conf (+ html/, logs/, temp dirs) from the template; returns the conf path."""
    scratch = os.path.abspath(scratch)
    for d in ("logs", "cbt", "pt", "ft", "ut", "st"):
        os.makedirs(os.path.join(scratch, d), exist_ok=True)
    html = os.path.join(scratch, "html")
    if not os.path.isdir(html):
        shutil.copytree(os.path.join(APPS_DIR, "nginx", "html"), html)
    with open(os.path.join(APPS_DIR, "nginx", "nginx.conf.template")) as f:
        conf = f.read()
    for key, val in {"@SCRATCH@": scratch, "@PORT@": str(port), "@WORKERS@": str(workers),
                     "@LISTEN_OPTS@": "reuseport" if reuseport else "",
                     "@ACCESS_LOG@": os.path.join(scratch, "logs", "access.log") if access_log else "off",
                     "@USER@": user}.items():
        conf = conf.replace(key, val)
    path = os.path.join(scratch, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


# ---------------------------------------------------------------------------------------------- starts

def start_server(lang, port, log_dir, build_dir, env=None, name=None, exe=None, wait=True, **nginx_opts):
    """Starts one sample server. lang: python, node, go, java or nginx. `exe` overrides the Go binary
    (e.g. a renamed copy). nginx_opts: workers, reuseport, access_log. Returns a ready ServerProcess."""
    name = name or "%s-%d" % (lang, port)
    ready = "ready %s 127.0.0.1:%d" % (lang, port)
    if lang == "python":
        argv = [PYTHON, os.path.join(APPS_DIR, "python", "server.py"), str(port)]
    elif lang == "node":
        argv = ["node", os.path.join(APPS_DIR, "node", "server.js"), str(port)]
    elif lang == "go":
        argv = [exe or build_go(build_dir), str(port)]
    elif lang == "java":
        argv = ["java", "-Xms64m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                build_java(build_dir), "TestServer", str(port)]
    elif lang == "nginx":
        scratch = os.path.join(log_dir, name)
        conf = render_nginx(scratch, port, **nginx_opts)
        argv = ["nginx", "-c", conf, "-p", scratch]
        ready = None
    else:
        raise ValueError("unknown server language %r" % lang)
    srv = ServerProcess(name, argv, port, log_dir, env=env, ready_text=ready)
    srv.lang = lang
    return srv.wait_ready() if wait else srv


def nginx_workers(srv, count, timeout=10.0):
    """Waits until the nginx master has `count` worker children; returns their PIDs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = srv.children()
        if len(kids) >= count:
            return kids
        time.sleep(0.05)
    raise RuntimeError("nginx has workers %s, wanted %d\n%s" % (srv.children(), count, srv.logs()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="start one server in the foreground until Ctrl-C")
    r.add_argument("lang", choices=LANGUAGES + ("nginx",))
    r.add_argument("--port", type=int, default=0)
    r.add_argument("--workers", type=int, default=1)
    b = sub.add_parser("build", help="build the Go server, Java classes and C client into DIR")
    b.add_argument("dir")
    args = ap.parse_args()
    if args.cmd == "build":
        print(build_go(args.dir))
        print(build_java(args.dir))
        print(build_c_client(args.dir))
        return 0
    port = args.port or free_port()
    work = tempfile.mkdtemp(prefix="obi-app-")
    opts = {"workers": args.workers, "reuseport": args.workers > 1} if args.lang == "nginx" else {}
    srv = start_server(args.lang, port, work, work, **opts)
    print("%s listening on 127.0.0.1:%d (pid %d, logs in %s); Ctrl-C stops it" % (args.lang, port, srv.pid, work),
          flush=True)
    try:
        while srv.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
