// Prometheus text rendering: families grouped across resources, label sets, histograms
// (exponential ones as classic buckets), target_info and obi_build_info.
#include "export/prometheus/text_format.h"

#include <charconv>
#include <set>

#include "export/prometheus/names.h"
#include "metrics/attribute_select.h"
#include "metrics/build_info.h"
#include "metrics/exp_histogram.h"
#include "spans/attributes.h"

namespace obi::prometheus {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;  // sanitised name, raw value

struct Family {
    std::string type;
    std::string help;
    std::string body;
};

std::string value_text(const Attribute& a)
{
    if (const auto* s = std::get_if<std::string>(&a.value)) return *s;
    if (const auto* i = std::get_if<int64_t>(&a.value)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&a.value)) return format_number(*d);
    if (const auto* b = std::get_if<bool>(&a.value)) return *b ? "true" : "false";
    std::string joined;  // string arrays: comma-separated
    for (const auto& item : std::get<std::vector<std::string>>(a.value)) joined += (joined.empty() ? "" : ",") + item;
    return joined;
}

// Attributes that sanitise to the same label name are merged with ';' (OpenTelemetry's rule).
void add_label(Labels& labels, std::string_view key, std::string value, bool merge)
{
    std::string name = sanitize_label_name(key);
    if (name.empty() || name == "le") return;
    for (auto& [n, v] : labels) {
        if (n != name) continue;
        if (merge) v += ";" + value;
        return;
    }
    labels.emplace_back(std::move(name), std::move(value));
}

// The escaped label list of a series, `a="x",b="y"`, rendered once per point.
std::string label_body(const Labels& labels)
{
    std::string body;
    for (const auto& [name, value] : labels) {
        if (!body.empty()) body.push_back(',');
        body.append(name).append("=\"");
        append_label_value(body, value);
        body.push_back('"');
    }
    return body;
}

void append_labels(std::string& out, std::string_view body, std::string_view le)
{
    if (body.empty() && le.empty()) return;
    out.push_back('{');
    out.append(body);
    if (!le.empty()) {
        if (!body.empty()) out.push_back(',');
        out.append("le=\"").append(le).push_back('"');
    }
    out.push_back('}');
}

void append_sample(std::string& out, std::string_view name, std::string_view body, double value)
{
    out.append(name);
    append_labels(out, body, {});
    out.push_back(' ');
    append_number(out, value);
    out.push_back('\n');
}

void append_count(std::string& out, std::string_view name, std::string_view body, uint64_t value,
                  std::string_view le = {})
{
    out.append(name);
    append_labels(out, body, le);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.push_back(' ');
    out.append(buf, r.ptr);
    out.push_back('\n');
}

void append_histogram(std::string& out, const std::string& name, std::string_view labels,
                      const metrics::HistogramPoint& h)
{
    uint64_t cumulative = 0;
    const std::string bucket = name + "_bucket";
    for (size_t i = 0; i < h.bounds.size(); i++) {
        cumulative += i < h.counts.size() ? h.counts[i] : 0;
        append_count(out, bucket, labels, cumulative, format_number(h.bounds[i]));
    }
    append_count(out, bucket, labels, h.count, "+Inf");
    append_sample(out, name + "_sum", labels, h.sum);
    append_count(out, name + "_count", labels, h.count);
}

// Exponential buckets as classic ones: negative buckets (most negative first), the zero
// bucket, then positive buckets, each with its upper boundary as `le`.
void append_exp_histogram(std::string& out, const std::string& name, std::string_view labels,
                          const metrics::ExpHistogramPoint& h)
{
    uint64_t cumulative = 0;
    const std::string bucket = name + "_bucket";
    for (size_t k = h.negative_counts.size(); k-- > 0;) {
        cumulative += h.negative_counts[k];
        double upper = -metrics::exp_bucket_lower_bound(h.negative_offset + static_cast<int32_t>(k), h.scale);
        append_count(out, bucket, labels, cumulative, format_number(upper));
    }
    cumulative += h.zero_count;
    append_count(out, bucket, labels, cumulative, "0");
    for (size_t k = 0; k < h.positive_counts.size(); k++) {
        cumulative += h.positive_counts[k];
        double upper = metrics::exp_bucket_lower_bound(h.positive_offset + static_cast<int32_t>(k) + 1, h.scale);
        append_count(out, bucket, labels, cumulative, format_number(upper));
    }
    append_count(out, bucket, labels, h.count, "+Inf");
    append_sample(out, name + "_sum", labels, h.sum);
    append_count(out, name + "_count", labels, h.count);
}

void append_point(std::string& out, const std::string& name, const Labels& label_list, const metrics::DataPoint& p)
{
    std::string labels = label_body(label_list);
    if (const auto* s = std::get_if<metrics::SumPoint>(&p.value)) {
        append_sample(out, name, labels, s->is_int ? static_cast<double>(s->int_value) : s->value);
    } else if (const auto* g = std::get_if<metrics::GaugePoint>(&p.value)) {
        append_sample(out, name, labels, g->is_int ? static_cast<double>(g->int_value) : g->value);
    } else if (const auto* h = std::get_if<metrics::HistogramPoint>(&p.value)) {
        append_histogram(out, name, labels, *h);
    } else if (const auto* e = std::get_if<metrics::ExpHistogramPoint>(&p.value)) {
        append_exp_histogram(out, name, labels, *e);
    }
}

std::string job_of(const ServiceInfo& s) { return s.namespace_.empty() ? s.name : s.namespace_ + "/" + s.name; }

Labels target_info_labels(const ServiceInfo& s, const RenderOptions& o, const metrics::AttributeSelector& sel)
{
    Labels all = {
        {"host_id", s.host_id},
        {"host_name", s.host_name},
        {"service_name", s.name},
        {"service_namespace", s.namespace_},
        {"instance", s.instance_id},
        {"job", job_of(s)},
        {"telemetry_sdk_language", s.sdk_language},
        {"telemetry_sdk_name", kSdkName},
        {"telemetry_sdk_version", agent_version()},
        {"telemetry_distro_name", kDistroName},
        {"telemetry_distro_version", agent_version()},
        {"source", "obi"},
        {"os_type", "linux"},
    };
    for (const auto& extra : o.extra_resource_attributes) {
        std::string dotted = metrics::fold_attribute_name(extra);
        for (const auto& [key, value] : s.resource_attributes) {
            if (key == extra || metrics::fold_attribute_name(key) == dotted) {
                add_label(all, key, value, false);
                break;
            }
        }
    }
    Labels kept;
    for (auto& l : all)
        if (sel.resource_attribute_enabled(l.first)) kept.push_back(std::move(l));
    return kept;
}

Family& family(std::map<std::string, Family>& families, const std::string& name, std::string_view type,
               std::string_view help, bool& conflict)
{
    auto [it, inserted] = families.try_emplace(name);
    if (inserted) {
        it->second.type = type;
        it->second.help = help.empty() ? name : std::string(help);
    }
    conflict = it->second.type != type;  // the same name with another type would be invalid
    return it->second;
}

}  // namespace

RenderOptions render_options(const config::Config& cfg)
{
    RenderOptions o;
    o.build_info = !cfg.prometheus.disable_build_info;
    o.extra_resource_attributes = cfg.prometheus.extra_resource_attributes;
    o.select = cfg.attributes.select;
    return o;
}

std::string render_text(const metrics::Snapshot& snapshot, const RenderOptions& options)
{
    metrics::AttributeSelector selector(options.select);
    std::map<std::string, Family> families;
    std::set<std::string> languages;
    bool conflict = false;
    for (const auto& rm : snapshot.resources) {
        Labels resource;
        if (rm.service) {
            resource = target_info_labels(*rm.service, options, selector);
            languages.insert(rm.service->sdk_language);
            if (rm.target_info && options.target_info) {
                Family& f =
                    family(families, "target_info", "gauge", "Attributes of an instrumented process.", conflict);
                if (!conflict) append_sample(f.body, "target_info", label_body(resource), 1);
            }
        }
        for (const auto& md : rm.metrics) {
            std::string name = family_name(md);
            Family& f = family(families, name, family_type(md), md.description, conflict);
            if (conflict) continue;
            for (const auto& p : md.points) {
                Labels labels;
                for (const auto& a : p.attributes) add_label(labels, a.key, value_text(a), true);
                if (md.prometheus_resource_info)
                    for (const auto& [n, v] : resource) add_label(labels, n, v, false);
                append_point(f.body, name, labels, p);
            }
        }
    }
    if (options.build_info && !languages.empty()) {
        const char* help = "Build of the instrumentation agent and the languages of the services it reports.";
        Family& f = family(families, "obi_build_info", "gauge", help, conflict);
        for (const auto& lang : languages) {
            if (conflict) break;
            Labels labels;
            for (auto& [k, v] : metrics::build_info_labels()) labels.emplace_back(k, v);
            labels.emplace_back("target_lang", lang);
            append_sample(f.body, "obi_build_info", label_body(labels), 1);
        }
    }

    std::string out;
    for (const auto& [name, f] : families) {
        if (f.body.empty()) continue;
        out.append("# HELP ").append(name).push_back(' ');
        append_help(out, f.help);
        out.append("\n# TYPE ").append(name).append(" ").append(f.type).push_back('\n');
        out.append(f.body);
    }
    return out;
}

}  // namespace obi::prometheus
