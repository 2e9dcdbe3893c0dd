// Command line of ebpf-instrument: parses options, loads and validates the configuration,
// sets up logging and signals, and runs the agent or the --check report.
#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/agent.h"
#include "app/logging.h"
#include "config/dump.h"
#include "config/help.h"
#include "config/loader.h"
#include "spans/attributes.h"

namespace obi {
namespace {

Agent* g_agent = nullptr;

void on_signal(int)
{
    if (g_agent) g_agent->stop();
}

// OBI takes Go-style single-dash long flags (-config FILE); CLI11 wants two dashes.
std::vector<std::string> normalize_args(int argc, char** argv)
{
    std::vector<std::string> out;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a.find_first_of("=") != 2 &&
            (a.rfind("-config", 0) == 0 || a == "-check" || a == "-version" || a == "-help"))
            a = "-" + a;
        out.push_back(a);
    }
    return out;
}

const char* kDescription =
    "ebpf-instrument: OpenTelemetry eBPF Instrumentation (obi-cpp).\n"
    "Observes unmodified programs from the kernel and turns their HTTP traffic into\n"
    "OpenTelemetry traces. Configuration comes from a YAML file (--config) and from\n"
    "environment variables, which override the file. Example:\n"
    "  sudo OTEL_EBPF_OPEN_PORT=8080 OTEL_EBPF_TRACE_PRINTER=text ebpf-instrument\n";

}  // namespace

int run_cli(int argc, char** argv)
{
    CLI::App app(kDescription, "ebpf-instrument");
    app.set_help_flag("");  // printed by hand, with the environment reference
    bool help = false, check = false, version = false;
    std::string config_path;
    app.add_flag("-h,--help", help, "Print this help, including every environment variable, and exit");
    app.add_option("--config", config_path,
                   "YAML configuration file (also OTEL_EBPF_CONFIG_PATH; this flag wins). -config FILE works too");
    app.add_flag("--check", check,
                 "Check what this kernel and these privileges allow (BTF, tracefs, capabilities, probe backends), "
                 "print the report and exit (non-zero when the agent cannot run)");
    app.add_flag("--version", version, "Print the version and exit");

    std::vector<std::string> args = normalize_args(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        fprintf(stderr, "ebpf-instrument: %s\nRun `ebpf-instrument --help` for the options.\n", e.what());
        return 2;
    }
    if (help) {
        printf("%s\nEnvironment variables (they override the YAML file):\n%s", app.help().c_str(),
               config::config_help_text().c_str());
        return 0;
    }
    if (version) {
        printf("ebpf-instrument %s (obi-cpp)\n", agent_version());
        return 0;
    }

    config::LoadOptions lo;
    if (!config_path.empty()) lo.config_path = config_path;
    config::LoadResult loaded = config::load_config(lo);
    if (check && !loaded.ok()) {  // the host report does not need a valid configuration
        int rc = run_check(config::Config{});
        for (const auto& e : loaded.errors) printf("configuration error: %s\n", e.c_str());
        return rc != 0 ? rc : 1;
    }
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) fprintf(stderr, "configuration error: %s\n", e.c_str());
        fprintf(stderr, "ebpf-instrument: invalid configuration (%zu error%s); nothing was started\n",
                loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
        return 1;
    }
    const config::Config& cfg = *loaded.config;
    setup_logging(cfg.log_level, cfg.log_format);
    for (const auto& w : cfg.warnings) spdlog::warn("configuration: {}", w);
    if (cfg.log_config != config::LogConfigFormat::None)
        spdlog::info("configuration:\n{}",
                     config::dump_config(cfg, cfg.log_config == config::LogConfigFormat::Json ? "json" : "yaml"));
    if (check) return run_check(cfg);

    Agent agent(cfg);
    g_agent = &agent;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    int rc = agent.run();
    g_agent = nullptr;
    return rc;
}

}  // namespace obi
