#!/usr/bin/python3
"""Builds and describes the HTTP/2 and gRPC test peers of tests/apps/grpc (stdlib only).

Used by tests/integration/test_grpc.py, test_http2.py and bench/http2_nginx.py, and by hand:
    /usr/bin/python3 tests/apps/grpc/grpc_apps.py DIR     # builds everything into DIR, prints the commands

  gRPC Echo (echo.proto) servers and clients in four stacks:
    python   grpcio 1.51 (Debian python3-grpcio), stubs from grpc_tools.protoc
    node     @grpc/grpc-js 1.14.7 + @grpc/proto-loader 0.8.1 (node/package.json + lock, `npm ci`)
    go       grpc-go 1.33 (Debian golang-google-grpc-dev), GOPATH mode, protoc-gen-go plugins=grpc
    cpp      grpc++ 1.51 (Debian libgrpc++-dev), protoc + grpc_cpp_plugin, g++ + pkg-config
  server argv: <server> PORT   -> prints "ready grpc-<lang> 127.0.0.1:PORT"
  client argv: <client> PORT [wait] -> Say, Fail(5), Fail(2), Stream(3); prints "done"
  go_h2c: Go net/http + x/net/http2/h2c (prior knowledge and HTTP/1.1 Upgrade)
  h2_longlived.py: a python3-h2 client that keeps one connection open between request batches
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "echo.proto")
NODE_DIR = os.path.join(HERE, "node")
PYTHON = "/usr/bin/python3"
LANGS = ("python", "node", "go", "cpp")
NPM_LOCK = "/tmp/obi-grpc-node-npm.lock"


def _env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OBI_"))}
    env.update(extra or {})
    return env


def _newer(out, *srcs):
    return os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(s) for s in srcs)


def _run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(argv), out.returncode, out.stdout[-3000:],
                                                       out.stderr[-3000:]))
    return out


class GrpcApps:
    """Builds each stack once into build_dir (incrementally) and gives the argv of its server and client."""

    def __init__(self, build_dir):
        self.dir = os.path.join(os.path.abspath(build_dir), "grpc-apps")
        os.makedirs(self.dir, exist_ok=True)
        self._built = set()

    # ------------------------------------------------------------------------------------- builds
    def build(self, lang):
        if lang in self._built:
            return
        getattr(self, "_build_" + lang)()
        self._built.add(lang)

    def _build_python(self):
        out = os.path.join(self.dir, "py")
        os.makedirs(out, exist_ok=True)
        if not _newer(os.path.join(out, "echo_pb2_grpc.py"), PROTO):
            _run([PYTHON, "-m", "grpc_tools.protoc", "-I", HERE, "--python_out", out, "--grpc_python_out", out, PROTO])

    def _build_node(self):
        """`npm ci` (exactly the lock file) when node_modules is missing or from another lock file."""
        lock = os.path.join(NODE_DIR, "package-lock.json")
        with open(lock, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        marker = os.path.join(NODE_DIR, "node_modules", ".obi-lock-sha256")
        with open(NPM_LOCK, "w") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            try:
                with open(marker) as f:
                    if f.read().strip() == want:
                        return
            except OSError:
                pass
            npm = shutil.which("npm")
            if not npm:
                raise RuntimeError("npm not found")
            _run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, env=_env())
            with open(marker, "w") as f:
                f.write(want)

    def _gopath(self):
        return os.path.join(self.dir, "gopath")

    def _go_env(self):
        return _env({"GO111MODULE": "off", "GOPATH": self._gopath() + ":/usr/share/gocode",
                     "GOCACHE": os.path.join(self.dir, "gocache"), "GOFLAGS": ""})

    def _build_go(self):
        src = os.path.join(self._gopath(), "src", "obitest")
        stubs = os.path.join(src, "echo")
        os.makedirs(stubs, exist_ok=True)
        if not _newer(os.path.join(stubs, "echo.pb.go"), PROTO):
            _run(["protoc", "-I", HERE, "--go_out=plugins=grpc,paths=source_relative:" + stubs, PROTO])
        for part in ("server", "client"):
            d = os.path.join(src, part)
            os.makedirs(d, exist_ok=True)
            shutil.copyfile(os.path.join(HERE, "go", part, "main.go"), os.path.join(d, "main.go"))
            out = os.path.join(self.dir, "obi_grpc_go_" + part)
            if not _newer(out, os.path.join(HERE, "go", part, "main.go"), PROTO):
                _run(["go", "build", "-o", out, "obitest/" + part], env=self._go_env(), cwd=d)

    def _build_cpp(self):
        out = os.path.join(self.dir, "cpp")
        os.makedirs(out, exist_ok=True)
        if not _newer(os.path.join(out, "echo.grpc.pb.cc"), PROTO):
            _run(["protoc", "-I", HERE, "--cpp_out", out, "--grpc_out", out,
                  "--plugin=protoc-gen-grpc=" + shutil.which("grpc_cpp_plugin"), PROTO])
        flags = _run(["pkg-config", "--cflags", "--libs", "grpc++", "protobuf"]).stdout.split()
        for part in ("server", "client"):
            src = os.path.join(HERE, "cpp", part + ".cpp")
            binary = os.path.join(self.dir, "obi_grpc_cpp_" + part)
            if not _newer(binary, src, PROTO):
                _run(["g++", "-std=c++17", "-O1", "-I", out, src, os.path.join(out, "echo.pb.cc"),
                      os.path.join(out, "echo.grpc.pb.cc"), "-o", binary] + flags)

    def build_go_h2c(self):
        out = os.path.join(self.dir, "go_h2c")
        src = os.path.join(HERE, "go_h2c", "main.go")
        if not _newer(out, src):
            _run(["go", "build", "-o", out, src], env=self._go_env())
        return out

    # ------------------------------------------------------------------------------------- argv
    def server_argv(self, lang, port):
        self.build(lang)
        if lang == "python":
            return [PYTHON, os.path.join(HERE, "python", "server.py"), str(port), os.path.join(self.dir, "py")]
        if lang == "node":
            return ["node", os.path.join(NODE_DIR, "server.js"), str(port)]
        return [os.path.join(self.dir, "obi_grpc_%s_server" % lang), str(port)]

    def client_argv(self, lang, port, wait=False):
        self.build(lang)
        tail = ["wait"] if wait else []
        if lang == "python":
            return [PYTHON, os.path.join(HERE, "python", "client.py"), str(port), os.path.join(self.dir, "py")] + tail
        if lang == "node":
            return ["node", os.path.join(NODE_DIR, "client.js"), str(port)] + tail
        return [os.path.join(self.dir, "obi_grpc_%s_client" % lang), str(port)] + tail


def main():
    apps = GrpcApps(sys.argv[1] if len(sys.argv) > 1 else "/tmp/obi-grpc-apps")
    for lang in LANGS:
        print("%-7s server: %s" % (lang, " ".join(apps.server_argv(lang, "PORT"))))
        print("%-7s client: %s" % (lang, " ".join(apps.client_argv(lang, "PORT"))))
    print("go_h2c: %s PORT" % apps.build_go_h2c())


if __name__ == "__main__":
    main()
