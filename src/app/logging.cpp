// setup_logging implementation.
#include "app/logging.h"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace obi {
namespace {

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args)
{
    auto lvl = level == LIBBPF_WARN ? spdlog::level::debug : spdlog::level::trace;
    if (!spdlog::should_log(lvl)) return 0;
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, args);
    std::string msg(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    spdlog::log(lvl, "libbpf: {}", msg);
    return n;
}

}  // namespace

void setup_logging(config::LogLevel level, config::LogFormat format)
{
    auto logger = spdlog::stderr_logger_mt("obi");
    spdlog::set_default_logger(logger);
    if (format == config::LogFormat::Json)
        spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%^%l%$","msg":"%v"})", spdlog::pattern_time_type::utc);
    else
        spdlog::set_pattern("time=%Y-%m-%dT%H:%M:%S.%eZ level=%^%L%$ msg=%v", spdlog::pattern_time_type::utc);
    switch (level) {
    case config::LogLevel::Debug: spdlog::set_level(spdlog::level::debug); break;
    case config::LogLevel::Info: spdlog::set_level(spdlog::level::info); break;
    case config::LogLevel::Warn: spdlog::set_level(spdlog::level::warn); break;
    case config::LogLevel::Error: spdlog::set_level(spdlog::level::err); break;
    }
    spdlog::flush_on(spdlog::level::info);
    libbpf_set_print(libbpf_log);
}

}  // namespace obi
