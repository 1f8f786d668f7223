#pragma once
// Work on chunks in parallel, results in order: the calling thread submits chunks (e.g. blocks
// of lines it has read), worker threads transform each into a result, and the calling thread
// takes the results back in submission order (e.g. to feed Drain, which is sequential, or to
// write a file). At most `maxInFlight` chunks are submitted and not yet taken back, so memory
// stays bounded. An exception thrown by `work` is rethrown by next() for that chunk.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mlad {

template <class In, class Out>
class OrderedWorkers {
  public:
    using Work = std::function<void(In&, Out&)>;

    OrderedWorkers(int threads, Work work, size_t maxInFlight)
        : work_(std::move(work)), maxInFlight_(std::max<size_t>(1, maxInFlight)) {
        for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { loop(); });
    }
    ~OrderedWorkers() {
        {
            std::lock_guard<std::mutex> lock(m_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    OrderedWorkers(const OrderedWorkers&) = delete;
    OrderedWorkers& operator=(const OrderedWorkers&) = delete;

    /// Queues a chunk; blocks while maxInFlight chunks are queued or done but not taken.
    void submit(In in) {
        std::unique_lock<std::mutex> lock(m_);
        space_.wait(lock, [this] { return slots_.size() < maxInFlight_; });
        auto slot = std::make_unique<Slot>();
        slot->in = std::move(in);
        slots_.push_back(std::move(slot));
        cv_.notify_one();
    }
    /// The oldest chunk's result (waits for it); false when nothing is pending.
    bool next(Out& out) {
        std::unique_lock<std::mutex> lock(m_);
        if (slots_.empty()) return false;
        done_.wait(lock, [this] { return slots_.front()->done; });
        std::unique_ptr<Slot> slot = std::move(slots_.front());
        slots_.pop_front();
        space_.notify_one();
        lock.unlock();
        if (slot->error) std::rethrow_exception(slot->error);
        out = std::move(slot->out);
        return true;
    }
    size_t pending() const {
        std::lock_guard<std::mutex> lock(m_);
        return slots_.size();
    }

  private:
    struct Slot {
        In in;
        Out out;
        bool claimed = false, done = false;
        std::exception_ptr error;
    };

    void loop() {
        std::unique_lock<std::mutex> lock(m_);
        for (;;) {
            Slot* job = nullptr;
            cv_.wait(lock, [&] {
                if (stop_) return true;
                for (auto& s : slots_)
                    if (!s->claimed) {
                        job = s.get();
                        return true;
                    }
                return false;
            });
            if (job == nullptr) return;  // stopping with nothing left to claim
            job->claimed = true;
            lock.unlock();
            try {
                work_(job->in, job->out);
            } catch (...) {
                job->error = std::current_exception();
            }
            lock.lock();
            job->done = true;
            done_.notify_all();
        }
    }

    Work work_;
    size_t maxInFlight_;
    mutable std::mutex m_;
    std::condition_variable cv_, done_, space_;
    std::deque<std::unique_ptr<Slot>> slots_;
    std::vector<std::thread> threads_;
    bool stop_ = false;
};

}  // namespace mlad
