#pragma once
// Cancellable, progress-reporting jobs. Plain C++ so that the CLI, the tests and the Qt task
// runners (ui/) drive the same code: the UI wraps a Task in a worker thread and forwards the
// progress callback through a queued signal.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace mlad {

/// Snapshot of a job's progress. Fields that do not apply stay at zero / negative.
struct Progress {
    std::string stage;   ///< human-readable phase, e.g. "reading BGL.log"
    uint64_t done = 0;   ///< units done (lines, batches, ...)
    uint64_t total = 0;  ///< units expected, 0 when unknown
    uint64_t bytesDone = 0;
    uint64_t bytesTotal = 0;
    double etaSeconds = -1.0;  ///< negative when unknown
    double elapsedSeconds = 0.0;
    /// Fraction in [0,1] (bytes when known, else units), or -1 when unknown.
    double fraction() const {
        if (bytesTotal > 0) return double(bytesDone) / double(bytesTotal);
        if (total > 0) return double(done) / double(total);
        return -1.0;
    }
};

/// Thrown by a job when it notices its cancel flag; callers treat it as a clean stop.
class Cancelled : public std::runtime_error {
  public:
    Cancelled() : std::runtime_error("cancelled by the user") {}
};

/// Shared cancel flag + throttled progress sink handed to long-running core functions.
class TaskContext {
  public:
    using ProgressFn = std::function<void(const Progress&)>;

    TaskContext() : start_(Clock::now()) {}
    explicit TaskContext(ProgressFn fn, double minIntervalSeconds = 0.1)
        : fn_(std::move(fn)), minInterval_(minIntervalSeconds), start_(Clock::now()) {}

    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return cancelled_.load(std::memory_order_relaxed); }
    /// Throws Cancelled when cancel() was called; call between batches.
    void checkCancelled() const {
        if (isCancelled()) throw Cancelled();
    }

    /// Reports progress, at most once per minInterval unless force is set. Fills elapsed and
    /// ETA from the fraction done.
    void report(Progress p, bool force = false) {
        if (!fn_) return;
        if (spanTotal_ > 0 && p.total > 0) {
            p.done += spanOffset_;
            p.total = spanTotal_;
        }
        auto now = Clock::now();
        if (!force && now - lastReport_ < std::chrono::duration<double>(minInterval_)) return;
        lastReport_ = now;
        p.elapsedSeconds = std::chrono::duration<double>(now - start_).count();
        double f = p.fraction();
        if (p.etaSeconds < 0 && f > 0.0 && f <= 1.0 && p.elapsedSeconds > 0.2)
            p.etaSeconds = p.elapsedSeconds * (1.0 - f) / f;
        fn_(p);
    }

    /// A job done in parts (scoring in chunks) reports one bar: while a Span lives, a part's
    /// progress of done/total units is reported as offset + done of `overall`.
    class Span {
      public:
        Span(TaskContext* ctx, uint64_t offset, uint64_t overall) : ctx_(ctx) {
            if (ctx_) ctx_->spanOffset_ = offset, ctx_->spanTotal_ = overall;
        }
        ~Span() {
            if (ctx_) ctx_->spanOffset_ = 0, ctx_->spanTotal_ = 0;
        }
        Span(const Span&) = delete;
        Span& operator=(const Span&) = delete;

      private:
        TaskContext* ctx_;
    };

  private:
    using Clock = std::chrono::steady_clock;
    uint64_t spanOffset_ = 0, spanTotal_ = 0;
    std::atomic<bool> cancelled_{false};
    ProgressFn fn_;
    double minInterval_ = 0.1;
    Clock::time_point start_;
    Clock::time_point lastReport_{};
};

}  // namespace mlad
