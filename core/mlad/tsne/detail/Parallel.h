#pragma once
// Deterministic fork-join over fixed contiguous chunks: the split of [0, n) depends only on n
// and the thread count, so per-chunk partial sums added in chunk order give the same result on
// every run with the same thread count.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace mlad::tsne::detail {

inline int resolveThreads(int threads) {
    if (threads > 0) return threads;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(std::min(hw, 64u));
}

/// Calls fn(chunk, begin, end) for `chunks` contiguous ranges of [0, n) (chunk 0 on the calling
/// thread). Rethrows the first exception a chunk threw.
template <class F>
void forChunks(int64_t n, int chunks, F&& fn) {
    chunks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(chunks, n)));
    auto range = [&](int c) {
        return std::pair<int64_t, int64_t>(n * c / chunks, n * (c + 1) / chunks);
    };
    if (chunks == 1) {
        fn(0, int64_t(0), n);
        return;
    }
    std::vector<std::exception_ptr> errors(static_cast<size_t>(chunks));
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(chunks - 1));
    for (int c = 1; c < chunks; ++c) {
        pool.emplace_back([&, c] {
            try {
                const auto [b, e] = range(c);
                fn(c, b, e);
            } catch (...) {
                errors[static_cast<size_t>(c)] = std::current_exception();
            }
        });
    }
    try {
        const auto [b, e] = range(0);
        fn(0, b, e);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& t : pool) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace mlad::tsne::detail
