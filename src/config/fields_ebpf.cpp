// The `ebpf` section: batching, context propagation, capture sizes, caches, and the obi-cpp
// extensions probe_backend, ringbuf_size and capture_size.
#include <cctype>

#include "config/fields.h"
#include "obi_events.h"

namespace obi::config {
namespace {

// "64KiB (65536)": a byte count as people write it, and as the loader accepts it.
std::string human_bytes(uint64_t v)
{
    static const char* kUnits[] = {"GiB", "MiB", "KiB"};
    for (int i = 0; i < 3; i++) {
        uint64_t unit = uint64_t{1} << (10 * (3 - i));
        if (v >= unit && v % unit == 0) return std::to_string(v / unit) + kUnits[i] + " (" + std::to_string(v) + ")";
    }
    return std::to_string(v);
}

// A byte size (plain number or 16KiB-style) within [lo, hi], optionally a power of two.
Field f_size(std::string path, std::string env, std::string help, uint64_t lo, uint64_t hi, bool pow2,
             std::function<void(Config&, uint64_t)> set, ShowFn show)
{
    auto parse = [lo, hi, pow2, set](Config& c, const Input& in) -> std::string {
        if (in.shape == Shape::Null) return "";
        std::string s, err;
        if (auto e = need_scalar(in, s); !e.empty()) return e;
        auto v = parse_size(s, &err);
        if (!v) return err;
        if (*v < lo || *v > hi || (pow2 && (*v & (*v - 1)) != 0))
            return "'" + s + "' must be " + (pow2 ? "a power of two " : "") + "between " + human_bytes(lo) + " and " +
                   human_bytes(hi) + " bytes";
        set(c, *v);
        return "";
    };
    return {std::move(path), {std::move(env)}, std::move(help), parse, std::move(show)};
}

constexpr uint32_t kMaxBufferSize = 262144;  // OBI's documented maximum for buffer_sizes.http

std::string parse_context_propagation(const std::string& text, ContextPropagation& out)
{
    std::string v = to_lower(trim(text));
    if (v == "all") {
        out = {true, true};
        return "";
    }
    if (v == "disabled" || v.empty()) {
        out = {};
        return "";
    }
    ContextPropagation r;
    for (const auto& part : split_list(v)) {
        if (part == "headers") r.headers = true;
        else if (part == "tcp") r.tcp = true;
        else if (part == "ip") continue;  // accepted and ignored: IP options injection was removed
        else return not_one_of(part, {"disabled", "headers", "tcp", "all", "ip"}) + " (or a list like headers,tcp)";
    }
    out = r;
    return "";
}

std::string context_propagation_name(const ContextPropagation& cp)
{
    if (cp.headers && cp.tcp) return "all";
    if (cp.headers) return "headers";
    if (cp.tcp) return "tcp";
    return "disabled";
}

Field buffer_size(const std::string& proto, uint32_t BufferSizes::*member)
{
    std::string upper = proto;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return {"ebpf.buffer_sizes." + proto, {"OTEL_EBPF_BPF_BUFFER_SIZE_" + upper},
            proto + " payload bytes captured beyond the request head (0 = default)",
            [member](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_size(s, &err);
                if (!v) return err;
                if (*v > kMaxBufferSize)
                    return "'" + s + "' is too large (at most " + std::to_string(kMaxBufferSize) + " bytes)";
                c.ebpf.buffer_sizes.*member = static_cast<uint32_t>(*v);
                return "";
            },
            [member](const Config& c) { return Json(c.ebpf.buffer_sizes.*member); }};
}

Field cache_size(const std::string& key, Envs env, uint32_t EbpfConfig::*member)
{
    return {"ebpf." + key, std::move(env), "entries of the " + key.substr(0, key.size() - 11) + " cache",
            [member](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s, err;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                auto v = parse_int(s, 1, 100000000, &err);
                if (!v) return err;
                c.ebpf.*member = static_cast<uint32_t>(*v);
                return "";
            },
            [member](const Config& c) { return Json(c.ebpf.*member); }};
}

}  // namespace

std::vector<Field> ebpf_fields()
{
    std::vector<Field> f;
    f.push_back(f_int("ebpf.wakeup_len", {"OTEL_EBPF_BPF_WAKEUP_LEN"},
                      "events accumulated in the ring buffer before user space is woken", OBI_AT(ebpf.wakeup_len), 0,
                      1000000));
    f.push_back(f_int("ebpf.stats_wakeup_data_bytes", {"OTEL_EBPF_STATS_WAKEUP_DATA_BYTES"},
                      "bytes in the stats ring buffer before user space is woken", OBI_AT(ebpf.stats_wakeup_data_bytes),
                      0, 1 << 30));
    f.push_back(f_int("ebpf.batch_length", {"OTEL_EBPF_BPF_BATCH_LENGTH"}, "spans forwarded per batch",
                      OBI_AT(ebpf.batch_length), 1, 1000000));
    f.push_back(f_duration("ebpf.batch_timeout", {"OTEL_EBPF_BPF_BATCH_TIMEOUT"},
                           "a partial batch is forwarded after this time", OBI_AT(ebpf.batch_timeout)));
    f.push_back(f_duration("ebpf.http_request_timeout", {"OTEL_EBPF_BPF_HTTP_REQUEST_TIMEOUT"},
                           "report unanswered HTTP requests as 408 after this time (0 = off)",
                           OBI_AT(ebpf.http_request_timeout)));
    f.push_back(f_bool("ebpf.high_request_volume", {"OTEL_EBPF_BPF_HIGH_REQUEST_VOLUME"},
                       "send events as soon as the response starts", OBI_AT(ebpf.high_request_volume)));
    f.push_back(f_bool("ebpf.track_request_headers", {"OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS"},
                       "read incoming traceparent headers of non-Go servers", OBI_AT(ebpf.track_request_headers)));
    f.push_back({"ebpf.context_propagation", {"OTEL_EBPF_BPF_CONTEXT_PROPAGATION"},
                 "trace context propagation: disabled, headers, tcp, all (or headers,tcp)",
                 [](Config& c, const Input& in) -> std::string {
                     std::string s;
                     if (auto e = need_scalar(in, s); !e.empty()) return e;
                     if (in.shape == Shape::Null) return "";
                     std::string err = parse_context_propagation(s, c.ebpf.context_propagation);
                     for (const auto& part : split_list(to_lower(s)))
                         if (err.empty() && part == "ip")
                             c.warn("ebpf.context_propagation: 'ip' is accepted for compatibility and ignored");
                     return err;
                 },
                 [](const Config& c) { return Json(context_propagation_name(c.ebpf.context_propagation)); }});
    f.push_back({"ebpf.enable_context_propagation", {"OTEL_EBPF_BPF_ENABLE_CONTEXT_PROPAGATION"},
                 "deprecated: true means context_propagation: all",
                 [](Config& c, const Input& in) -> std::string {
                     std::string s, err;
                     if (auto e = need_scalar(in, s); !e.empty()) return e;
                     if (in.shape == Shape::Null) return "";
                     auto v = parse_bool(s, &err);
                     if (!v) return err;
                     // Applied in the loader's normalisation, unless context_propagation is set.
                     if (*v) in.ctx->set_keys.insert("legacy:enable_context_propagation");
                     c.warn("ebpf.enable_context_propagation is deprecated; use ebpf.context_propagation");
                     return "";
                 },
                 {}});
    f.push_back(f_enum("ebpf.traffic_control_backend", {"OTEL_EBPF_BPF_TC_BACKEND"},
                       "traffic control attachment: auto, tc, tcx", OBI_AT(ebpf.traffic_control_backend)));
    f.push_back(f_bool("ebpf.disable_black_box_cp", {"OTEL_EBPF_BPF_DISABLE_BLACK_BOX_CP"},
                       "testing only: disable black-box context propagation", OBI_AT(ebpf.disable_black_box_cp)));
    f.push_back(f_bool("ebpf.heuristic_sql_detect", {"OTEL_EBPF_HEURISTIC_SQL_DETECT"},
                       "detect SQL text on unknown TCP protocols", OBI_AT(ebpf.heuristic_sql_detect)));
    f.push_back(f_bool("ebpf.bpf_debug", {"OTEL_EBPF_BPF_DEBUG"}, "kernel-side debug output", OBI_AT(ebpf.bpf_debug)));
    f.push_back(f_bool("ebpf.protocol_debug_print", {"OTEL_EBPF_PROTOCOL_DEBUG_PRINT"}, "print protocol payloads",
                       OBI_AT(ebpf.protocol_debug_print)));
    f.push_back(f_bool("ebpf.override_bpfloop_enabled", {"OTEL_EBPF_OVERRIDE_BPF_LOOP_ENABLED"},
                       "assume bpf_loop exists even on kernels older than 5.17", OBI_AT(ebpf.override_bpfloop_enabled)));
    f.push_back(f_bool("ebpf.instrument_gpu", {}, "instrument CUDA kernel launches",
                       OBI_AT(ebpf.instrument_gpu)));
    f.push_back(f_enum("ebpf.instrument_cuda", {"OTEL_EBPF_INSTRUMENT_CUDA"}, "CUDA instrumentation: auto, on, off",
                       OBI_AT(ebpf.instrument_cuda)));
    for (auto [proto, member] : {std::pair{"http", &BufferSizes::http}, std::pair{"mysql", &BufferSizes::mysql},
                                 std::pair{"postgres", &BufferSizes::postgres}, std::pair{"kafka", &BufferSizes::kafka},
                                 std::pair{"mssql", &BufferSizes::mssql}, std::pair{"tcp", &BufferSizes::tcp},
                                 std::pair{"aerospike", &BufferSizes::aerospike}})
        f.push_back(buffer_size(proto, member));
    f.push_back(f_int("ebpf.maps_config.global_scale_factor", {}, "scale eBPF map sizes by 2^n (-3..3)",
                      OBI_AT(ebpf.maps_global_scale_factor), -3, 3));
    f.push_back(cache_size("mysql_prepared_statements_cache_size", {"OTEL_EBPF_BPF_MYSQL_PREPARED_STATEMENTS_CACHE_SIZE"},
                           &EbpfConfig::mysql_prepared_statements_cache_size));
    f.push_back(cache_size("postgres_prepared_statements_cache_size",
                           {"OTEL_EBPF_BPF_POSTGRES_PREPARED_STATEMENTS_CACHE_SIZE"},
                           &EbpfConfig::postgres_prepared_statements_cache_size));
    f.push_back(cache_size("mssql_prepared_statements_cache_size", {"OTEL_EBPF_BPF_MSSQL_PREPARED_STATEMENTS_CACHE_SIZE"},
                           &EbpfConfig::mssql_prepared_statements_cache_size));
    f.push_back(cache_size("mongo_requests_cache_size", {"OTEL_EBPF_BPF_MONGO_REQUESTS_CACHE_SIZE"},
                           &EbpfConfig::mongo_requests_cache_size));
    f.push_back(cache_size("kafka_topic_uuid_cache_size", {"OTEL_KAFKA_TOPIC_UUID_CACHE_SIZE"},
                           &EbpfConfig::kafka_topic_uuid_cache_size));
    f.push_back(cache_size("couchbase_db_cache_size", {"OTEL_EBPF_COUCHBASE_DB_CACHE_SIZE"},
                           &EbpfConfig::couchbase_db_cache_size));
    f.push_back(f_bool("ebpf.redis_db_cache.enabled", {"OTEL_EBPF_BPF_REDIS_DB_CACHE_ENABLED"},
                       "remember the Redis database index per connection", OBI_AT(ebpf.redis_db_cache_enabled)));
    f.push_back(f_int("ebpf.redis_db_cache.max_size", {"OTEL_EBPF_BPF_REDIS_DB_CACHE_MAX_SIZE"},
                      "entries of the Redis database cache", OBI_AT(ebpf.redis_db_cache_max_size), 1, 100000000));
    f.push_back(f_duration("ebpf.max_transaction_time", {"OTEL_EBPF_BPF_MAX_TRANSACTION_TIME"},
                           "longest parent-child span correlation", OBI_AT(ebpf.max_transaction_time)));
    f.push_back(f_duration("ebpf.dns_request_timeout", {"OTEL_EBPF_BPF_DNS_REQUEST_TIMEOUT"},
                           "unanswered DNS requests are reported as failed after this time",
                           OBI_AT(ebpf.dns_request_timeout)));
    f.push_back(f_string("ebpf.bpf_fs_path", {"OTEL_EBPF_BPF_FS_PATH"}, "bpffs directory for pinned maps",
                         OBI_AT(ebpf.bpf_fs_path)));
    f.push_back(f_enum("ebpf.force_bpf_map_reader", {"OTEL_EBPF_FORCE_BPF_MAP_READER"},
                       "network flow map reader: auto, batch, legacy", OBI_AT(ebpf.force_bpf_map_reader)));
    f.push_back(f_subtree("ebpf.payload_extraction", "payload extraction settings (accepted and stored)",
                          OBI_AT(ebpf.payload_extraction_json)));
    f.push_back(f_subtree("ebpf.log_enricher", "log enricher settings (accepted and stored)",
                          OBI_AT(ebpf.log_enricher_json)));

    // obi-cpp extensions.
    f.push_back(f_enum("ebpf.probe_backend", {"OTEL_EBPF_BPF_PROBE_BACKEND"},
                       "obi-cpp: kernel probes: auto, sock_tracepoints, syscall_tracepoints",
                       OBI_AT(ebpf.probe_backend)));
    f.push_back(f_size("ebpf.ringbuf_size", "OTEL_EBPF_BPF_RINGBUF_SIZE",
                       "obi-cpp: ring buffer bytes, a power of two from 64KiB to 1GiB", 64u << 10, 1u << 30, true,
                       [](Config& c, uint64_t v) { c.ebpf.ringbuf_size = v; },
                       [](const Config& c) { return Json(c.ebpf.ringbuf_size); }));
    // The upper bound is the kernel's: one per-CPU scratch value holds the captured bytes.
    f.push_back(f_size("ebpf.capture_size", "OTEL_EBPF_BPF_CAPTURE_SIZE",
                       "obi-cpp: payload bytes captured per message, 64.." + std::to_string(OBI_CAPTURE_MAX) +
                           " (the kernel limit)",
                       64, OBI_CAPTURE_MAX, false,
                       [](Config& c, uint64_t v) { c.ebpf.capture_size = static_cast<uint32_t>(v); },
                       [](const Config& c) { return Json(c.ebpf.capture_size); }));
    return f;
}

}  // namespace obi::config
