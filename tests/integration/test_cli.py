"""Command line: --help, --check, and configurations that must be rejected at startup."""
import os
import re
import subprocess
import time

import pytest

import harness
from harness import launch

BAD_CONFIG_EXIT_S = 2.0


def run_agent(args=(), env=None, timeout=10.0):
    """Runs the agent to completion; returns (exit code, stdout, stderr, seconds)."""
    if not os.path.exists(harness.AGENT_BIN):
        raise AssertionError("agent binary %s not found (set OBI_AGENT_BIN)" % harness.AGENT_BIN)
    t0 = time.monotonic()
    proc = subprocess.Popen([harness.AGENT_BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=launch.clean_env(env), text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("agent %s did not exit within %.0fs\nstdout: %s\nstderr: %s" % (
            list(args), timeout, out[-2000:], err[-2000:])) from None
    return proc.returncode, out, err, time.monotonic() - t0


def test_help():
    rc, out, err, _ = run_agent(["--help"])
    assert rc == 0, err
    assert "OTEL_EBPF_OPEN_PORT" in out + err


def test_check_reports_probe_backends():
    before = harness.our_bpf_objects()
    # with a valid selector, so that only the host check decides the exit code
    rc, out, err, _ = run_agent(["--check"], {"OTEL_EBPF_OPEN_PORT": "8080", "OTEL_EBPF_TRACE_PRINTER": "json"},
                                timeout=30)
    text = out + err
    assert rc == 0, text
    assert harness.CHECK_PATTERN.search(text), text
    assert any(b in text for b in harness.PROBE_BACKENDS), text
    harness.assert_no_new_bpf_objects(before)


# (id, env, yaml text or None, substrings stderr must contain; a tuple means "any of these")
BAD_CONFIGS = [
    ("env-open-port-not-a-port", {"OTEL_EBPF_OPEN_PORT": "http", "OTEL_EBPF_TRACE_PRINTER": "json"}, None,
     ["OTEL_EBPF_OPEN_PORT", "http"]),
    ("env-open-port-bad-range", {"OTEL_EBPF_OPEN_PORT": "80-abc", "OTEL_EBPF_TRACE_PRINTER": "json"}, None,
     ["OTEL_EBPF_OPEN_PORT", "80-abc"]),
    ("env-trace-printer", {"OTEL_EBPF_OPEN_PORT": "8080", "OTEL_EBPF_TRACE_PRINTER": "jsn"}, None,
     ["OTEL_EBPF_TRACE_PRINTER", "jsn"]),
    ("env-probe-backend", {"OTEL_EBPF_OPEN_PORT": "8080", "OTEL_EBPF_TRACE_PRINTER": "json",
                           "OTEL_EBPF_BPF_PROBE_BACKEND": "bogus_backend"}, None,
     ["OTEL_EBPF_BPF_PROBE_BACKEND", "bogus_backend"]),
    ("yaml-trace-printer", {}, "open_port: 8080\ntrace_printer: jsn\n", ["trace_printer", "jsn"]),
    ("yaml-open-port", {}, "open_port: abc\ntrace_printer: json\n", ["open_port", "abc"]),
    ("yaml-unknown-key", {}, "open_port: 8080\ntrace_printer: json\nnot_a_real_key: 1\n", ["not_a_real_key"]),
    ("yaml-malformed", {}, "open_port: [8080\ntrace_printer: json\n", ["{config}"]),
    ("config-file-missing", {"OTEL_EBPF_CONFIG_PATH": "/nonexistent/obi-config.yaml"}, None,
     ["/nonexistent/obi-config.yaml"]),
    ("no-selector", {"OTEL_EBPF_TRACE_PRINTER": "json"}, None,
     [("OTEL_EBPF_OPEN_PORT", "open_port", "instrument", "OTEL_EBPF_AUTO_TARGET_EXE")]),
]


@pytest.mark.parametrize("env,yaml_text,expect", [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_rejected(tmp_path, env, yaml_text, expect):
    args = []
    config = None
    if yaml_text is not None:
        config = str(tmp_path / "bad-config.yaml")
        with open(config, "w") as f:
            f.write(yaml_text)
        args = harness.config_args(config)
    rc, out, err, took = run_agent(args, env, timeout=BAD_CONFIG_EXIT_S + 3)
    assert took <= BAD_CONFIG_EXIT_S, "took %.1fs to reject the config" % took
    assert rc is not None and rc > 0, "exit code %s (want a normal non-zero exit)\nstderr: %s" % (rc, err)
    for want in expect:
        options = want if isinstance(want, tuple) else (want,)
        options = [o.format(config=os.path.basename(config or "")) for o in options]
        assert any(re.search(re.escape(o), err, re.IGNORECASE) for o in options), (
            "stderr does not name %s:\n%s" % (" or ".join(options), err))
