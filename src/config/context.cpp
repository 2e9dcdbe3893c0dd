// Error reporting with locations, YAML-to-Input conversion and map key checking.
#include "config/context.h"

#include <algorithm>

#include "config/values.h"

namespace obi::config {

std::string LoadContext::where(const YAML::Mark& mark) const
{
    if (mark.line < 0) return "";
    std::string file = source.empty() ? "config" : source;
    return " (" + file + " line " + std::to_string(mark.line + 1) + ")";
}

void LoadContext::error_at(const std::string& key, const std::string& message, const YAML::Mark& mark)
{
    errors.push_back(key + ": " + message + where(mark));
}

void LoadContext::error_env(const std::string& var, const std::string& message)
{
    errors.push_back(var + ": " + message);
}

Input Input::from_yaml(const std::string& key, const YAML::Node& node, LoadContext& ctx)
{
    Input in;
    in.key = key;
    in.node = node;
    in.ctx = &ctx;
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        in.shape = Shape::Null;
        break;
    case YAML::NodeType::Scalar:
        in.shape = Shape::Scalar;
        in.scalar = node.Scalar();
        break;
    case YAML::NodeType::Sequence:
        in.shape = Shape::List;
        for (const auto& item : node) {
            if (item.IsScalar())
                in.items.push_back(item.Scalar());
            else if (!item.IsNull())
                in.scalar_items = false;
        }
        break;
    case YAML::NodeType::Map:
        in.shape = Shape::Map;
        break;
    }
    return in;
}

Input Input::from_env_var(const std::string& name, const std::string& value, LoadContext& ctx)
{
    Input in;
    in.key = name;
    in.from_env = true;
    in.shape = Shape::Scalar;
    in.scalar = value;
    in.ctx = &ctx;
    return in;
}

std::string join_path(const std::string& parent, const std::string& key)
{
    return parent.empty() ? key : parent + "." + key;
}

void unknown_key(LoadContext& ctx, const std::string& parent, const std::string& key, const YAML::Mark& mark,
                 const std::vector<std::string>& valid)
{
    std::string msg = "unknown key";
    if (auto guess = did_you_mean(key, valid); !guess.empty()) msg += "; did you mean '" + guess + "'?";
    std::vector<std::string> sorted = valid;
    std::sort(sorted.begin(), sorted.end());
    msg += " Valid keys " + (parent.empty() ? std::string("at the top level") : "under " + parent) + ": " +
           join(sorted) + ".";
    ctx.error_at(join_path(parent, key), msg, mark);
}

void for_each_key(LoadContext& ctx, const YAML::Node& node, const std::string& path,
                  const std::vector<std::string>& valid,
                  const std::function<bool(const std::string&, const YAML::Node&, const std::string&)>& handle)
{
    if (node.IsNull()) return;
    if (!node.IsMap()) {
        ctx.error_at(path, "expected a map of keys (one of: " + join(valid) + ")", node.Mark());
        return;
    }
    // YAML merge keys ("<<: *defaults"): the merged maps' keys are visited first, so the
    // map's own keys, visited after them, win.
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!(it->first.IsScalar() && it->first.Scalar() == "<<")) continue;
        std::vector<YAML::Node> sources;
        if (it->second.IsSequence())
            for (const auto& m : it->second) sources.push_back(m);
        else
            sources.push_back(it->second);
        for (const auto& m : sources) {
            if (!m.IsMap()) {
                ctx.error_at(join_path(path, "<<"), "a merge key must refer to a map", m.Mark());
                continue;
            }
            for (auto mit = m.begin(); mit != m.end(); ++mit) entries.emplace_back(mit->first, mit->second);
        }
    }
    for (auto it = node.begin(); it != node.end(); ++it)
        if (!(it->first.IsScalar() && it->first.Scalar() == "<<")) entries.emplace_back(it->first, it->second);

    for (const auto& [key_node, value] : entries) {
        if (!key_node.IsScalar()) {
            ctx.error_at(path, "a key must be a plain name", key_node.Mark());
            continue;
        }
        std::string key = key_node.Scalar();
        if (!handle(key, value, join_path(path, key))) unknown_key(ctx, path, key, key_node.Mark(), valid);
    }
}

}  // namespace obi::config
