// Field-by-field walks of the Produce, Fetch, Metadata and ApiVersions layouts, version by
// version (Apache Kafka message definitions: "versions" of each field, compact encodings
// from the first flexible version).
#include "protocols/kafka/messages.h"

namespace obi::kafka {
namespace {

bool printable(std::string_view s)
{
    for (char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

bool read_topic(Reader& r, bool by_id, TopicRef& t)
{
    t = TopicRef{};
    if (by_id) {
        t.by_id = true;
        return r.uuid(t.id);
    }
    if (!r.string(t.name)) return false;
    if (!valid_topic_name(t.name)) return r.invalid();
    return true;
}

// An ARRAY of INT32 (replica lists), skipped.
bool skip_int32_array(Reader& r)
{
    int32_t n = 0;
    if (!r.array_length(n, 4)) return false;
    return n <= 0 || r.skip(static_cast<uint64_t>(n) * 4);
}

bool read_bool(Reader& r)
{
    int8_t b = 0;
    if (!r.i8(b)) return false;
    return (b == 0 || b == 1) || r.invalid();
}

ReadStatus check_metadata_request(const SparseBytes& m, const RequestHeader& h)
{
    const int16_t v = h.api_version;
    Reader r(m, h.body_offset, h.flexible);
    int32_t n = 0;
    if (!r.array_length(n, 1)) return r.status();
    if (n == -1 && v == 0) return ReadStatus::Invalid;  // v0 has no null array
    for (int32_t i = 0; i < n && r.ok(); i++) {
        if (v >= 10) {
            Uuid id;
            std::string_view name;
            bool null = false;
            if (!r.uuid(id) || !r.string(name, null)) break;
            if (!null && !valid_topic_name(name)) return ReadStatus::Invalid;
        } else {
            TopicRef t;
            if (!read_topic(r, false, t)) break;
        }
        r.skip_tags();
    }
    if (!r.ok()) return r.status();
    if (v >= 4 && !read_bool(r)) return r.status();
    if (v >= 8 && v <= 10 && !read_bool(r)) return r.status();
    if (v >= 8 && !read_bool(r)) return r.status();
    if (!r.skip_tags()) return r.status();
    return r.remaining() == 0 ? ReadStatus::Ok : ReadStatus::Invalid;
}

ReadStatus check_api_versions_request(const SparseBytes& m, const RequestHeader& h)
{
    Reader r(m, h.body_offset, h.flexible);
    if (h.api_version < 3) return r.remaining() == 0 ? ReadStatus::Ok : ReadStatus::Invalid;
    std::string_view name, version;
    if (!r.string(name) || !r.string(version)) return r.status();
    if (name.size() > kMaxClientId || version.size() > kMaxClientId || !printable(name) || !printable(version))
        return ReadStatus::Invalid;
    if (!r.skip_tags()) return r.status();
    return r.remaining() == 0 ? ReadStatus::Ok : ReadStatus::Invalid;
}

}  // namespace

bool valid_topic_name(std::string_view name)
{
    if (name.empty() || name.size() > 249) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        if (!ok) return false;
    }
    return true;
}

uint64_t TopicRef::hash() const
{
    if (by_id) return topic_hash(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
    return topic_hash(name);
}

int64_t FetchRequestInfo::offset_of(uint64_t topic, int32_t partition) const
{
    for (size_t i = 0; i < count; i++)
        if (offsets[i].topic == topic && offsets[i].partition == partition) return offsets[i].offset;
    return -1;
}

ReadStatus parse_produce_request(const SparseBytes& m, const RequestHeader& h, ProduceRequestInfo& out)
{
    out = ProduceRequestInfo{};
    const int16_t v = h.api_version;
    Reader r(m, h.body_offset, h.flexible);
    std::string_view txn;
    int32_t timeout = 0;
    if (v >= 3 && !r.string(txn)) return r.status();
    if (!r.i16(out.acks) || !r.i32(timeout)) return r.status();
    if (out.acks < -1 || out.acks > 1) return ReadStatus::Invalid;  // the only values brokers accept
    if (!r.array_length(out.topics, 3)) return r.status();
    if (out.topics < 0) return ReadStatus::Invalid;
    if (out.topics == 0) return ReadStatus::Ok;
    if (!read_topic(r, v >= 13, out.topic)) return r.status();
    int32_t parts = 0;
    if (!r.array_length(parts, 5)) return r.status();
    if (parts < 0) return ReadStatus::Invalid;
    if (parts == 0) return ReadStatus::Ok;
    int32_t index = 0;
    int64_t len = 0;
    if (!r.i32(index)) return r.status();
    if (index < 0) return ReadStatus::Invalid;
    out.partition = index;
    if (!r.bytes_length(len)) return r.status();
    out.records_bytes = len;
    if (len > 0 && summarize_records(m, r.pos(), static_cast<uint64_t>(len), out.records) == ReadStatus::Invalid)
        return ReadStatus::Invalid;
    return ReadStatus::Ok;
}

ReadStatus parse_fetch_request(const SparseBytes& m, const RequestHeader& h, FetchRequestInfo& out)
{
    out = FetchRequestInfo{};
    const int16_t v = h.api_version;
    Reader r(m, h.body_offset, h.flexible);
    int32_t replica = -1, max_wait = 0, min_bytes = 0, max_bytes = 0, session = 0, epoch = 0;
    int8_t isolation = 0;
    if (v <= 14 && !r.i32(replica)) return r.status();
    if (!r.i32(max_wait) || !r.i32(min_bytes)) return r.status();
    if (v >= 3 && !r.i32(max_bytes)) return r.status();
    if (v >= 4) {
        if (!r.i8(isolation)) return r.status();
        if (isolation != 0 && isolation != 1) return ReadStatus::Invalid;
    }
    if (v >= 7 && (!r.i32(session) || !r.i32(epoch))) return r.status();
    if (!r.array_length(out.topics, 3)) return r.status();
    if (out.topics < 0) return ReadStatus::Invalid;
    for (int32_t t = 0; t < out.topics; t++) {
        TopicRef topic;
        int32_t parts = 0;
        if (!read_topic(r, v >= 13, topic) || !r.array_length(parts, 16)) return r.status();
        if (parts < 0) return ReadStatus::Invalid;
        const uint64_t th = topic.hash();
        for (int32_t p = 0; p < parts; p++) {
            int32_t index = 0, leader_epoch = 0, last_epoch = 0, part_max = 0;
            int64_t offset = 0, log_start = 0;
            if (!r.i32(index)) return r.status();
            if (v >= 9 && !r.i32(leader_epoch)) return r.status();
            if (!r.i64(offset)) return r.status();
            if (v >= 12 && !r.i32(last_epoch)) return r.status();
            if (v >= 5 && !r.i64(log_start)) return r.status();
            if (!r.i32(part_max) || !r.skip_tags()) return r.status();
            if (index < 0) return ReadStatus::Invalid;
            if (out.count < FetchRequestInfo::kMaxOffsets) out.offsets[out.count++] = {th, index, offset};
        }
        if (!r.skip_tags()) return r.status();
    }
    return ReadStatus::Ok;  // forgotten topics and rack id are not needed
}

ReadStatus parse_fetch_response(const SparseBytes& m, uint64_t body, int16_t version, FetchResponseInfo& out)
{
    out = FetchResponseInfo{};
    const int16_t v = version;
    Reader r(m, body, request_is_flexible(kFetch, v));
    int32_t throttle = 0, session = 0, topics = 0;
    int16_t error = 0;
    if (v >= 1 && !r.i32(throttle)) return r.status();
    if (v >= 7 && (!r.i16(error) || !r.i32(session))) return r.status();
    if (!r.array_length(topics, 3)) return r.status();
    if (topics < 0) return ReadStatus::Invalid;
    for (int32_t t = 0; t < topics; t++) {
        TopicRef topic;
        int32_t parts = 0;
        if (!read_topic(r, v >= 13, topic) || !r.array_length(parts, 14)) return r.status();
        if (parts < 0) return ReadStatus::Invalid;
        for (int32_t p = 0; p < parts; p++) {
            int32_t index = 0, preferred = 0, aborted = 0;
            int16_t perr = 0;
            int64_t hwm = 0, lso = 0, log_start = 0, len = 0;
            if (!r.i32(index) || !r.i16(perr) || !r.i64(hwm)) return r.status();
            if (v >= 4 && !r.i64(lso)) return r.status();
            if (v >= 5 && !r.i64(log_start)) return r.status();
            if (v >= 4) {
                if (!r.array_length(aborted, 16)) return r.status();
                for (int32_t a = 0; a < aborted; a++)
                    if (!r.skip(16) || !r.skip_tags()) return r.status();
            }
            if (v >= 11 && !r.i32(preferred)) return r.status();
            if (!r.bytes_length(len)) return r.status();
            if (index < 0) return ReadStatus::Invalid;
            if (len > 0) {
                RecordSetInfo rs;
                if (summarize_records(m, r.pos(), static_cast<uint64_t>(len), rs) == ReadStatus::Invalid)
                    return ReadStatus::Invalid;
                if (rs.has_records()) {
                    out.partitions_with_records++;
                    out.records_total += rs.records;
                    if (!out.found) {
                        out.found = true;
                        out.topic = topic;
                        out.partition = index;
                        out.records = rs;
                    }
                }
                if (!r.skip(static_cast<uint64_t>(len))) return r.status();
            }
            if (!r.skip_tags()) return r.status();
        }
        if (!r.skip_tags()) return r.status();
    }
    return r.skip_tags() ? ReadStatus::Ok : r.status();
}

ReadStatus parse_metadata_response(const SparseBytes& m, uint64_t body, int16_t version, TopicIdCache& cache,
                                   uint32_t& learnt)
{
    learnt = 0;
    const int16_t v = version;
    Reader r(m, body, request_is_flexible(kMetadata, v));
    int32_t throttle = 0, brokers = 0, controller = 0, topics = 0;
    if (v >= 3 && !r.i32(throttle)) return r.status();
    if (!r.array_length(brokers, 10)) return r.status();
    for (int32_t b = 0; b < brokers; b++) {
        int32_t node = 0, port = 0;
        std::string_view host, rack;
        if (!r.i32(node) || !r.string(host) || !r.i32(port)) return r.status();
        if (v >= 1 && !r.string(rack)) return r.status();
        if (!r.skip_tags()) return r.status();
    }
    std::string_view cluster;
    if (v >= 2 && !r.string(cluster)) return r.status();
    if (v >= 1 && !r.i32(controller)) return r.status();
    if (!r.array_length(topics, 8)) return r.status();
    for (int32_t t = 0; t < topics; t++) {
        int16_t error = 0;
        std::string_view name;
        bool null = false;
        Uuid id{};
        int32_t parts = 0, auth = 0;
        if (!r.i16(error) || !r.string(name, null)) return r.status();
        if (v >= 10 && !r.uuid(id)) return r.status();
        if (v >= 1 && !read_bool(r)) return r.status();
        if (!r.array_length(parts, 14)) return r.status();
        for (int32_t p = 0; p < parts; p++) {
            int16_t perr = 0;
            int32_t index = 0, leader = 0, epoch = 0;
            if (!r.i16(perr) || !r.i32(index) || !r.i32(leader)) return r.status();
            if (v >= 7 && !r.i32(epoch)) return r.status();
            if (!skip_int32_array(r) || !skip_int32_array(r)) return r.status();
            if (v >= 5 && !skip_int32_array(r)) return r.status();
            if (!r.skip_tags()) return r.status();
        }
        if (v >= 8 && !r.i32(auth)) return r.status();
        if (!r.skip_tags()) return r.status();
        bool zero = true;
        for (uint8_t b : id) zero = zero && b == 0;
        if (v >= 10 && !null && !zero && valid_topic_name(name)) {
            cache.put(id, name);
            learnt++;
        }
    }
    return ReadStatus::Ok;
}

ReadStatus response_body_offset(const SparseBytes& m, int16_t api_key, int16_t version, uint64_t& body)
{
    Reader r(m, 0, false);
    int32_t corr = 0;
    if (!r.i32(corr)) return r.status();
    if (response_is_flexible(api_key, version)) {
        r.set_flexible(true);
        if (!r.skip_tags()) return r.status();
    }
    body = r.pos();
    return ReadStatus::Ok;
}

ReadStatus check_request_body(const SparseBytes& m, const RequestHeader& h)
{
    switch (h.api_key) {
    case kProduce: {  // clients never send a Produce without topics or records, nor an old Fetch without topics
        ProduceRequestInfo p;
        ReadStatus st = parse_produce_request(m, h, p);
        return st == ReadStatus::Ok && (p.topics == 0 || p.records_bytes <= 0) ? ReadStatus::Invalid : st;
    }
    case kFetch: {
        FetchRequestInfo f;
        ReadStatus st = parse_fetch_request(m, h, f);
        return st == ReadStatus::Ok && f.topics == 0 && h.api_version < 7 ? ReadStatus::Invalid : st;
    }
    case kMetadata: return check_metadata_request(m, h);
    case kApiVersions: return check_api_versions_request(m, h);
    default: return ReadStatus::Ok;
    }
}

}  // namespace obi::kafka
