// Text names of the configuration enums: what the loader accepts and what dumps print.
// The first name of each value is canonical; later ones are accepted aliases.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace obi::config {

template <class E>
struct EnumName {
    std::string_view name;
    E value;
};

template <class E>
using EnumTable = std::span<const EnumName<E>>;

EnumTable<LogLevel> enum_table(LogLevel);
EnumTable<LogFormat> enum_table(LogFormat);
EnumTable<LogConfigFormat> enum_table(LogConfigFormat);
EnumTable<TracePrinter> enum_table(TracePrinter);
EnumTable<ProbeBackend> enum_table(ProbeBackend);
EnumTable<TcBackend> enum_table(TcBackend);
EnumTable<CudaMode> enum_table(CudaMode);
EnumTable<MapReader> enum_table(MapReader);
EnumTable<RouteUnmatched> enum_table(RouteUnmatched);
EnumTable<RouteIgnoreMode> enum_table(RouteIgnoreMode);
EnumTable<OtlpProtocol> enum_table(OtlpProtocol);
EnumTable<HistogramAggregation> enum_table(HistogramAggregation);
EnumTable<TemporalityPreference> enum_table(TemporalityPreference);
EnumTable<ExemplarFilter> enum_table(ExemplarFilter);
EnumTable<InternalMetricsExporter> enum_table(InternalMetricsExporter);
EnumTable<KubeEnable> enum_table(KubeEnable);
EnumTable<NetworkSource> enum_table(NetworkSource);
EnumTable<ReverseDnsType> enum_table(ReverseDnsType);

// Canonical name of a value ("?" if the table misses it).
template <class E>
std::string_view to_string(E value)
{
    for (const auto& n : enum_table(E{}))
        if (n.value == value) return n.name;
    return "?";
}

// Comma-separated canonical names, for "is not one of ..." messages and help.
template <class E>
std::string enum_choices()
{
    std::string out;
    E last{};
    bool first = true;
    for (const auto& n : enum_table(E{})) {
        if (!first && n.value == last) continue;  // skip aliases, which follow their value
        if (!out.empty()) out += ", ";
        out += n.name.empty() ? std::string_view("''") : n.name;
        last = n.value;
        first = false;
    }
    return out;
}

}  // namespace obi::config
