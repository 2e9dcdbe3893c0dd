// Interface of every span exporter (trace printer now; OTLP later). Exporters run on the
// export thread, never on the capture thread.
#pragma once

#include <vector>

#include "spans/span.h"

namespace obi {

class SpanExporter {
public:
    virtual ~SpanExporter() = default;
    virtual void export_spans(const std::vector<Span>& batch) = 0;
    virtual void flush() {}
};

}  // namespace obi
