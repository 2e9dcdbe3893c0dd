// State shared by the parts of one load: where errors go (with file and line), which keys
// were set explicitly, and the deprecated discovery lists awaiting conversion.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace obi::config {

struct LoadContext {
    std::string source;  // the config file name, for messages ("" when there is none)
    std::vector<std::string> errors;
    // Fields set by the user: YAML paths ("ebpf.capture_size"), or the env var name of
    // env-only fields.
    std::set<std::string> set_keys;

    // discovery.instrument / exclude_instrument as written (before the env entry is added).
    bool instrument_given = false;
    // Deprecated discovery.services lists, converted into the instrument lists at the end.
    std::optional<std::vector<Selector>> services, exclude_services, default_exclude_services;
    std::vector<EntryOverrides> services_overrides;

    bool was_set(const std::string& key) const { return set_keys.count(key) > 0; }

    // "<key>: <message> (<file> line <n>)"
    void error_at(const std::string& key, const std::string& message, const YAML::Mark& mark);
    // "<VAR>: <message>"
    void error_env(const std::string& var, const std::string& message);
    // Errors without a single place (cross-field validation).
    void error(std::string message) { errors.push_back(std::move(message)); }
    std::string where(const YAML::Mark& mark) const;
};

enum class Shape { Null, Scalar, List, Map };

// One value to parse: a YAML node or an environment variable.
struct Input {
    std::string key;  // dotted YAML path, or the env var name
    bool from_env = false;
    Shape shape = Shape::Scalar;
    std::string scalar;              // Shape::Scalar
    std::vector<std::string> items;  // Shape::List whose items are all scalars
    bool scalar_items = true;        // false when a list item is a map or a list
    YAML::Node node;                 // YAML only
    LoadContext* ctx = nullptr;

    static Input from_yaml(const std::string& key, const YAML::Node& node, LoadContext& ctx);
    static Input from_env_var(const std::string& name, const std::string& value, LoadContext& ctx);
};

// Calls `handle(key, value, key_path)` for every key of the map `node` at `path`. A key for
// which `handle` returns false is reported as unknown, with `valid` as the keys allowed
// there and a "did you mean" suggestion. Reports an error if `node` is not a map (null is
// an empty map).
void for_each_key(LoadContext& ctx, const YAML::Node& node, const std::string& path,
                  const std::vector<std::string>& valid,
                  const std::function<bool(const std::string& key, const YAML::Node& value,
                                           const std::string& key_path)>& handle);

// The standard unknown-key error.
void unknown_key(LoadContext& ctx, const std::string& parent, const std::string& key, const YAML::Mark& mark,
                 const std::vector<std::string>& valid);

std::string join_path(const std::string& parent, const std::string& key);

}  // namespace obi::config
