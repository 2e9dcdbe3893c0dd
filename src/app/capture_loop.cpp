// CaptureLoop implementation.
#include "app/capture_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "spans/clock.h"

namespace obi {

namespace {
constexpr uint64_t kTimerNs = 1000000000ull;          // periodic work once a second
constexpr uint64_t kExitLingerNs = 10000000000ull;    // exited processes keep their identity 10 s
constexpr uint64_t kStatsLogNs = 30000000000ull;
}  // namespace

CaptureLoop::CaptureLoop(ebpf::Tracer& tracer, conntrack::ConnTracker& tracker, pipeline::SpanPipeline& pipeline,
                         pipeline::ServiceRegistry& registry, Telemetry& telemetry, int batch_timeout_ms,
                         const StopSignal& stop)
    : tracer_(tracer), tracker_(tracker), pipeline_(pipeline), registry_(registry), telemetry_(telemetry),
      batch_timeout_ms_(std::max(1, batch_timeout_ms)), stop_(stop)
{
}

bool CaptureLoop::open(std::string* error)
{
    reader_ = ebpf::RingReader::open(tracer_.data_ringbuf_fd(), this, error);
    return reader_ != nullptr;
}

void CaptureLoop::on_record(const void* data, size_t size) { tracker_.on_record(data, size); }

void CaptureLoop::run()
{
    Waiter waiter;
    waiter.add(reader_->epoll_fd());
    waiter.add(stop_.fd());
    uint64_t next_timer = MonoClock::now_mono_ns() + kTimerNs;
    last_stats_log_ns_ = MonoClock::now_mono_ns();
    while (!stop_.stopped()) {
        uint64_t now = MonoClock::now_mono_ns();
        int timeout = static_cast<int>(std::min<uint64_t>(batch_timeout_ms_, next_timer > now ? (next_timer - now) / 1000000 + 1 : 0));
        waiter.wait(timeout);
        if (reader_->consume() > 0) flushes_++;
        pipeline_.flush();
        now = MonoClock::now_mono_ns();
        if (now >= next_timer) {
            periodic(now);
            next_timer = now + kTimerNs;
        }
    }
    reader_->consume();
    pipeline_.flush();
}

void CaptureLoop::periodic(uint64_t now_ns)
{
    tracker_.on_timer(now_ns);
    pipeline_.flush();
    registry_.purge(now_ns, kExitLingerNs);
    ebpf::KernelStats ks = tracer_.read_stats();
    update_self_metrics(ks);
    if (ks.data_lost > last_lost_) {
        spdlog::warn("{} socket events were lost because the ring buffer was full; spans of the affected connections "
                     "are dropped. Raise ebpf.ringbuf_size (OTEL_EBPF_BPF_RINGBUF_SIZE) or lower ebpf.batch_timeout",
                     ks.data_lost - last_lost_);
        last_lost_ = ks.data_lost;
    }
    const auto& ts = tracker_.stats();
    if (ts.gaps > last_gaps_) {
        spdlog::debug("{} connections saw lost events (sequence gaps)", ts.gaps - last_gaps_);
        last_gaps_ = ts.gaps;
    }
    if (now_ns - last_stats_log_ns_ >= kStatsLogNs) {
        last_stats_log_ns_ = now_ns;
        const auto& ps = pipeline_.stats();
        spdlog::debug("stats: events={} lost={} truncated={}; connections={} opened={} expired={} evicted={}; "
                      "spans={} exported={} dropped(queue={} invalid={} ignored={} unknown={})",
                      ts.data_events, ks.data_lost, ks.truncated, tracker_.size(), ts.opened, ts.expired, ts.evicted,
                      ps.spans.load(), ps.exported.load(), ps.dropped_queue.load(), ps.dropped_invalid.load(),
                      ps.dropped_ignored.load(), ps.dropped_unknown.load());
    }
}

void CaptureLoop::update_self_metrics(const ebpf::KernelStats& ks)
{
    auto& am = telemetry_.agent();
    auto push = [](metrics::InternalCounter* c, uint64_t now, uint64_t& pushed) {
        if (c && now > pushed) c->add(now - pushed);
        if (now > pushed) pushed = now;
    };
    push(am.ringbuf_events_read, tracker_.stats().data_events + tracker_.stats().close_events, pushed_events_);
    push(am.ringbuf_events_lost, ks.data_lost + ks.ctrl_lost, pushed_lost_);
    push(am.tracer_flushes, flushes_, pushed_flushes_);
    // Fed only from here: the counter's value is what was pushed so far.
    for (auto [c, now] : {std::pair{am.tls_calls_hidden, ks.tls_hidden}, std::pair{am.tls_calls_untied, ks.tls_untied}})
        if (c && now > c->value()) c->add(now - c->value());
    const auto& counters = tracker_.counters();
    pushed_parse_errors_.resize(counters.size());
    for (size_t i = 0; i < counters.size(); i++) {
        uint64_t errs = counters[i].parse_errors;
        if (errs > pushed_parse_errors_[i])
            am.parse_errors->add({tracker_.protocols()[i].name}, double(errs - pushed_parse_errors_[i]));
        pushed_parse_errors_[i] = errs;
    }
    telemetry_.update_exporter_metrics(pipeline_);
}

}  // namespace obi
