// gzip (RFC 1952) bodies for OTLP/HTTP Content-Encoding: gzip, with zlib.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace obi::otlp {

std::string gzip_compress(std::string_view data);
std::optional<std::string> gzip_decompress(std::string_view data, size_t max_size = 64u << 20);

}  // namespace obi::otlp
