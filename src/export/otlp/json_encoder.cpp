// A reflection walk over any OTLP message that writes its OTLP/JSON form.
#include "export/otlp/json_encoder.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include <google/protobuf/descriptor.h>

namespace obi::otlp {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// trace_id, span_id and parent_span_id of Span, Span.Link and Exemplar.
bool is_hex_id(const FieldDescriptor* f)
{
    const std::string& n = f->name();
    return f->type() == FieldDescriptor::TYPE_BYTES && (n == "trace_id" || n == "span_id" || n == "parent_span_id");
}

void append_hex(std::string_view bytes, std::string* out)
{
    out->push_back('"');
    for (unsigned char c : bytes) {
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
    out->push_back('"');
}

void append_base64(std::string_view bytes, std::string* out)
{
    out->push_back('"');
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                     static_cast<uint8_t>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out->push_back(kBase64[(v >> s) & 63]);
    }
    if (size_t rest = bytes.size() - i; rest > 0) {
        uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | (rest > 1 ? static_cast<uint8_t>(bytes[i + 1]) << 8 : 0);
        out->push_back(kBase64[(v >> 18) & 63]);
        out->push_back(kBase64[(v >> 12) & 63]);
        out->push_back(rest > 1 ? kBase64[(v >> 6) & 63] : '=');
        out->push_back('=');
    }
    out->push_back('"');
}

void append_string(std::string_view s, std::string* out)
{
    out->push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': *out += "\\\""; break;
        case '\\': *out += "\\\\"; break;
        case '\n': *out += "\\n"; break;
        case '\r': *out += "\\r"; break;
        case '\t': *out += "\\t"; break;
        case '\b': *out += "\\b"; break;
        case '\f': *out += "\\f"; break;
        default:
            if (c < 0x20) {
                *out += "\\u00";
                out->push_back(kHex[c >> 4]);
                out->push_back(kHex[c & 0xf]);
            } else {
                out->push_back(ch);
            }
        }
    }
    out->push_back('"');
}

template <class T>
void append_number(T v, std::string* out, bool quoted)
{
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    if (quoted) out->push_back('"');
    out->append(buf, ec == std::errc() ? end : buf);
    if (quoted) out->push_back('"');
}

void append_double(double v, std::string* out)
{
    if (std::isnan(v)) *out += "\"NaN\"";
    else if (std::isinf(v)) *out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    else append_number(v, out, false);
}

void append_message(const Message& m, std::string* out);

// One value of field `f`; `i` is the index for repeated fields, -1 for singular ones.
void append_value(const Message& m, const Reflection* r, const FieldDescriptor* f, int i, std::string* out)
{
    bool rep = i >= 0;
    switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
        append_number(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f), out, false);
        break;
    case FieldDescriptor::CPPTYPE_UINT32:
        append_number(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f), out, false);
        break;
    case FieldDescriptor::CPPTYPE_INT64:
        append_number(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f), out, true);
        break;
    case FieldDescriptor::CPPTYPE_UINT64:
        append_number(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f), out, true);
        break;
    case FieldDescriptor::CPPTYPE_DOUBLE: append_double(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f), out); break;
    case FieldDescriptor::CPPTYPE_FLOAT: append_double(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f), out); break;
    case FieldDescriptor::CPPTYPE_BOOL: *out += (rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f)) ? "true" : "false"; break;
    case FieldDescriptor::CPPTYPE_ENUM:
        append_number(rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f), out, false);
        break;
    case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, f, i, &scratch) : r->GetStringReference(m, f, &scratch);
        if (f->type() != FieldDescriptor::TYPE_BYTES) append_string(s, out);
        else if (is_hex_id(f)) append_hex(s, out);
        else append_base64(s, out);
        break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
        append_message(rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), out);
        break;
    }
}

void append_message(const Message& m, std::string* out)
{
    const Reflection* r = m.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(m, &fields);  // set fields only, by field number
    out->push_back('{');
    bool first = true;
    for (const FieldDescriptor* f : fields) {
        if (!first) out->push_back(',');
        first = false;
        append_string(f->json_name(), out);
        out->push_back(':');
        if (!f->is_repeated()) {
            append_value(m, r, f, -1, out);
            continue;
        }
        out->push_back('[');
        int n = r->FieldSize(m, f);
        for (int i = 0; i < n; i++) {
            if (i) out->push_back(',');
            append_value(m, r, f, i, out);
        }
        out->push_back(']');
    }
    out->push_back('}');
}

}  // namespace

void append_otlp_json(const Message& message, std::string* out) { append_message(message, out); }

std::string to_otlp_json(const Message& message)
{
    std::string out;
    out.reserve(static_cast<size_t>(message.ByteSizeLong()) * 2);
    append_message(message, &out);
    return out;
}

}  // namespace obi::otlp
