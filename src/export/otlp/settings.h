// What a signal's OTLP exporter is configured with: the resolved endpoint (config/otlp.h)
// plus the standard OTEL_EXPORTER_OTLP_{TIMEOUT,COMPRESSION,CERTIFICATE} variables, which
// have no YAML keys. Malformed values are start-up errors naming the setting.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "config/env.h"
#include "config/otlp.h"
#include "export/otlp/backoff.h"
#include "export/otlp/transport.h"

namespace obi::otlp {

// nullopt without an error when the signal has no endpoint (or traces use `debug`).
std::optional<TransportOptions> transport_options(const config::Config& cfg, config::OtlpSignal signal,
                                                  const config::EnvLookup& env, std::string* error);

// backoff_* of otel_traces_export (OBI has no metrics equivalent; both signals use them).
RetryPolicy retry_policy(const config::Config& cfg);

}  // namespace obi::otlp
