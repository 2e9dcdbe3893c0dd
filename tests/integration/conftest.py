"""pytest fixtures for the ebpf-instrument integration tests (run as root with /usr/bin/python3 -m pytest).

Fixtures (see README.md in this folder):
  work_dir                 session scratch dir (logs of every server and agent are kept there)
  build_dir                session dir holding the Go server, Java classes and the C client
  apps                     session pool of sample servers: apps.get("python"|"node"|"go"|"java"|"nginx"),
                           apps.downstream (a Python server no agent selects, target of /call),
                           apps.start(lang, ...) for extra servers stopped at session end
  server_factory           function scope: server_factory(lang, port=None, env=None, name=None, exe=None, **nginx)
  c_client                 path of the compiled tests/apps/http_client.c
  agent_factory            function scope: agent_factory(env=None, config=None, args=(), wait_ready=True, name=None)
  module_agent_factory     the same, one per test module
Agents still running at teardown are stopped with SIGINT; exit code 0 and no leftover obi_* BPF programs or
links are asserted. Servers are stopped by PID.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import launch  # noqa: E402

# telemetry.sdk.language expected for each sample server.
EXPECTED_LANGUAGE = {"python": "python", "node": "nodejs", "go": "go", "java": "java", "nginx": "generic",
                     "c": "generic"}


def pytest_configure(config):
    config.addinivalue_line("markers", "noagent: checks of the harness and sample apps that do not run the agent")


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        raise pytest.UsageError("the integration tests load BPF programs: run them as root")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for agent in harness.ACTIVE_AGENTS:
            rep.sections.append(("agent %s" % agent.name, agent.logs()))
        for srv in list(launch._live):  # servers that wrote to stderr or died
            if srv.proc.poll() is not None or os.path.getsize(srv.stderr_path) > 0:
                rep.sections.append(("server %s (exit %s)" % (srv.name, srv.proc.returncode), srv.logs(2000)))


def pytest_terminal_summary(terminalreporter):
    wd = getattr(pytest, "_obi_work_dir", None)
    if wd:
        terminalreporter.write_line("obi integration logs (agents, servers): %s" % wd)


def service_name_of(srv):
    """service.name OBI derives for a server without OTEL_SERVICE_NAME: its executable's basename."""
    return os.path.basename(srv.exe or srv.argv[0])


# ------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def work_dir(tmp_path_factory):
    d = os.environ.get("OBI_TEST_WORK_DIR") or str(tmp_path_factory.mktemp("obi"))
    os.makedirs(d, exist_ok=True)
    pytest._obi_work_dir = d
    return d


@pytest.fixture(scope="session")
def build_dir(work_dir):
    d = os.path.join(work_dir, "build")
    os.makedirs(d, exist_ok=True)
    return d


class AppPool:
    """Sample servers started once per session on free ports (independent of any agent)."""

    def __init__(self, work_dir, build_dir):
        self.log_dir = os.path.join(work_dir, "servers")
        self.build_dir = build_dir
        self._shared = {}
        self._extra = []
        self._downstream = None

    def get(self, lang):
        """The session's shared server for `lang` (nginx: 1 worker)."""
        if lang not in self._shared:
            self._shared[lang] = launch.start_server(lang, launch.free_port(), self.log_dir, self.build_dir,
                                                     name="%s-shared" % lang)
        return self._shared[lang]

    @property
    def downstream(self):
        """A Python server that no test agent selects: the target of /call."""
        if self._downstream is None:
            self._downstream = launch.start_server("python", launch.free_port(), self.log_dir, self.build_dir,
                                                   name="downstream")
        return self._downstream

    def start(self, lang, port=None, env=None, name=None, exe=None, **nginx_opts):
        srv = launch.start_server(lang, port or launch.free_port(), self.log_dir, self.build_dir, env=env,
                                  name=name, exe=exe, **nginx_opts)
        self._extra.append(srv)
        return srv

    def stop_all(self):
        for srv in list(self._shared.values()) + self._extra + ([self._downstream] if self._downstream else []):
            srv.stop()


@pytest.fixture(scope="session")
def apps(work_dir, build_dir):
    pool = AppPool(work_dir, build_dir)
    yield pool
    pool.stop_all()


@pytest.fixture
def server_factory(apps):
    started = []

    def start(lang, port=None, env=None, name=None, exe=None, **nginx_opts):
        srv = launch.start_server(lang, port or launch.free_port(), apps.log_dir, apps.build_dir, env=env,
                                  name=name, exe=exe, **nginx_opts)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def c_client(build_dir):
    return launch.build_c_client(build_dir)


class AgentFactory:
    """Starts agents; stop_all() stops them and collects teardown failures (exit code, BPF leftovers)."""

    def __init__(self, work_dir, prefix):
        self.work_dir, self.prefix = os.path.join(work_dir, "agents"), prefix
        self.agents = []

    def __call__(self, env=None, config=None, args=(), wait_ready=True, name=None):
        env = dict(env or {})
        if config is None and "OTEL_EBPF_TRACE_PRINTER" not in env:
            env["OTEL_EBPF_TRACE_PRINTER"] = "json"
        name = name or "%s-%d" % (self.prefix, len(self.agents) + 1)
        agent = harness.Agent(self.work_dir, env=env, config=config, args=args, name=name)
        self.agents.append(agent)
        return agent.start(wait_ready=wait_ready)

    def stop(self, agent):
        """Stops one agent now (asserting exit code 0 and BPF cleanup)."""
        try:
            agent.stop()
        finally:
            agent.kill()

    def stop_all(self):
        errors = []
        for agent in self.agents:
            try:
                agent.stop()
            except AssertionError as e:
                errors.append(str(e))
            finally:
                agent.kill()
        if errors:
            pytest.fail("agent teardown: " + "\n\n".join(errors), pytrace=False)


def _safe_name(nodeid):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in nodeid)[-80:]


@pytest.fixture
def agent_factory(work_dir, request):
    factory = AgentFactory(work_dir, _safe_name(request.node.nodeid))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def module_agent_factory(work_dir, request):
    factory = AgentFactory(work_dir, _safe_name(request.module.__name__))
    yield factory
    factory.stop_all()


# Real export peers (otlp.py): the Node OTLP receiver (tests/otlp_receiver) and a Prometheus server.
from otlp import otlp_receiver, prometheus_factory, receiver_factory  # noqa: E402,F401
