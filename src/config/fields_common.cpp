// Shared helpers of the field parsers: shape checks, list splitting, YAML-to-JSON.
#include "config/fields.h"

namespace obi::config {

std::string need_scalar(const Input& in, std::string& out)
{
    switch (in.shape) {
    case Shape::Scalar:
        out = in.scalar;
        return "";
    case Shape::Null:
        out.clear();
        return "";
    case Shape::List:
        return "expected a single value, not a list";
    case Shape::Map:
        return "expected a single value, not a map";
    }
    return "";
}

std::string need_list(const Input& in, std::vector<std::string>& out)
{
    out.clear();
    switch (in.shape) {
    case Shape::Null:
        return "";
    case Shape::Scalar:
        out = split_list(in.scalar);
        return "";
    case Shape::List:
        if (!in.scalar_items) return "expected a list of values, but an item is a map or a list";
        for (const auto& item : in.items) {
            std::string t = trim(item);
            if (!t.empty()) out.push_back(t);
        }
        return "";
    case Shape::Map:
        return "expected a list of values (or a comma-separated string), not a map";
    }
    return "";
}

std::string not_one_of(const std::string& value, const std::vector<std::string>& choices)
{
    std::string msg = "'" + value + "' is not one of " + join(choices);
    if (auto guess = did_you_mean(value, choices); !guess.empty()) msg += " (did you mean '" + guess + "'?)";
    return msg;
}

Json yaml_to_json(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        for (const auto& item : node) arr.push_back(yaml_to_json(item));
        return arr;
    }
    case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (auto it = node.begin(); it != node.end(); ++it)
            obj[it->first.IsScalar() ? it->first.Scalar() : std::string("?")] = yaml_to_json(it->second);
        return obj;
    }
    case YAML::NodeType::Scalar: {
        const std::string& s = node.Scalar();
        if (node.Tag() == "?") {  // plain (unquoted) scalar: keep YAML's typing
            if (s == "true" || s == "false") return s == "true";
            if (auto i = parse_int(s, INT64_MIN, INT64_MAX)) return *i;
            if (auto d = parse_double(s)) return *d;
        }
        return s;
    }
    default:
        return nullptr;
    }
}

Json parse_json_or_null(const std::string& text)
{
    if (text.empty()) return nullptr;
    return Json::parse(text, nullptr, false);
}

}  // namespace obi::config
