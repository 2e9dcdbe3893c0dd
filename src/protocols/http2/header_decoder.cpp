// HeaderDecoder: per-representation feeding of nghttp2_hd_inflate_hd2 with index checks.
#include "protocols/http2/header_decoder.h"

#include <nghttp2/nghttp2.h>

#include "protocols/http2/hpack_walk.h"

namespace obi::http2 {
namespace {

constexpr size_t kStaticEntries = 61;
// The name under which a literal with an unknown name is kept in the table. Not a valid
// header name, so no real field can be mistaken for it.
constexpr std::string_view kPlaceholderName = "?";

}  // namespace

HeaderDecoder::~HeaderDecoder()
{
    if (inf_) nghttp2_hd_inflate_del(inf_);
}

void HeaderDecoder::reset()
{
    if (inf_) nghttp2_hd_inflate_del(inf_);
    inf_ = nullptr;
    from_start_ = false;
}

size_t HeaderDecoder::dynamic_entries()
{
    return inf_ ? nghttp2_hd_inflate_get_num_table_entries(inf_) - kStaticEntries : 0;
}

bool HeaderDecoder::ensure()
{
    if (inf_) return true;
    if (nghttp2_hd_inflate_new(&inf_) != 0) {
        inf_ = nullptr;
        return false;
    }
    // Allow the peer's size updates up to our bound (the table itself starts at 4096).
    nghttp2_hd_inflate_change_table_size(inf_, kMaxHpackTable);
    return true;
}

bool HeaderDecoder::feed(const uint8_t* p, size_t n, HeaderVisitor& v, DecodeResult& r)
{
    while (n > 0) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(inf_, &nv, &flags, p, n, 0);
        if (rv < 0 || (rv == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))) return false;
        p += rv;
        n -= static_cast<size_t>(rv);
        if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
            if (name == kPlaceholderName) {
                r.unknown++;
            } else {
                v.header(name, std::string_view(reinterpret_cast<const char*>(nv.value), nv.valuelen));
                r.fields++;
            }
        }
    }
    return true;
}

bool HeaderDecoder::feed_placeholder(std::string_view value_rep, HeaderVisitor& v, DecodeResult& r)
{
    placeholder_.assign(1, '\x40');  // literal with incremental indexing, new name
    placeholder_.push_back(static_cast<char>(kPlaceholderName.size()));
    placeholder_.append(kPlaceholderName);
    placeholder_.append(value_rep);  // the peer's value string as it was sent (Huffman or not)
    return feed(reinterpret_cast<const uint8_t*>(placeholder_.data()), placeholder_.size(), v, r);
}

bool HeaderDecoder::finish()
{
    nghttp2_nv nv;
    int flags = 0;
    ssize_t rv = nghttp2_hd_inflate_hd2(inf_, &nv, &flags, reinterpret_cast<const uint8_t*>(""), 0, 1);
    if (rv < 0 || !(flags & NGHTTP2_HD_INFLATE_FINAL)) return false;
    nghttp2_hd_inflate_end_headers(inf_);
    return true;
}

DecodeResult HeaderDecoder::decode(std::string_view block, bool complete, HeaderVisitor& v)
{
    DecodeResult r;
    if (!ensure()) {
        r.unknown = 1;
        return r;
    }
    const auto* data = reinterpret_cast<const uint8_t*>(block.data());
    size_t pos = 0;
    while (pos < block.size()) {
        Representation rep;
        WalkStatus ws = walk_representation(block, pos, rep);
        if (ws != WalkStatus::Ok) {
            if (ws == WalkStatus::Truncated && !complete) r.truncated = true;
            else r.corrupt = true;
            break;
        }
        const size_t entries = nghttp2_hd_inflate_get_num_table_entries(inf_);
        bool ok = true;
        if (rep.kind == RepKind::SizeUpdate) {
            ok = feed(data + pos, rep.len, v, r);
        } else if (rep.kind == RepKind::Indexed && rep.index == 0) {
            ok = false;  // index 0 is not a valid reference
        } else if (rep.index > entries) {
            if (rep.kind == RepKind::LiteralIncremental)  // counted as unknown when it is emitted
                ok = feed_placeholder(block.substr(pos + rep.value_off, rep.len - rep.value_off), v, r);
            else
                r.unknown++;
        } else {
            ok = feed(data + pos, rep.len, v, r);
        }
        if (!ok) {
            r.corrupt = true;
            break;
        }
        pos += rep.len;
    }
    if (!complete && !r.corrupt) r.truncated = true;
    if (r.corrupt || r.truncated || !finish()) {
        // The rest of the block may have changed the peer's table: start over.
        if (!r.truncated) r.corrupt = true;
        reset();
    }
    return r;
}

}  // namespace obi::http2
