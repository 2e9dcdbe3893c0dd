// The trace printer (trace_printer / OTEL_EBPF_TRACE_PRINTER): counter, text, json and
// json_indent output of finished spans, in OBI's shapes, to stdout.
#pragma once

#include <cstdio>
#include <string>

#include "export/exporter.h"
#include "spans/clock.h"

namespace obi::printer {

enum class Mode { Counter, Text, Json, JsonIndent };

class TracePrinter final : public SpanExporter {
public:
    TracePrinter(Mode mode, FILE* out, const MonoClock& clock) : mode_(mode), out_(out), clock_(clock) {}
    void export_spans(const std::vector<Span>& batch) override;
    void flush() override { fflush(out_); }

    // Single-span renderings (tests use them).
    std::string text_line(const Span& s) const;
    std::string json_batch(const std::vector<Span>& batch, bool indent) const;

private:
    Mode mode_;
    FILE* out_;
    const MonoClock& clock_;
    uint64_t count_ = 0;
};

}  // namespace obi::printer
