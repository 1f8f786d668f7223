// Data-parallel settings (torchrun's variables) and the c10d process group (Gloo).
#include "mlad/train/Distributed.h"

#include <chrono>
#include <cstdlib>
#include <string>

#include "mlad/train/DistGroup.h"

#ifdef MLAD_HAVE_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace mlad {

namespace {

// An integer environment variable in [lo, hi], or `fallback` when unset.
int envInt(const char* name, int lo, int hi, std::optional<int> fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        if (fallback) return *fallback;
        throw std::invalid_argument(std::string(name) +
                                    " is not set (data-parallel training needs MASTER_ADDR, "
                                    "MASTER_PORT, WORLD_SIZE and RANK; `mlad launch` sets them)");
    }
    char* end = nullptr;
    errno = 0;
    const long x = std::strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi)
        throw std::invalid_argument(std::string(name) + "=" + v + ": expected an integer in [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return int(x);
}

// c10::Error's message without LibTorch's C++ stack trace, first line only.
std::string shortWhat(const std::exception& e) {
    std::string w;
    if (const auto* c = dynamic_cast<const c10::Error*>(&e))
        w = c->what_without_backtrace();
    else
        w = e.what();
    const size_t nl = w.find('\n');
    if (nl != std::string::npos) w.resize(nl);
    return w;
}

}  // namespace

std::optional<DistSettings> distSettingsFromEnvironment() {
    const char* ws = std::getenv("WORLD_SIZE");
    if (ws == nullptr || *ws == '\0') {
        if (const char* r = std::getenv("RANK"); r != nullptr && *r != '\0')
            throw std::invalid_argument("RANK is set but WORLD_SIZE is not");
        return std::nullopt;
    }
    DistSettings s;
    s.world = envInt("WORLD_SIZE", 1, 4096, std::nullopt);
    if (s.world == 1) return std::nullopt;
    s.rank = envInt("RANK", 0, s.world - 1, std::nullopt);
    s.localRank = envInt("LOCAL_RANK", 0, s.world - 1, 0);
    s.masterPort = envInt("MASTER_PORT", 1, 65535, std::nullopt);
    s.timeoutSeconds = envInt("MLAD_DIST_TIMEOUT", 1, 86400, 300);
    const char* addr = std::getenv("MASTER_ADDR");
    if (addr == nullptr || *addr == '\0')
        throw std::invalid_argument(
            "MASTER_ADDR is not set (the address of rank 0's machine; 127.0.0.1 on one machine)");
    s.masterAddr = addr;
    return s;
}

#ifdef MLAD_HAVE_C10D

bool distributedAvailable() {
    return true;
}

struct DistGroup::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

namespace {

bool isLoopback(const std::string& addr) {
    return addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0;
}

}  // namespace

DistGroup::DistGroup(const DistSettings& s) : settings_(s), impl_(std::make_unique<Impl>()) {
    const std::string who = "rank " + std::to_string(s.rank) + " of " + std::to_string(s.world);
    const auto timeout = std::chrono::milliseconds(int64_t(s.timeoutSeconds) * 1000);
    try {
        c10d::TCPStoreOptions o;
        o.port = uint16_t(s.masterPort);
        o.isServer = s.rank == 0;
        o.numWorkers = size_t(s.world);
        // Joining is waited for below, in slices, so that it can be given up.
        o.waitWorkers = false;
        o.timeout = timeout;
        impl_->store = c10::make_intrusive<c10d::TCPStore>(s.masterAddr, o);
        impl_->store->set("mlad/joined/" + std::to_string(s.rank), std::vector<uint8_t>{1});
    } catch (const std::exception& e) {
        throw DistError("data-parallel training (" + who + "): no rendezvous at " + s.masterAddr +
                        ":" + std::to_string(s.masterPort) + " within " +
                        std::to_string(s.timeoutSeconds) + " s (" + shortWhat(e) +
                        "); start every rank with the same MASTER_ADDR and MASTER_PORT, on a "
                        "free port");
    }
    // Every rank waits until all have joined: half a second at a time, asking giveUp.
    {
        std::vector<std::string> keys;
        for (int r = 0; r < s.world; ++r) keys.push_back("mlad/joined/" + std::to_string(r));
        const auto end = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            try {
                impl_->store->wait(keys, std::chrono::milliseconds(500));
                break;
            } catch (const std::exception& e) {
                if (s.giveUp)
                    if (const std::string why = s.giveUp(); !why.empty())
                        throw DistError("data-parallel training (" + who +
                                        "): gave up waiting for the other ranks: " + why);
                if (std::chrono::steady_clock::now() >= end)
                    throw DistError("data-parallel training (" + who + "): not every rank joined " +
                                    s.masterAddr + ":" + std::to_string(s.masterPort) + " within " +
                                    std::to_string(s.timeoutSeconds) + " s (" + shortWhat(e) +
                                    "); start every rank with the same " +
                                    "MASTER_ADDR, MASTER_PORT and WORLD_SIZE");
            }
        }
    }
    try {
        auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
        if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (isLoopback(s.masterAddr))
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        impl_->pg =
            c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, s.rank, s.world, opts);
    } catch (const std::exception& e) {
        throw DistError("data-parallel training (" + who + "): the process group did not form (" +
                        shortWhat(e) + ")");
    }
    rankGroup_.rank = s.rank;
    rankGroup_.world = s.world;
    rankGroup_.allReduceSum = [this](torch::Tensor& t) { allReduceSum(t); };
    rankGroup_.allReduceMax = [this](torch::Tensor& t) { allReduceMax(t); };
}

DistGroup::~DistGroup() = default;

std::string DistGroup::backend() const {
    return "gloo";
}

namespace {

template <class Run>
void collective(const DistSettings& s, const char* what, Run run) {
    try {
        auto work = run();
        work->wait();
    } catch (const std::exception& e) {
        throw DistError("data-parallel training (rank " + std::to_string(s.rank) + " of " +
                        std::to_string(s.world) + "): " + what +
                        " failed, another rank has stopped or stopped answering (" + shortWhat(e) +
                        "); the run ends on every rank");
    }
}

}  // namespace

void DistGroup::allReduceSum(torch::Tensor& t) {
    std::vector<torch::Tensor> v{t};
    collective(settings_, "a sum over the ranks", [&] {
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::SUM;
        return impl_->pg->allreduce(v, o);
    });
}

void DistGroup::allReduceMax(torch::Tensor& t) {
    std::vector<torch::Tensor> v{t};
    collective(settings_, "a maximum over the ranks", [&] {
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::MAX;
        return impl_->pg->allreduce(v, o);
    });
}

void DistGroup::broadcast(torch::Tensor& t, int root) {
    std::vector<torch::Tensor> v{t};
    collective(settings_, "a broadcast", [&] {
        c10d::BroadcastOptions o;
        o.rootRank = root;
        return impl_->pg->broadcast(v, o);
    });
}

void DistGroup::barrier() {
    collective(settings_, "a barrier", [&] { return impl_->pg->barrier(); });
}

#else  // no c10d in this build

bool distributedAvailable() {
    return false;
}

struct DistGroup::Impl {};

DistGroup::DistGroup(const DistSettings& s) : settings_(s) {
    throw DistError(
        "data-parallel training: this build has no distributed support (LibTorch's c10d "
        "with Gloo and the Gloo headers, Debian's libgloo-dev, were not found when it was built)");
}

DistGroup::~DistGroup() = default;

std::string DistGroup::backend() const {
    return "none";
}
void DistGroup::allReduceSum(torch::Tensor&) {}
void DistGroup::allReduceMax(torch::Tensor&) {}
void DistGroup::broadcast(torch::Tensor&, int) {}
void DistGroup::barrier() {}

#endif

void DistGroup::allReduceSumBucketed(std::vector<torch::Tensor>& tensors, int64_t bucketBytes) {
    size_t i = 0;
    while (i < tensors.size()) {
        // One bucket: consecutive tensors of one dtype and device up to bucketBytes (at least
        // one tensor).
        size_t j = i;
        int64_t bytes = 0;
        std::vector<torch::Tensor> flat;
        while (j < tensors.size() &&
               (j == i || (bytes + tensors[j].nbytes() <= size_t(bucketBytes) &&
                           tensors[j].scalar_type() == tensors[i].scalar_type() &&
                           tensors[j].device() == tensors[i].device()))) {
            bytes += int64_t(tensors[j].nbytes());
            flat.push_back(tensors[j].reshape({-1}));
            ++j;
        }
        torch::Tensor buffer = torch::cat(flat);
        allReduceSum(buffer);
        int64_t at = 0;
        for (size_t k = i; k < j; ++k) {
            const int64_t n = tensors[k].numel();
            tensors[k].copy_(buffer.narrow(0, at, n).view_as(tensors[k]));
            at += n;
        }
        i = j;
    }
}

}  // namespace mlad
