// Renders a cumulative metrics Snapshot as Prometheus text exposition format 0.0.4: one
// HELP/TYPE block per family, classic histogram buckets, target_info per instance and
// obi_build_info (obi-compat.md 4.4, 4.7).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/snapshot.h"

namespace obi::prometheus {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct RenderOptions {
    bool target_info = true;  // target_info=1 per instrumented process
    bool build_info = true;   // obi_build_info{target_lang}=1 (off: disable_build_info)
    // Resource attributes (ServiceInfo::resource_attributes) added to target_info labels.
    std::vector<std::string> extra_resource_attributes;
    // attributes.select; its "resource" entry filters the target_info labels.
    std::map<std::string, config::AttributeSelection> select;
};

RenderOptions render_options(const config::Config& cfg);

std::string render_text(const metrics::Snapshot& snapshot, const RenderOptions& options = {});

}  // namespace obi::prometheus
