// How a protocol or feature declares a metric to the registry: name, unit, kind, the
// attributes it records (with OBI's defaults) and which configured buckets it uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace obi::metrics {

enum class InstrumentKind : uint8_t {
    Counter,        // monotonic sum
    UpDownCounter,  // non-monotonic sum
    Gauge,          // last value
    Histogram,      // explicit buckets or base-2 exponential (registry option)
};

// Which `<exporter>.buckets.*` list an explicit-bucket histogram uses.
enum class BucketSet : uint8_t { Duration, RequestSize, ResponseSize, TcpRtt, GenAiTokenUsage, GenAiDuration };

// An attribute whose value the recorder passes with each recording.
struct AttributeDef {
    std::string key;           // OpenTelemetry name, e.g. http.request.method
    bool on_by_default = true;  // false: opt-in through attributes.select include
};

// An attribute taken from the service (resource) of the recording. It never splits a
// series (a series belongs to one service) and costs nothing when recording.
enum class ServiceField : uint8_t { Name, Namespace, InstanceId, Job, SdkLanguage, Source };

enum class Flavors : uint8_t { Both, OtlpOnly, PrometheusOnly };

struct ServiceAttributeDef {
    ServiceField field = ServiceField::Name;
    std::string key;  // service.name, service.namespace, instance, job, ...
    bool on_by_default = true;
    Flavors flavors = Flavors::Both;
};

struct MetricDef {
    std::string name;  // OpenTelemetry name
    std::string unit;  // UCUM: s, By, 1, {call}
    std::string description;
    InstrumentKind kind = InstrumentKind::Histogram;
    bool integer = false;                          // sums and gauges of whole numbers
    std::vector<AttributeDef> attributes;          // recorder-supplied values, in this order
    std::vector<ServiceAttributeDef> service_attributes;
    BucketSet buckets = BucketSet::Duration;       // histograms only
    bool selectable = true;                        // attributes.select applies
    std::vector<std::string> select_aliases;       // older names matched by attributes.select
    std::string prometheus_name;                   // "" = derived from name, unit and kind
    bool prometheus_resource_info = false;         // Prometheus: label points with target_info labels
};

}  // namespace obi::metrics
