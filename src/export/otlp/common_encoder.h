// Shared pieces of the OTLP encoders: typed attributes, resources and the scope, with
// strings made valid UTF-8 (protobuf receivers reject a whole request otherwise).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "spans/attributes.h"
#include "spans/service.h"

namespace obi::otlp {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_resource = opentelemetry::proto::resource::v1;

// `s` with every invalid UTF-8 sequence replaced by U+FFFD (fast path: unchanged).
bool valid_utf8(std::string_view s);
std::string to_utf8(std::string_view s);

void set_string(std::string* field, std::string_view value);
void encode_attribute(const Attribute& attribute, pb_common::KeyValue* out);
void encode_attributes(const std::vector<Attribute>& attributes,
                       google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out);

// The resource of a service; nullptr means the agent itself (its internal metrics).
void encode_resource(const ServiceInfo* service, pb_resource::Resource* out);
// go.opentelemetry.io/obi at agent_version().
void encode_scope(pb_common::InstrumentationScope* out);

}  // namespace obi::otlp
