// Serialisation of the merged configuration, driven by the field table.
#include "config/dump.h"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "config/schema.h"
#include "config/values.h"

namespace obi::config {
namespace {

Json mask(const Json& j)
{
    if (j.is_object()) {
        Json out = Json::object();
        for (const auto& [k, v] : j.items()) out[k] = "***";
        return out;
    }
    return j.is_null() || (j.is_string() && j.get<std::string>().empty()) ? j : Json("***");
}

void put(Json& root, const std::string& path, Json value)
{
    Json* node = &root;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
            (*node)[key] = std::move(value);
            return;
        }
        if (!(*node)[key].is_object()) (*node)[key] = Json::object();
        node = &(*node)[key];
        start = dot + 1;
    }
}

void emit(YAML::Emitter& out, const Json& j)
{
    if ((j.is_object() || j.is_array()) && j.empty()) {
        out << YAML::Flow << (j.is_object() ? YAML::BeginMap : YAML::BeginSeq)
            << (j.is_object() ? YAML::EndMap : YAML::EndSeq);
    } else if (j.is_object()) {
        out << YAML::BeginMap;
        for (const auto& [k, v] : j.items()) {
            out << YAML::Key << k << YAML::Value;
            emit(out, v);
        }
        out << YAML::EndMap;
    } else if (j.is_array()) {
        bool scalars = std::none_of(j.begin(), j.end(), [](const Json& v) { return v.is_structured(); });
        if (scalars) out << YAML::Flow;  // [a, b, c] on one line
        out << YAML::BeginSeq;
        for (const auto& v : j) emit(out, v);
        out << YAML::EndSeq;
    } else if (j.is_string()) {
        // Quote strings that YAML would read back as something else (numbers, booleans, null).
        const std::string& s = j.get<std::string>();
        bool ambiguous = s.empty() || s == "~" || s == "null" || parse_bool(s) || parse_double(s);
        if (ambiguous) out << YAML::DoubleQuoted;
        out << s;
    } else if (j.is_null()) {
        out << YAML::Null;
    } else {
        out << j.dump();  // numbers and booleans as JSON writes them
    }
}

}  // namespace

std::string dump_config(const Config& cfg, std::string_view format)
{
    Json root = Json::object();
    Json env_only = Json::object();
    for (const auto& field : all_fields()) {
        if (!field.show || !field.in_dump) continue;
        Json value = field.show(cfg);
        if (field.secret) value = mask(value);
        if (!field.path.empty()) {
            put(root, field.path, std::move(value));
        } else if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty()) &&
                   !(value.is_object() && value.empty()) && !(value.is_array() && value.empty())) {
            env_only[field.env.front()] = std::move(value);
        }
    }
    if (!env_only.empty()) root["environment"] = std::move(env_only);
    if (format != "yaml") return root.dump(2);
    YAML::Emitter out;
    emit(out, root);
    return std::string(out.c_str()) + "\n";
}

}  // namespace obi::config
