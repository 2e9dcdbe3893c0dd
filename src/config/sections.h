// Parsers of the structured sections that are not plain fields: selector entry lists,
// routes, samplers, attributes.select, filters; and their JSON forms for dumps.
#pragma once

#include <string>
#include <vector>

#include "config/context.h"
#include "config/fields.h"

namespace obi::config {

// Value parsers shared with the env fields. Each returns "" on success, else the problem.
std::string parse_glob(const std::string& text, std::optional<Glob>& out);  // "" text = unset
std::string parse_ports(const std::string& text, std::optional<PortEnum>& out);
std::string parse_pids(const std::vector<std::string>& items, std::vector<uint32_t>& out);
std::string check_regex(const std::string& text);
std::string check_sampler(const SamplerConfig& s);

// discovery.instrument-like list at `path`. With `regex_mode` (deprecated discovery.services
// lists) exe_path and the k8s_* values are regular expressions.
void parse_selector_list(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool regex_mode,
                         std::vector<Selector>& out, std::vector<EntryOverrides>& overrides);
Json selectors_to_json(const std::vector<Selector>& list, const std::vector<EntryOverrides>* overrides);

// A `routes` map. `per_entry` also accepts `incoming` / `outgoing`.
void parse_routes(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool per_entry,
                  RoutesConfig& out);
Json routes_to_json(const RoutesConfig& r);

// A `sampler` map {name, arg}.
void parse_sampler(LoadContext& ctx, const YAML::Node& node, const std::string& path, SamplerConfig& out);

void parse_select(LoadContext& ctx, const YAML::Node& node, const std::string& path,
                  std::map<std::string, AttributeSelection>& out);
Json select_to_json(const std::map<std::string, AttributeSelection>& select);

void parse_filter_map(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool network,
                      std::map<std::string, AttributeMatcher>& out);
Json filter_to_json(const std::map<std::string, AttributeMatcher>& filter);

}  // namespace obi::config
