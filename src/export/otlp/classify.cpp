// Retry classification and the small protobuf walks over google.rpc.Status bytes (we
// have no generated code for google.rpc, so the three fields we need are read by hand).
#include "export/otlp/classify.h"

#include <curl/curl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace obi::otlp {
namespace {

using google::protobuf::io::CodedInputStream;
using WFL = google::protobuf::internal::WireFormatLite;

constexpr std::string_view kRetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

// Calls fn(field_number, wire_type, in) for every field; fn must consume the value.
// Returns false on malformed input.
template <class Fn>
bool for_each_field(std::string_view bytes, Fn&& fn)
{
    CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
    while (true) {
        uint32_t tag = in.ReadTag();
        if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
        if (!fn(WFL::GetTagFieldNumber(tag), WFL::GetTagWireType(tag), in)) return false;
    }
}

bool read_bytes(CodedInputStream& in, std::string* out)
{
    uint32_t len = 0;
    return in.ReadVarint32(&len) && in.ReadString(out, static_cast<int>(len));
}

bool skip(CodedInputStream& in, uint32_t tag_field, WFL::WireType type)
{
    return WFL::SkipField(&in, WFL::MakeTag(static_cast<int>(tag_field), type));
}

// google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2;}
std::optional<std::chrono::milliseconds> parse_duration(std::string_view bytes)
{
    int64_t seconds = 0;
    int32_t nanos = 0;
    bool ok = for_each_field(bytes, [&](uint32_t f, WFL::WireType t, CodedInputStream& in) {
        uint64_t v = 0;
        if ((f == 1 || f == 2) && t == WFL::WIRETYPE_VARINT) {
            if (!in.ReadVarint64(&v)) return false;
            if (f == 1) seconds = static_cast<int64_t>(v);
            else nanos = static_cast<int32_t>(v);
            return true;
        }
        return skip(in, f, t);
    });
    if (!ok || seconds < 0 || nanos < 0) return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000 + nanos / 1000000);
}

}  // namespace

bool http_status_retryable(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::time_t now)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n'))
        value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int64_t secs = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
        if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
        return std::chrono::milliseconds(std::min<int64_t>(secs, 86400) * 1000);
    }
    std::string text(value);
    std::time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == -1) return std::nullopt;
    return std::chrono::milliseconds(std::clamp<int64_t>(when - now, 0, 86400) * 1000);
}

bool grpc_code_retryable(int code, bool has_retry_info)
{
    switch (code) {
    case 1:   // CANCELLED
    case 4:   // DEADLINE_EXCEEDED
    case 10:  // ABORTED
    case 11:  // OUT_OF_RANGE
    case 14:  // UNAVAILABLE
    case 15:  // DATA_LOSS
        return true;
    case 8:  // RESOURCE_EXHAUSTED
        return has_retry_info;
    default: return false;
    }
}

std::string grpc_code_reason(int code)
{
    static constexpr std::array<const char*, 17> kNames = {
        "ok",        "cancelled",         "unknown",        "invalid_argument", "deadline_exceeded", "not_found",
        "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted",
        "out_of_range", "unimplemented",   "internal",       "unavailable",      "data_loss",         "unauthenticated"};
    if (code >= 0 && code < static_cast<int>(kNames.size())) return std::string("grpc_") + kNames[code];
    return "grpc_" + std::to_string(code);
}

std::optional<std::chrono::milliseconds> parse_retry_info(std::string_view status_details)
{
    // google.rpc.Status {int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3;}
    // google.protobuf.Any {string type_url = 1; bytes value = 2;}
    // google.rpc.RetryInfo {google.protobuf.Duration retry_delay = 1;}
    std::optional<std::chrono::milliseconds> delay;
    for_each_field(status_details, [&](uint32_t f, WFL::WireType t, CodedInputStream& in) {
        if (f != 3 || t != WFL::WIRETYPE_LENGTH_DELIMITED) return skip(in, f, t);
        std::string any, type_url, value;
        if (!read_bytes(in, &any)) return false;
        for_each_field(any, [&](uint32_t af, WFL::WireType at, CodedInputStream& ain) {
            if (at != WFL::WIRETYPE_LENGTH_DELIMITED) return skip(ain, af, at);
            if (af == 1) return read_bytes(ain, &type_url);
            if (af == 2) return read_bytes(ain, &value);
            return skip(ain, af, at);
        });
        if (type_url != kRetryInfoType) return true;
        for_each_field(value, [&](uint32_t rf, WFL::WireType rt, CodedInputStream& rin) {
            if (rf != 1 || rt != WFL::WIRETYPE_LENGTH_DELIMITED) return skip(rin, rf, rt);
            std::string duration;
            if (!read_bytes(rin, &duration)) return false;
            if (auto d = parse_duration(duration)) delay = d;
            return true;
        });
        return true;
    });
    return delay;
}

std::string rpc_status_message(std::string_view status_bytes)
{
    std::string message;
    bool ok = for_each_field(status_bytes, [&](uint32_t f, WFL::WireType t, CodedInputStream& in) {
        if (f == 2 && t == WFL::WIRETYPE_LENGTH_DELIMITED) return read_bytes(in, &message);
        return skip(in, f, t);
    });
    return ok ? message : std::string();
}

}  // namespace obi::otlp
