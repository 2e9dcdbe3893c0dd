// Attribute, resource and scope encoding with UTF-8 repair.
#include "export/otlp/common_encoder.h"

namespace obi::otlp {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i)
{
    auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
    uint8_t c = b(0);
    if (c < 0x80) return 1;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; k++)
        if ((b(k) & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogates
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // > U+10FFFF
    return n;
}

}  // namespace

bool valid_utf8(std::string_view s)
{
    for (size_t i = 0; i < s.size();) {
        if (static_cast<uint8_t>(s[i]) < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string to_utf8(std::string_view s)
{
    if (valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence(s, i);
        if (n == 0) {
            out += "\xef\xbf\xbd";
            i++;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

void set_string(std::string* field, std::string_view value)
{
    if (valid_utf8(value)) field->assign(value.data(), value.size());
    else *field = to_utf8(value);
}

void encode_attribute(const Attribute& a, pb_common::KeyValue* out)
{
    set_string(out->mutable_key(), a.key);
    pb_common::AnyValue* v = out->mutable_value();
    if (auto* s = std::get_if<std::string>(&a.value)) set_string(v->mutable_string_value(), *s);
    else if (auto* i = std::get_if<int64_t>(&a.value)) v->set_int_value(*i);
    else if (auto* d = std::get_if<double>(&a.value)) v->set_double_value(*d);
    else if (auto* b = std::get_if<bool>(&a.value)) v->set_bool_value(*b);
    else if (auto* arr = std::get_if<std::vector<std::string>>(&a.value))
        for (const auto& item : *arr) set_string(v->mutable_array_value()->add_values()->mutable_string_value(), item);
}

void encode_attributes(const std::vector<Attribute>& attributes,
                       google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out)
{
    out->Reserve(out->size() + static_cast<int>(attributes.size()));
    for (const auto& a : attributes) encode_attribute(a, out->Add());
}

void encode_resource(const ServiceInfo* service, pb_resource::Resource* out)
{
    if (service) {
        encode_attributes(resource_attributes(*service), out->mutable_attributes());
        return;
    }
    std::vector<Attribute> agent = {
        {"service.name", std::string(kDistroName)},
        {"telemetry.sdk.language", std::string("cpp")},
        {"telemetry.sdk.name", std::string(kSdkName)},
        {"telemetry.sdk.version", std::string(agent_version())},
        {"telemetry.distro.name", std::string(kDistroName)},
        {"telemetry.distro.version", std::string(agent_version())},
        {"os.type", std::string("linux")},
    };
    encode_attributes(agent, out->mutable_attributes());
}

void encode_scope(pb_common::InstrumentationScope* out)
{
    out->set_name(kScopeName);
    out->set_version(agent_version());
}

}  // namespace obi::otlp
