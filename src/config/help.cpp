// --help text of the configuration, generated from the same field table the loader uses.
#include "config/help.h"

#include <set>

#include "config/schema.h"

namespace obi::config {
namespace {

std::string render_default(const Json& j)
{
    if (j.is_null()) return "";
    if (j.is_string()) return j.get<std::string>();
    if (j.is_array()) {
        std::string out;
        for (const auto& item : j) {
            if (!out.empty()) out += ",";
            out += item.is_string() ? item.get<std::string>() : item.dump();
        }
        return out;
    }
    if (j.is_object()) return j.empty() ? "" : j.dump();
    return j.dump();
}

}  // namespace

std::string config_help_text()
{
    std::string out =
        "Configuration: a YAML file (--config or OTEL_EBPF_CONFIG_PATH) and environment variables.\n"
        "Precedence: defaults < YAML < environment. In YAML, ${VAR} and ${VAR:-default} are expanded.\n"
        "Environment variables (set but empty = unset; lists are comma-separated):\n";
    const Config defaults;
    std::set<std::string> seen;
    for (const auto& field : all_fields()) {
        for (size_t i = 0; i < field.env.size(); i++) {
            const std::string& name = field.env[i];
            if (!seen.insert(name).second) continue;
            std::string line = "  " + name;
            line += std::string(line.size() < 50 ? 50 - line.size() : 1, ' ');
            if (i == 0)
                line += field.help;
            else
                line += "alternative to " + field.env[0];
            if (!field.path.empty()) line += " [" + field.path + "]";
            std::string def = field.show && !field.secret ? render_default(field.show(defaults)) : "";
            if (!def.empty() && i == 0) line += " (default: " + def + ")";
            out += line + "\n";
        }
    }
    return out;
}

}  // namespace obi::config
