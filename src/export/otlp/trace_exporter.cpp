// OtlpTraceExporter: queue, batching thread and shutdown.
#include "export/otlp/trace_exporter.h"

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "export/otlp/trace_encoder.h"

namespace obi::otlp {

OtlpTraceExporter::OtlpTraceExporter(std::unique_ptr<Transport> transport, TraceExporterOptions options,
                                     const MonoClock& clock)
    : options_(std::move(options)),
      clock_(clock),
      stats_(std::max<size_t>(options_.max_queue_size, 1)),
      sender_(std::move(transport), options_.sender, stats_),
      drop_log_(options_.sender.log_interval)
{
    options_.max_queue_size = std::max<size_t>(options_.max_queue_size, 1);
    options_.max_export_batch_size = std::clamp<size_t>(options_.max_export_batch_size, 1, options_.max_queue_size);
    thread_ = std::thread([this] { run(); });
}

OtlpTraceExporter::~OtlpTraceExporter() { shutdown(options_.shutdown_timeout); }

std::string OtlpTraceExporter::describe() const { return sender_.transport().describe(); }

void OtlpTraceExporter::export_spans(const std::vector<Span>& batch)
{
    if (std::all_of(batch.begin(), batch.end(), [this](const Span& s) { return wanted(s); })) {
        enqueue(batch);
        return;
    }
    std::vector<Span> some;
    for (const Span& s : batch)
        if (wanted(s)) some.push_back(s);
    enqueue(some);
}

void OtlpTraceExporter::enqueue(const std::vector<Span>& batch)
{
    if (batch.empty()) return;
    size_t take = 0;
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            size_t used = queue_.size() + reserved_;
            take = std::min(batch.size(), options_.max_queue_size - std::min(used, options_.max_queue_size));
            reserved_ += take;
        }
    }
    if (size_t dropped = batch.size() - take) {
        stats_.dropped.fetch_add(dropped, std::memory_order_relaxed);
        uint64_t skipped = 0;
        if (drop_log_.allow(&skipped))
            spdlog::warn("{}: export queue full ({} spans): dropped {} spans{}", options_.sender.config_key,
                         options_.max_queue_size, dropped,
                         skipped ? fmt::format(" ({} similar messages suppressed)", skipped) : "");
    }
    if (take == 0) return;
    std::vector<Span> copy;
    try {
        copy.assign(batch.begin(), batch.begin() + static_cast<ptrdiff_t>(take));
    } catch (...) {  // out of memory: account for the spans and carry on
        std::lock_guard lock(mu_);
        reserved_ -= take;
        stats_.dropped.fetch_add(take, std::memory_order_relaxed);
        return;
    }
    bool wake;
    {
        std::lock_guard lock(mu_);
        reserved_ -= take;
        wake = queue_.empty() || queue_.size() + take >= options_.max_export_batch_size;
        std::move(copy.begin(), copy.end(), std::back_inserter(queue_));
        arrivals_.emplace_back(SteadyClock::now(), take);
        enqueued_total_ += take;
        stats_.queue_length.store(queue_.size(), std::memory_order_relaxed);
    }
    if (wake) work_cv_.notify_one();
}

void OtlpTraceExporter::flush() { flush(options_.shutdown_timeout); }

bool OtlpTraceExporter::flush(std::chrono::nanoseconds timeout)
{
    std::unique_lock lock(mu_);
    flush_target_ = enqueued_total_;
    work_cv_.notify_all();
    bool done = idle_cv_.wait_for(lock, timeout, [this] {
        return stopped_ || (queue_.empty() && in_flight_ == 0 && reserved_ == 0);
    });
    return done && queue_.empty() && in_flight_ == 0;
}

void OtlpTraceExporter::shutdown(std::chrono::nanoseconds timeout)
{
    std::call_once(shutdown_once_, [&] {
        const Deadline deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
            stop_deadline_ = deadline;
        }
        sender_.cap_deadline(deadline);
        work_cv_.notify_all();
        bool finished;
        {
            std::unique_lock lock(mu_);
            finished = idle_cv_.wait_until(lock, deadline, [this] { return stopped_; });
        }
        if (!finished) sender_.abort();  // cancels the request in flight
        if (thread_.joinable()) thread_.join();
        std::lock_guard lock(mu_);
        if (!queue_.empty()) {
            stats_.failed.fetch_add(queue_.size(), std::memory_order_relaxed);
            stats_.add_error("shutdown");
            spdlog::warn("{}: shutdown: {} queued spans could not be sent within {} ms", options_.sender.config_key,
                         queue_.size(), std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
            queue_.clear();
            arrivals_.clear();
        }
        stats_.queue_length.store(0, std::memory_order_relaxed);
    });
}

bool OtlpTraceExporter::wait_for_batch(std::unique_lock<std::mutex>& lock)
{
    while (true) {
        if (stopping_ && (SteadyClock::now() >= stop_deadline_ || sender_.aborted())) return false;
        if (queue_.empty()) {
            if (stopping_) return false;
            idle_cv_.notify_all();
            work_cv_.wait(lock);
            continue;
        }
        if (queue_.size() >= options_.max_export_batch_size || stopping_ || taken_total_ < flush_target_) return true;
        auto due = arrivals_.front().first + std::chrono::duration_cast<SteadyClock::duration>(options_.batch_timeout);
        if (SteadyClock::now() >= due) return true;
        work_cv_.wait_until(lock, due);
    }
}

void OtlpTraceExporter::take_batch(std::vector<Span>& out)
{
    size_t n = std::min(options_.max_export_batch_size, queue_.size());
    out.clear();
    out.reserve(n);
    auto end = queue_.begin() + static_cast<ptrdiff_t>(n);
    std::move(queue_.begin(), end, std::back_inserter(out));
    queue_.erase(queue_.begin(), end);
    for (size_t left = n; left > 0 && !arrivals_.empty();) {
        auto& front = arrivals_.front();
        size_t k = std::min(left, front.second);
        front.second -= k;
        left -= k;
        if (front.second == 0) arrivals_.pop_front();
    }
    in_flight_ = n;
    taken_total_ += n;
    stats_.queue_length.store(queue_.size(), std::memory_order_relaxed);
}

void OtlpTraceExporter::deliver(std::vector<Span>& batch, Deadline deadline)
{
    google::protobuf::ArenaOptions arena_options;
    arena_options.start_block_size = 64 * 1024;
    arena_options.max_block_size = 1024 * 1024;
    google::protobuf::Arena arena(arena_options);
    auto* request = google::protobuf::Arena::CreateMessage<TraceRequest>(&arena);
    encode_traces(batch, clock_, request);
    sender_.deliver(*request, batch.size(), deadline);
}

void OtlpTraceExporter::run_loop()
{
    std::vector<Span> batch;
    std::unique_lock lock(mu_);
    while (wait_for_batch(lock)) {
        take_batch(batch);
        Deadline deadline = stopping_ ? stop_deadline_ : Deadline::max();
        lock.unlock();
        try {
            deliver(batch, deadline);
        } catch (const std::exception& e) {
            stats_.failed.fetch_add(batch.size(), std::memory_order_relaxed);
            stats_.add_error("internal");
            spdlog::error("{}: cannot encode {} spans: {}", options_.sender.config_key, batch.size(), e.what());
        }
        batch.clear();
        lock.lock();
        in_flight_ = 0;
        idle_cv_.notify_all();
    }
}

void OtlpTraceExporter::run()
{
    try {
        run_loop();
    } catch (const std::exception& e) {
        spdlog::error("{}: the export thread stopped: {}", options_.sender.config_key, e.what());
    }
    std::lock_guard lock(mu_);
    in_flight_ = 0;
    stopped_ = true;
    idle_cv_.notify_all();
}

}  // namespace obi::otlp
