// The field table: one entry per simple setting, with its YAML path, its environment
// variables, a help line, a parser and a printer. The loader, --help and the config dump
// are all driven by this table, so they cannot drift apart.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/context.h"
#include "config/duration.h"
#include "config/enum_names.h"
#include "config/values.h"

namespace obi::config {

using Json = nlohmann::ordered_json;
// Parses `in` into the config. Returns "" on success, else what is wrong (the loader adds
// the key or variable name and the line). Complex parsers may also report errors on nested
// nodes through in.ctx and return "".
using ParseFn = std::function<std::string(Config&, const Input&)>;
using ShowFn = std::function<Json(const Config&)>;

struct Field {
    std::string path;              // dotted YAML path; "" = environment variable only
    std::vector<std::string> env;  // variables, highest priority first
    std::string help;              // one line for --help (env vars) and docs
    ParseFn parse;
    ShowFn show;          // the current value, for dumps and --help defaults; may be empty
    bool secret = false;   // dumps hide the value (OTLP headers carry tokens)
    bool in_dump = true;   // false for env aliases of a value the dump already shows
};

using Envs = std::vector<std::string>;

std::vector<Field> core_fields();
std::vector<Field> discovery_fields();
std::vector<Field> ebpf_fields();
std::vector<Field> export_fields();
std::vector<Field> attribute_fields();
std::vector<Field> network_fields();

// --- helpers for parsers -------------------------------------------------------------

// Extracts a single value; "" on success. A YAML list or map is an error.
std::string need_scalar(const Input& in, std::string& out);
// Extracts a list: a YAML list of values, or a comma-separated string (YAML or env).
std::string need_list(const Input& in, std::vector<std::string>& out);
// "'x' is not one of a, b, c" plus a suggestion.
std::string not_one_of(const std::string& value, const std::vector<std::string>& choices);
// YAML subtree -> JSON (plain scalars that look like numbers or booleans become those).
Json yaml_to_json(const YAML::Node& node);
Json parse_json_or_null(const std::string& text);

template <class E>
std::string parse_enum(std::string_view text, E& out)
{
    std::string v = trim(text);
    for (const auto& n : enum_table(E{})) {
        if (to_lower(n.name) == to_lower(v)) {
            out = n.value;
            return "";
        }
    }
    std::vector<std::string> names;
    std::string choices = enum_choices<E>();
    for (const auto& n : enum_table(E{})) names.emplace_back(n.name);
    std::string msg = "'" + std::string(text) + "' is not one of " + choices;
    if (auto guess = did_you_mean(v, names); !guess.empty()) msg += " (did you mean '" + guess + "'?)";
    return msg;
}

// --- field makers --------------------------------------------------------------------
// `get` is a generic lambda returning a reference to the member, e.g. OBI_AT(ebpf.wakeup_len);
// it works on both Config& (parse) and const Config& (show).
#define OBI_AT(member) [](auto& c) -> auto& { return c.member; }

template <class Get>
using MemberType = std::remove_cvref_t<decltype(std::declval<Get>()(std::declval<Config&>()))>;

template <class Get>
Field f_bool(std::string path, Envs env, std::string help, Get get)
{
    return {std::move(path), std::move(env), std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_bool(s, &err);
                if (!v) return err;
                get(c) = *v;
                return "";
            },
            [get](const Config& c) { return Json(get(c)); }};
}

template <class Get>
Field f_string(std::string path, Envs env, std::string help, Get get)
{
    return {std::move(path), std::move(env), std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                std::string s;
                if (in.shape == Shape::Null) return "";
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                get(c) = s;
                return "";
            },
            [get](const Config& c) { return Json(get(c)); }};
}

template <class Get>
Field f_int(std::string path, Envs env, std::string help, Get get, int64_t min, int64_t max)
{
    return {std::move(path), std::move(env), std::move(help),
            [get, min, max](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_int(s, min, max, &err);
                if (!v) return err;
                get(c) = static_cast<MemberType<Get>>(*v);
                return "";
            },
            [get](const Config& c) { return Json(get(c)); }};
}

template <class Get>
Field f_port(std::string path, Envs env, std::string help, Get get)
{
    return f_int(std::move(path), std::move(env), std::move(help), get, 0, 65535);
}

template <class Get>
Field f_double(std::string path, Envs env, std::string help, Get get, double min, double max)
{
    return {std::move(path), std::move(env), std::move(help),
            [get, min, max](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_double(s, &err);
                if (!v) return err;
                if (*v < min || *v > max)
                    return "'" + s + "' is out of range (expected " + Json(min).dump() + " to " + Json(max).dump() + ")";
                get(c) = *v;
                return "";
            },
            [get](const Config& c) { return Json(get(c)); }};
}

template <class Get>
Field f_duration(std::string path, Envs env, std::string help, Get get)
{
    return {std::move(path), std::move(env), std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_duration(s, &err);
                if (!v) return err;
                get(c) = *v;
                return "";
            },
            [get](const Config& c) { return Json(format_duration(get(c))); }};
}

// A list of strings; `allowed` (if not empty) restricts the values.
template <class Get>
Field f_strings(std::string path, Envs env, std::string help, Get get, std::vector<std::string> allowed = {})
{
    return {std::move(path), std::move(env), std::move(help),
            [get, allowed](Config& c, const Input& in) -> std::string {
                std::vector<std::string> items;
                if (auto e = need_list(in, items); !e.empty()) return e;
                if (!allowed.empty()) {
                    for (auto& item : items) {
                        if (std::find(allowed.begin(), allowed.end(), to_lower(item)) == allowed.end())
                            return not_one_of(item, allowed);
                        item = to_lower(item);
                    }
                }
                get(c) = std::move(items);
                return "";
            },
            [get](const Config& c) { return Json(get(c)); }};
}

template <class Get>
Field f_enum(std::string path, Envs env, std::string help, Get get)
{
    using E = MemberType<Get>;
    return {std::move(path), std::move(env), std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                return parse_enum<E>(s, get(c));
            },
            [get](const Config& c) { return Json(std::string(to_string(get(c)))); }};
}

// A subtree that is accepted and stored as JSON text for later features.
template <class Get>
Field f_subtree(std::string path, std::string help, Get get)
{
    return {std::move(path), {}, std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                if (in.shape != Shape::Null) get(c) = yaml_to_json(in.node).dump();
                return "";
            },
            [get](const Config& c) { return parse_json_or_null(get(c)); }};
}

}  // namespace obi::config
