// Interface of every span exporter (trace printer, OTLP). Exporters run on the
// export thread, never on the capture thread.
#pragma once

#include <chrono>
#include <vector>

#include "spans/span.h"

namespace obi {

class SpanExporter {
public:
    virtual ~SpanExporter() = default;
    virtual void export_spans(const std::vector<Span>& batch) = 0;
    virtual void flush() {}
    // Last call, at shutdown: deliver what is buffered, giving up at `deadline`.
    virtual void finish(std::chrono::steady_clock::time_point deadline)
    {
        (void)deadline;
        flush();
    }
};

}  // namespace obi
