// Sensitive query-parameter list and the redaction pass over a query string.
#include "protocols/http1/query_redaction.h"

#include <algorithm>

namespace obi::http1 {

const std::vector<std::string_view> kDefaultSensitiveQueryParams = {
    // generic credentials and tokens
    "token", "access_token", "refresh_token", "id_token", "auth_token", "jwt", "password", "passwd", "pwd",
    "secret", "client_secret", "api_key", "apikey", "api-key", "key", "signature", "Signature", "sig",
    // AWS S3 presigned URLs
    "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "AWSAccessKeyId",
    // Google Cloud Storage signed URLs
    "X-Goog-Signature", "X-Goog-Credential", "GoogleAccessId",
    // payment data
    "card_number", "cvv", "cvc",
};

SensitiveParams SensitiveParams::defaults()
{
    SensitiveParams p;
    for (std::string_view k : kDefaultSensitiveQueryParams) p.add(k);
    return p;
}

void SensitiveParams::add(std::string_view key)
{
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it == keys_.end() || *it != key) keys_.insert(it, std::string(key));
}

void SensitiveParams::remove(std::string_view key)
{
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it != keys_.end() && *it == key) keys_.erase(it);
}

bool SensitiveParams::contains(std::string_view key) const
{
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    return it != keys_.end() && *it == key;
}

std::string redact_query(std::string_view query, const SensitiveParams& params)
{
    std::string out;
    out.reserve(query.size());
    while (true) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos && params.contains(pair.substr(0, eq))) {
            out.append(pair.substr(0, eq + 1));
            out.append(kRedacted);
        } else {
            out.append(pair);
        }
        if (amp == std::string_view::npos) break;
        out.push_back('&');
        query.remove_prefix(amp + 1);
    }
    return out;
}

}  // namespace obi::http1
