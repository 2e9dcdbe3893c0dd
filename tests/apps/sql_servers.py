"""Real database servers for the SQL tests and bench/pgbench.py: PostgreSQL 15 (initdb + pg_ctl) and MariaDB 10.11
(mariadb-install-db + mariadbd) in a scratch directory on a free loopback port, stopped by PID (pg_ctl stop for
PostgreSQL). Also installs the node clients of tests/apps/sql_node (npm ci) when needed. Stdlib only.
"""
import os
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PG_BIN = "/usr/lib/postgresql/15/bin"
NODE_DIR = os.path.join(HERE, "sql_node")


def _scratch(prefix):
    """A directory the server's own user can enter (pytest's temp dirs are private to root)."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    return d


def _chown_tree(path, user):
    subprocess.run(["chown", "-R", user + ":", path], check=True)


class Postgres:
    """A PostgreSQL cluster owned by user postgres, trust authentication, listening on 127.0.0.1:port."""

    def __init__(self, port):
        self.dir, self.port = _scratch("obi-pg-%d-" % port), port
        self.data = os.path.join(self.dir, "data")

    def start(self):
        _chown_tree(self.dir, "postgres")
        self._su("%s/initdb -D %s -A trust -U postgres" % (PG_BIN, self.data))
        self._su("%s/pg_ctl -D %s -l %s/log -o '-p %d -k %s -c listen_addresses=127.0.0.1' -w start"
                 % (PG_BIN, self.data, self.dir, self.port, self.dir))
        return self

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._su("%s/pg_ctl -D %s -m fast -w stop" % (PG_BIN, self.data), check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def _su(self, cmd, check=True):
        out = subprocess.run(["su", "postgres", "-c", cmd], capture_output=True, text=True, timeout=120, cwd="/tmp")
        if check and out.returncode != 0:
            raise AssertionError("%s failed: %s %s" % (cmd, out.stdout, out.stderr))
        return out

    def psql(self, sql, db="postgres", check=True):
        """Runs `sql` with psql (the real binary, not Debian's wrapper) as a separate process."""
        out = subprocess.run([PG_BIN + "/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-X",
                              "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError("psql %r: %s" % (sql, out.stderr))
        return out


class MariaDB:
    """A MariaDB server (user mysql) on 127.0.0.1:port with a password user `app` and database `shop`."""

    def __init__(self, port):
        self.dir, self.port = _scratch("obi-maria-%d-" % port), port
        self.proc = None

    def start(self, timeout=30):
        _chown_tree(self.dir, "mysql")
        out = subprocess.run(["mariadb-install-db", "--user=mysql", "--datadir=%s/data" % self.dir,
                              "--auth-root-authentication-method=normal"], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError("mariadb-install-db failed: %s" % out.stderr[-2000:])
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(["mariadbd", "--no-defaults", "--user=mysql", "--datadir=%s/data" % self.dir,
                                      "--bind-address=127.0.0.1", "--port=%d" % self.port,
                                      "--socket=%s/sock" % self.dir, "--pid-file=%s/pid" % self.dir],
                                     stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.cli("SELECT 1", user="root", password=None, check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("mariadbd did not start: %s" % open(os.path.join(self.dir, "log")).read()[-2000:])
            time.sleep(0.2)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, sql, user="app", password="secret", db=None, check=True):
        argv = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", user]
        if password:
            argv.append("-p" + password)
        if db:
            argv.append(db)
        out = subprocess.run(argv + ["-e", sql], capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError("mariadb %r: %s" % (sql, out.stderr))
        return out


def ensure_node_clients(timeout=300):
    """`npm ci` into tests/apps/sql_node when node_modules is missing."""
    if os.path.isdir(os.path.join(NODE_DIR, "node_modules", "pg")) and \
            os.path.isdir(os.path.join(NODE_DIR, "node_modules", "mysql2")):
        return
    npm = shutil.which("npm")
    if not npm:
        raise AssertionError("npm is not installed (the SQL test clients are node pg and mysql2)")
    out = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError("npm ci in %s failed: %s %s" % (NODE_DIR, out.stdout, out.stderr))
