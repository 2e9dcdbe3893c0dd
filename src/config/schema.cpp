// Field table assembly, the YAML walk with unknown-key detection, and env application.
#include "config/schema.h"

#include <map>
#include <set>

namespace obi::config {
namespace {

struct Index {
    std::map<std::string, const Field*> by_path;
    std::map<std::string, std::set<std::string>> children;  // section path ("" = top) -> keys
};

const Index& index()
{
    static const Index idx = [] {
        Index i;
        for (const auto& f : all_fields()) {
            if (f.path.empty()) continue;
            i.by_path[f.path] = &f;
            std::string parent;
            size_t start = 0;
            while (true) {
                size_t dot = f.path.find('.', start);
                std::string key = f.path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
                i.children[parent].insert(key);
                if (dot == std::string::npos) break;
                parent = f.path.substr(0, dot);
                start = dot + 1;
            }
        }
        return i;
    }();
    return idx;
}

void apply_field(Config& cfg, const Field& field, const Input& in, LoadContext& ctx, const YAML::Mark& mark)
{
    std::string err = field.parse(cfg, in);
    if (!err.empty()) {
        if (in.from_env)
            ctx.error_env(in.key, err);
        else
            ctx.error_at(in.key, err, mark);
    }
}

void walk(Config& cfg, const YAML::Node& node, const std::string& prefix, LoadContext& ctx)
{
    const Index& idx = index();
    const auto& valid_set = idx.children.at(prefix);
    std::vector<std::string> valid(valid_set.begin(), valid_set.end());
    for_each_key(ctx, node, prefix, valid, [&](const std::string&, const YAML::Node& value,
                                              const std::string& path) {
        if (auto it = idx.by_path.find(path); it != idx.by_path.end()) {
            ctx.set_keys.insert(path);
            apply_field(cfg, *it->second, Input::from_yaml(path, value, ctx), ctx, value.Mark());
            return true;
        }
        if (idx.children.count(path)) {
            walk(cfg, value, path, ctx);
            return true;
        }
        return false;
    });
}

}  // namespace

const std::vector<Field>& all_fields()
{
    static const std::vector<Field> fields = [] {
        std::vector<Field> all;
        for (auto part : {core_fields(), discovery_fields(), ebpf_fields(), export_fields(), attribute_fields(),
                          network_fields()})
            for (auto& f : part) all.push_back(std::move(f));
        return all;
    }();
    return fields;
}

void apply_yaml(Config& cfg, const YAML::Node& root, LoadContext& ctx)
{
    if (root.IsNull()) return;  // an empty file
    if (!root.IsMap()) {
        ctx.error_at("(top level)", "the configuration must be a map of keys such as discovery, ebpf, otel_traces_export",
                     root.Mark());
        return;
    }
    walk(cfg, root, "", ctx);
}

void apply_env(Config& cfg, const EnvLookup& env, LoadContext& ctx)
{
    for (const auto& field : all_fields()) {
        for (const auto& name : field.env) {
            auto value = env_value(env, name);
            if (!value) continue;
            ctx.set_keys.insert(field.path.empty() ? name : field.path);
            ctx.set_keys.insert(name);
            apply_field(cfg, field, Input::from_env_var(name, *value, ctx), ctx, YAML::Mark::null_mark());
            break;
        }
    }
}

}  // namespace obi::config
