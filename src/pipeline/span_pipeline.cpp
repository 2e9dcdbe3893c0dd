// SpanPipeline: decoration and filtering on the capture thread, export on its own thread.
#include "pipeline/span_pipeline.h"

#include <spdlog/spdlog.h>

namespace obi::pipeline {

bool valid_utf8(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (size_t k = 1; k < n; k++)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        // Overlong forms and surrogates.
        unsigned char c1 = s[i + 1];
        if ((n == 2 && c < 0xc2) || (n == 3 && c == 0xe0 && c1 < 0xa0) || (n == 3 && c == 0xed && c1 >= 0xa0) ||
            (n == 4 && c == 0xf0 && c1 < 0x90) || (n == 4 && (c > 0xf4 || (c == 0xf4 && c1 >= 0x90))))
            return false;
        i += n;
    }
    return true;
}

SpanPipeline::SpanPipeline(PipelineOptions opts, ServiceRegistry& registry, RouteFn routes,
                           std::vector<std::unique_ptr<SpanExporter>> exporters, ExportStages stages)
    : opts_(opts), registry_(registry), routes_(std::move(routes)), exporters_(std::move(exporters)),
      stages_(std::move(stages))
{
    batch_.reserve(1024);
}

SpanPipeline::~SpanPipeline() { shutdown(std::chrono::steady_clock::now()); }

void SpanPipeline::emit(Span&& span)
{
    stats_.spans.fetch_add(1, std::memory_order_relaxed);
    if (!valid_utf8(span.method) || !valid_utf8(span.path) || span.end_ns < span.request_start_ns) {
        stats_.dropped_invalid.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    span.service = registry_.find_or_inherit(span.pid);
    if (span.service) {
        if (!held_.empty()) release_held(std::chrono::steady_clock::now(), false);  // keep their order
        admit(std::move(span));
        return;
    }
    // Traced by the kernel before discovery registered the process (the first requests of a
    // new process): wait for its identity rather than lose them.
    if (held_.size() >= opts_.max_unknown_held) {
        stats_.dropped_unknown.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    held_.push_back({std::move(span), std::chrono::steady_clock::now()});
}

void SpanPipeline::admit(Span&& span)
{
    if (routes_ && !routes_(span)) {  // routes.ignored_patterns (ignore_mode all/traces)
        stats_.dropped_ignored.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    batch_.push_back(std::move(span));
    if (batch_.size() >= opts_.max_batch) flush();
}

// Held spans are looked up again only when the registry has changed since (a lookup of an
// unknown pid reads /proc for its parents); otherwise only the expired ones leave, from the front.
void SpanPipeline::release_held(std::chrono::steady_clock::time_point now, bool final)
{
    uint64_t generation = registry_.generation();
    if (!final && generation == held_generation_) {
        while (!held_.empty() && now - held_.front().since >= opts_.unknown_hold) {
            held_.pop_front();
            stats_.dropped_unknown.fetch_add(1, std::memory_order_relaxed);
        }
        return;
    }
    held_generation_ = generation;
    for (size_t n = held_.size(); n > 0; n--) {
        Held h = std::move(held_.front());
        held_.pop_front();
        h.span.service = registry_.find_or_inherit(h.span.pid);
        if (h.span.service) {
            stats_.held_unknown.fetch_add(1, std::memory_order_relaxed);
            admit(std::move(h.span));
        } else if (final || now - h.since >= opts_.unknown_hold) {
            stats_.dropped_unknown.fetch_add(1, std::memory_order_relaxed);
        } else {
            held_.push_back(std::move(h));  // in order: held_ stays oldest first
        }
    }
}

void SpanPipeline::flush()
{
    if (!held_.empty()) release_held(std::chrono::steady_clock::now(), false);
    if (batch_.empty()) return;
    {
        std::lock_guard lock(mu_);
        if (queued_spans_ + batch_.size() > opts_.max_queue_spans || stopping_) {
            stats_.dropped_queue.fetch_add(batch_.size(), std::memory_order_relaxed);
            batch_.clear();
            return;
        }
        queued_spans_ += batch_.size();
        queue_.push_back(std::move(batch_));
    }
    batch_ = std::vector<Span>();
    batch_.reserve(1024);
    cv_.notify_one();
}

size_t SpanPipeline::queued_spans() const
{
    std::lock_guard lock(mu_);
    return queued_spans_;
}

void SpanPipeline::start()
{
    thread_ = std::thread([this] { export_loop(); });
}

void SpanPipeline::export_loop()
{
    std::unique_lock lock(mu_);
    while (true) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping and drained
        std::vector<Span> batch = std::move(queue_.front());
        queue_.pop_front();
        queued_spans_ -= batch.size();
        lock.unlock();
        export_batch(batch);
        lock.lock();
    }
    auto deadline = deadline_;
    lock.unlock();
    for (auto& e : exporters_) e->finish(deadline);
}

void SpanPipeline::export_batch(std::vector<Span>& batch)
{
    size_t keep = 0;
    for (size_t i = 0; i < batch.size(); i++) {
        Span& s = batch[i];
        if (stages_.filter && !stages_.filter(s)) {
            stats_.filtered.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (stages_.record_metrics && s.service->export_metrics) stages_.record_metrics(s);
        if (!s.service->export_traces) {
            stats_.dropped_ignored.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (stages_.sample && !stages_.sample(s)) {
            stats_.unsampled.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (keep != i) batch[keep] = std::move(s);
        keep++;
    }
    batch.resize(keep);
    if (batch.empty()) return;
    for (auto& e : exporters_) e->export_spans(batch);
    stats_.exported.fetch_add(batch.size(), std::memory_order_relaxed);
}

void SpanPipeline::shutdown(std::chrono::steady_clock::time_point deadline)
{
    if (!thread_.joinable()) return;
    release_held(std::chrono::steady_clock::now(), true);  // never registered: counted as unknown
    flush();
    {
        std::unique_lock lock(mu_);
        // Let the export thread drain the queue until the deadline, then drop the rest.
        while (!queue_.empty() && std::chrono::steady_clock::now() < deadline) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            lock.lock();
        }
        if (!queue_.empty()) {
            stats_.dropped_queue.fetch_add(queued_spans_, std::memory_order_relaxed);
            spdlog::warn("shutdown: {} spans still queued at the shutdown deadline were dropped", queued_spans_);
            queue_.clear();
            queued_spans_ = 0;
        }
        deadline_ = deadline;
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

}  // namespace obi::pipeline
