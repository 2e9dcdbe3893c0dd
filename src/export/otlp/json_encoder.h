// OTLP/JSON (the http/json protocol): protobuf JSON mapping with OTLP's exceptions, which
// protobuf's own printer gets wrong: trace and span ids are lowercase hex (not base64)
// and enums are integers. Keys are lowerCamelCase; 64-bit integers are decimal strings;
// fields at their default value are left out.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace obi::otlp {

void append_otlp_json(const google::protobuf::Message& message, std::string* out);
std::string to_otlp_json(const google::protobuf::Message& message);

}  // namespace obi::otlp
