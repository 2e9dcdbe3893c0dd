// setup_logging implementation.
#include "app/logging.h"

#include <bpf/libbpf.h>
#include <spdlog/pattern_formatter.h>
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

// Level names as Go's log/slog prints them (OBI's logs): DEBUG, INFO, WARN, ERROR.
class SlogLevel final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override
    {
        std::string_view name;
        switch (msg.level) {
        case spdlog::level::trace:
        case spdlog::level::debug: name = "DEBUG"; break;
        case spdlog::level::info: name = "INFO"; break;
        case spdlog::level::warn: name = "WARN"; break;
        default: name = "ERROR"; break;
        }
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SlogLevel>(); }
};

// The message as the body of a JSON string (quotes, backslashes, control bytes escaped).
class JsonMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override
    {
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            if (c == '"' || c == '\\') {
                dest.push_back('\\');
                dest.push_back(c);
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                snprintf(buf, sizeof(buf), "\\u%04x", c);
                dest.append(buf, buf + 6);
            } else {
                dest.push_back(c);
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessage>(); }
};

}  // namespace

void setup_logging(config::LogLevel level, config::LogFormat format)
{
    auto logger = spdlog::stderr_logger_mt("obi");
    spdlog::set_default_logger(logger);
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<SlogLevel>('*');
    formatter->add_flag<JsonMessage>('J');
    if (format == config::LogFormat::Json)
        formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%*","msg":"%J"})");
    else
        formatter->set_pattern("time=%Y-%m-%dT%H:%M:%S.%eZ level=%* msg=%v");
    spdlog::set_formatter(std::move(formatter));
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
