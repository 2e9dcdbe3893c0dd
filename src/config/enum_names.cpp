// Name tables of the configuration enums (OBI's spellings, plus accepted aliases).
#include "config/enum_names.h"

namespace obi::config {
namespace {

constexpr EnumName<LogLevel> kLogLevel[] = {
    {"INFO", LogLevel::Info}, {"DEBUG", LogLevel::Debug}, {"WARN", LogLevel::Warn},
    {"WARNING", LogLevel::Warn}, {"ERROR", LogLevel::Error},
};
constexpr EnumName<LogFormat> kLogFormat[] = {{"text", LogFormat::Text}, {"json", LogFormat::Json}};
constexpr EnumName<LogConfigFormat> kLogConfig[] = {
    {"", LogConfigFormat::None}, {"yaml", LogConfigFormat::Yaml}, {"json", LogConfigFormat::Json}};
constexpr EnumName<TracePrinter> kTracePrinter[] = {
    {"disabled", TracePrinter::Disabled}, {"counter", TracePrinter::Counter}, {"text", TracePrinter::Text},
    {"json", TracePrinter::Json}, {"json_indent", TracePrinter::JsonIndent},
};
constexpr EnumName<ProbeBackend> kProbeBackend[] = {
    {"auto", ProbeBackend::Auto}, {"sock_tracepoints", ProbeBackend::SockTracepoints},
    {"syscall_tracepoints", ProbeBackend::SyscallTracepoints}};
constexpr EnumName<TcBackend> kTcBackend[] = {{"auto", TcBackend::Auto}, {"tc", TcBackend::Tc}, {"tcx", TcBackend::Tcx}};
constexpr EnumName<CudaMode> kCudaMode[] = {
    {"auto", CudaMode::Auto}, {"on", CudaMode::On},   {"true", CudaMode::On},
    {"off", CudaMode::Off},   {"false", CudaMode::Off}};
constexpr EnumName<MapReader> kMapReader[] = {
    {"auto", MapReader::Auto}, {"batch", MapReader::Batch}, {"legacy", MapReader::Legacy}};
constexpr EnumName<RouteUnmatched> kUnmatched[] = {
    {"heuristic", RouteUnmatched::Heuristic}, {"path", RouteUnmatched::Path},
    {"wildcard", RouteUnmatched::Wildcard},   {"unset", RouteUnmatched::Unset},
    {"low-cardinality", RouteUnmatched::LowCardinality}};
constexpr EnumName<RouteIgnoreMode> kIgnoreMode[] = {
    {"all", RouteIgnoreMode::All}, {"traces", RouteIgnoreMode::Traces}, {"metrics", RouteIgnoreMode::Metrics}};
constexpr EnumName<OtlpProtocol> kProtocol[] = {
    {"", OtlpProtocol::Unset}, {"grpc", OtlpProtocol::Grpc}, {"http/protobuf", OtlpProtocol::HttpProtobuf},
    {"http/json", OtlpProtocol::HttpJson}, {"debug", OtlpProtocol::Debug}};
constexpr EnumName<HistogramAggregation> kAggregation[] = {
    {"explicit_bucket_histogram", HistogramAggregation::ExplicitBucket},
    {"base2_exponential_bucket_histogram", HistogramAggregation::Base2Exponential}};
constexpr EnumName<ExemplarFilter> kExemplar[] = {
    {"always_off", ExemplarFilter::AlwaysOff}, {"always_on", ExemplarFilter::AlwaysOn},
    {"trace_based", ExemplarFilter::TraceBased}};
constexpr EnumName<InternalMetricsExporter> kInternal[] = {
    {"disabled", InternalMetricsExporter::Disabled}, {"none", InternalMetricsExporter::Disabled},
    {"prometheus", InternalMetricsExporter::Prometheus}, {"otel", InternalMetricsExporter::Otel},
    {"otlp", InternalMetricsExporter::Otel}};
constexpr EnumName<KubeEnable> kKube[] = {
    {"autodetect", KubeEnable::Autodetect}, {"true", KubeEnable::True}, {"false", KubeEnable::False}};
constexpr EnumName<NetworkSource> kNetSource[] = {
    {"socket_filter", NetworkSource::SocketFilter}, {"tc", NetworkSource::Tc}};
constexpr EnumName<ReverseDnsType> kRdns[] = {
    {"none", ReverseDnsType::None}, {"local", ReverseDnsType::Local}, {"ebpf", ReverseDnsType::Ebpf}};

}  // namespace

EnumTable<LogLevel> enum_table(LogLevel) { return kLogLevel; }
EnumTable<LogFormat> enum_table(LogFormat) { return kLogFormat; }
EnumTable<LogConfigFormat> enum_table(LogConfigFormat) { return kLogConfig; }
EnumTable<TracePrinter> enum_table(TracePrinter) { return kTracePrinter; }
EnumTable<ProbeBackend> enum_table(ProbeBackend) { return kProbeBackend; }
EnumTable<TcBackend> enum_table(TcBackend) { return kTcBackend; }
EnumTable<CudaMode> enum_table(CudaMode) { return kCudaMode; }
EnumTable<MapReader> enum_table(MapReader) { return kMapReader; }
EnumTable<RouteUnmatched> enum_table(RouteUnmatched) { return kUnmatched; }
EnumTable<RouteIgnoreMode> enum_table(RouteIgnoreMode) { return kIgnoreMode; }
EnumTable<OtlpProtocol> enum_table(OtlpProtocol) { return kProtocol; }
EnumTable<HistogramAggregation> enum_table(HistogramAggregation) { return kAggregation; }
constexpr EnumName<TemporalityPreference> kTemporality[] = {{"cumulative", TemporalityPreference::Cumulative},
                                                            {"delta", TemporalityPreference::Delta},
                                                            {"lowmemory", TemporalityPreference::LowMemory}};
EnumTable<TemporalityPreference> enum_table(TemporalityPreference) { return kTemporality; }
EnumTable<ExemplarFilter> enum_table(ExemplarFilter) { return kExemplar; }
EnumTable<InternalMetricsExporter> enum_table(InternalMetricsExporter) { return kInternal; }
EnumTable<KubeEnable> enum_table(KubeEnable) { return kKube; }
EnumTable<NetworkSource> enum_table(NetworkSource) { return kNetSource; }
EnumTable<ReverseDnsType> enum_table(ReverseDnsType) { return kRdns; }

}  // namespace obi::config
