// Redaction of sensitive query parameters for url.query and a client's url.full (OBI's
// attributes.sensitive_query_params).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace obi::http1 {

// The set of query keys whose values are replaced. Keys match exactly and case-sensitively
// (as the OBI docs state), without percent-decoding; list spellings separately.
class SensitiveParams {
public:
    // The built-in list (kDefaultSensitiveQueryParams).
    static SensitiveParams defaults();
    // An empty set: nothing is redacted.
    static SensitiveParams none() { return SensitiveParams(); }

    // attributes.sensitive_query_params.add / .remove
    void add(std::string_view key);
    void remove(std::string_view key);

    bool contains(std::string_view key) const;
    const std::vector<std::string>& keys() const { return keys_; }  // sorted, unique

private:
    std::vector<std::string> keys_;
};

// The built-in keys, grouped:
// - generic secrets: token access_token refresh_token id_token auth_token jwt password passwd
//   pwd secret client_secret api_key apikey api-key key (Google API keys) signature sig
//   (Azure SAS) Signature;
// - AWS S3 presigned URLs (SigV4 and SigV2): X-Amz-Signature X-Amz-Credential
//   X-Amz-Security-Token AWSAccessKeyId;
// - Google Cloud Storage signed URLs (V4 and V2): X-Goog-Signature X-Goog-Credential
//   GoogleAccessId;
// - payment data: card_number cvv cvc.
extern const std::vector<std::string_view> kDefaultSensitiveQueryParams;

inline constexpr std::string_view kRedacted = "REDACTED";

// Replaces the value of every `key=value` pair whose key is sensitive with REDACTED
// ("token=abc&x=1" -> "token=REDACTED&x=1"). Pairs are separated by '&'; keys without '='
// and all other bytes are kept as they are. `query` is without the leading '?'.
std::string redact_query(std::string_view query, const SensitiveParams& params);

}  // namespace obi::http1
