#include "demo/DemoGenerator.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mlad::demo {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. Everything is derived from integers so that the bytes do not depend on the
// standard library or libm of the platform.

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

class Rng {
  public:
    // `stream` separates the HDFS and RAS generators, so changing the size of one system does
    // not change the other's output.
    Rng(uint64_t seed, uint64_t stream) {
        uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ull);
        for (auto& w : s_) w = splitmix64(sm);
    }

    uint64_t next() {  // xoshiro256**
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, n), unbiased by rejection.
    uint64_t below(uint64_t n) {
        if (n <= 1) return 0;
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t x;
        do x = next();
        while (x >= limit);
        return x % n;
    }

    // Uniform in [lo, hi], inclusive.
    int64_t range(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
    }

    // True with probability percent/100.
    bool percent(int p) { return static_cast<int>(below(100)) < p; }

    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

    size_t weighted(const int* weights, size_t n) {
        uint64_t total = 0;
        for (size_t i = 0; i < n; ++i) total += static_cast<uint64_t>(weights[i]);
        uint64_t r = below(total);
        for (size_t i = 0; i < n; ++i) {
            if (r < static_cast<uint64_t>(weights[i])) return i;
            r -= static_cast<uint64_t>(weights[i]);
        }
        return n - 1;
    }

  private:
    uint64_t s_[4];
};

#if defined(__GNUC__)
#define MLAD_DEMO_PRINTF_LIKE __attribute__((format(printf, 1, 2)))
#else
#define MLAD_DEMO_PRINTF_LIKE
#endif

std::string strf(const char* fmt, ...) MLAD_DEMO_PRINTF_LIKE;

std::string strf(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string out(static_cast<size_t>(n) + 1, '\0');
    va_start(ap, fmt);
    std::vsnprintf(out.data(), out.size(), fmt, ap);
    va_end(ap);
    out.resize(static_cast<size_t>(n));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Calendar (UTC, proleptic Gregorian), simple enough for the few years the demo spans.

bool isLeap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
    static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

int64_t daysSinceEpoch(int y, int m, int d) {
    int64_t days = 0;
    for (int yy = 1970; yy < y; ++yy) days += isLeap(yy) ? 366 : 365;
    for (int mm = 1; mm < m; ++mm) days += daysInMonth(y, mm);
    return days + d - 1;
}

struct CivilDate {
    int y, m, d;
};

CivilDate dateFromDays(int64_t days) {
    CivilDate c{1970, 1, 1};
    while (days >= (isLeap(c.y) ? 366 : 365)) days -= isLeap(c.y) ? 366 : 365, ++c.y;
    while (days >= daysInMonth(c.y, c.m)) days -= daysInMonth(c.y, c.m), ++c.m;
    c.d = static_cast<int>(days) + 1;
    return c;
}

// Converts epoch seconds to a calendar date, recomputing only when the day changes (the logs
// are written in time order).
class DayCache {
  public:
    const CivilDate& date(int64_t epochSec) {
        const int64_t day = epochSec / 86400;
        if (day != day_) day_ = day, date_ = dateFromDays(day);
        return date_;
    }

  private:
    int64_t day_ = -1;
    CivilDate date_{1970, 1, 1};
};

void writeFile(const std::filesystem::path& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open for writing: " + path.string());
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) throw std::runtime_error("write failed: " + path.string());
}

enum class Kind : uint8_t { None, Unseen, Missing, Reordered, Burst, NormalOnly };

const char* kindName(Kind k) {
    switch (k) {
        case Kind::Unseen:
            return kKindUnseenTemplate;
        case Kind::Missing:
            return kKindMissingEvent;
        case Kind::Reordered:
            return kKindReordered;
        case Kind::Burst:
            return kKindErrorBurst;
        case Kind::NormalOnly:
            return kKindNormalTemplatesOnly;
        case Kind::None:
            break;
    }
    return "";
}

// =============================================================================================
// HDFS-like block store. A "name registry" allocates blocks to a pipeline of three "storage
// nodes"; each node receives the block, its responder closes, the registry records the replica,
// the block is sealed, optionally scanned or re-replicated, and hours later removed.

enum class HT : uint8_t {
    // normal templates
    Alloc,
    RecvStartClient,
    RecvStart,
    Header,
    Lease,
    Slow,
    EmptyPacket,
    RecvDone,
    Ack,
    Stored,
    Commit,
    VerifyQueue,
    Verify,
    ReplAsk,
    Transfer,
    TransferDone,
    SchedRemove,
    Removed,
    // templates that only anomalous blocks use
    UStreamBroken,
    UChecksumBad,
    UEraseFailed,
    UAckAbort,
    UOrphan,
};

struct HInfo {
    const char* component;
    const char* level;
    bool registry;  // written by the name registry rather than a storage node
};

const HInfo& hinfo(HT t) {
    static const HInfo kInfo[] = {
        {"dfs.NameRegistry", "INFO", true},             // Alloc
        {"dfs.StorageNode$Receiver", "INFO", false},    // RecvStartClient
        {"dfs.StorageNode$Receiver", "INFO", false},    // RecvStart
        {"dfs.StorageNode$Receiver", "INFO", false},    // Header
        {"dfs.NameRegistry", "INFO", true},             // Lease
        {"dfs.StorageNode$Receiver", "WARN", false},    // Slow
        {"dfs.StorageNode$Receiver", "INFO", false},    // EmptyPacket
        {"dfs.StorageNode$Receiver", "INFO", false},    // RecvDone
        {"dfs.StorageNode$Responder", "INFO", false},   // Ack
        {"dfs.NameRegistry", "INFO", true},             // Stored
        {"dfs.NameRegistry", "INFO", true},             // Commit
        {"dfs.StorageNode$Scanner", "INFO", false},     // VerifyQueue
        {"dfs.StorageNode$Scanner", "INFO", false},     // Verify
        {"dfs.NameRegistry", "INFO", true},             // ReplAsk
        {"dfs.StorageNode", "INFO", false},             // Transfer
        {"dfs.StorageNode", "INFO", false},             // TransferDone
        {"dfs.NameRegistry", "INFO", true},             // SchedRemove
        {"dfs.StorageNode", "INFO", false},             // Removed
        {"dfs.StorageNode$Receiver", "WARN", false},    // UStreamBroken
        {"dfs.NameRegistry", "INFO", true},             // UChecksumBad
        {"dfs.StorageNode", "WARN", false},             // UEraseFailed
        {"dfs.StorageNode$Responder", "ERROR", false},  // UAckAbort
        {"dfs.NameRegistry", "INFO", true},             // UOrphan
    };
    return kInfo[static_cast<size_t>(t)];
}

struct HStep {
    int64_t t;    // seconds since the log start
    int64_t ord;  // order inside the session when times tie
    HT type;
    int rep;  // replica index, -1 when the step is about the whole block
    int aux;  // template parameter that injectors need back (e.g. the copy source)
    int pid;
    std::string text;
};

struct HdfsEvent {
    int64_t t;
    uint32_t block;
    int64_t ord;
    HT type;
    int pid;
    std::string text;
};

// One block's lifecycle, built as a list of steps that anomaly injectors may then edit.
class BlockSession {
  public:
    BlockSession(Rng& rng, const std::vector<std::string>& pool, int64_t blockId)
        : rng_(rng), pool_(pool), blk_("blk_" + std::to_string(blockId)) {
        size_ = rng_.percent(80) ? 67108864 : rng_.range(2048, 67108863);
        client_ = pool_[rng_.below(pool_.size())];
        clientPort_ = static_cast<int>(rng_.range(32768, 60999));
        const int job = ri(1, 2400), part = ri(0, 999);
        file_ = strf("/jobs/job_%04d/out/part-%05d", job, part);
        // Three distinct storage nodes form the write pipeline.
        for (int r = 0; r < 3; ++r) addReplicaNode();
    }

    std::vector<HStep> steps;

    int nnPid() { return ri(18, 40); }
    int ri(int lo, int hi) { return static_cast<int>(rng_.range(lo, hi)); }

    HStep& add(int64_t t, HT type, int rep, int aux, int pid, std::string text) {
        steps.push_back({t, nextOrd_, type, rep, aux, pid, std::move(text)});
        nextOrd_ += 16;  // room to slot a step in between later
        return steps.back();
    }

    // Text for each template; the replica decides which node and directory are named.
    std::string text(HT type, int rep, int aux = 0) {
        const char* b = blk_.c_str();
        const char* ip = rep >= 0 ? ips_[static_cast<size_t>(rep)].c_str() : "";
        switch (type) {
            case HT::Alloc:
                // Enough constant words that Drain (st 0.5) groups the varying file paths.
                return strf(
                    "allocating new block %s for file %s, write pipeline %s:50010 %s:50010 "
                    "%s:50010",
                    b, file_.c_str(), ips_[0].c_str(), ips_[1].c_str(), ips_[2].c_str());
            case HT::RecvStartClient:
                return strf("opening %s stream from client /%s:%d to /%s:50010", b, client_.c_str(),
                            clientPort_, ip);
            case HT::RecvStart:
                return strf("opening %s stream from peer /%s:50010 to /%s:50010", b,
                            source(rep).c_str(), ip);
            case HT::Header:
                return strf("%s header ok, chunk size 512, packet size %d", b,
                            static_cast<int>(rng_.range(8, 64)) * 1024);
            case HT::Lease:
                return strf("lease on %s extended for client_%d", b,
                            static_cast<int>(rng_.range(1000, 9999)));
            case HT::Slow: {
                const int ms = ri(300, 4000), packet = ri(1, 900);
                return strf("%s downstream mirror slow, waited %d ms for packet %d", b, ms, packet);
            }
            case HT::EmptyPacket:
                return strf("%s got empty packet %d, ignored", b,
                            static_cast<int>(rng_.range(1, 900)));
            case HT::RecvDone:
                return strf("%s fully received from /%s, %lld bytes", b, sourceAddr(rep).c_str(),
                            static_cast<long long>(size_));
            case HT::Ack:
                return strf("responder %d for %s done", aux, b);
            case HT::Stored:
                return strf("%s:50010 confirmed %s, %lld bytes, replica map updated", ip, b,
                            static_cast<long long>(size_));
            case HT::Commit:
                return strf("%s sealed with %d replicas", b, aux);
            case HT::VerifyQueue:
                return strf("%s added to scan queue, %d pending", b,
                            static_cast<int>(rng_.range(0, 400)));
            case HT::Verify:
                return strf("%s checksum scan passed", b);
            case HT::ReplAsk:
                return strf("asking %s:50010 to copy %s to %s:50010", node(aux).c_str(), b, ip);
            case HT::Transfer:
                return strf("%s:50010 streaming %s to /%s:50010", node(aux).c_str(), b, ip);
            case HT::TransferDone:
                return strf("copy of %s to /%s:50010 finished", b, ip);
            case HT::SchedRemove:
                return strf("%s queued for removal on %s:50010", b, ip);
            case HT::Removed:
                return strf("%s erased, file %s/%s", b, dir(rep).c_str(), b);
            case HT::UStreamBroken:
                return strf("%s receive from /%s interrupted, peer closed after %lld bytes", b,
                            sourceAddr(rep).c_str(),
                            static_cast<long long>(rng_.range(0, size_ - 1)));
            case HT::UChecksumBad:
                return strf("%s copy on %s:50010 failed checksum, marked bad", b, ip);
            case HT::UEraseFailed:
                return strf("could not erase %s: %s/%s not present", b, dir(rep).c_str(), b);
            case HT::UAckAbort:
                return strf("responder %d for %s aborted, no reply from %s:50010 in %d ms", aux, b,
                            ip, static_cast<int>(rng_.range(30000, 90000)));
            case HT::UOrphan:
                return strf("%s reported by %s:50010 maps to no file, dropped", b,
                            pool_[rng_.below(pool_.size())].c_str());
        }
        return {};
    }

    // Which pid writes a step: the registry, or the replica's receiving thread.
    int pidFor(HT type, int rep) {
        if (hinfo(type).registry) return nnPid();
        if (type == HT::Verify || type == HT::VerifyQueue) return 5000 + pids_[0] % 97;
        if (rep >= 0 && rep < static_cast<int>(pids_.size()))
            return pids_[static_cast<size_t>(rep)];
        return static_cast<int>(rng_.range(100, 4999));
    }

    HStep& emit(int64_t t, HT type, int rep, int aux = 0) {
        const int pid = pidFor(type, rep);
        return add(t, type, rep, aux, pid, text(type, rep, aux));
    }

    // Adds a storage node that does not hold the block yet; returns its replica index.
    int addReplicaNode() {
        for (;;) {
            const std::string& ip = pool_[rng_.below(pool_.size())];
            if (std::find(ips_.begin(), ips_.end(), ip) != ips_.end()) continue;
            ips_.push_back(ip);
            pids_.push_back(ri(100, 4999));
            const int disk = ri(1, 4), sub = ri(0, 63);
            dirs_.push_back(strf("/store/data%d/sub%d", disk, sub));
            return static_cast<int>(ips_.size()) - 1;
        }
    }

    int replicaCount() const { return static_cast<int>(ips_.size()); }

    // Replica r of the pipeline receives from the previous node; re-replicated copies from the
    // node recorded in srcOf_.
    void setSource(int rep, int src) {
        if (static_cast<int>(srcOf_.size()) <= rep) srcOf_.resize(static_cast<size_t>(rep) + 1, -1);
        srcOf_[static_cast<size_t>(rep)] = src;
    }

    int find(HT type, int rep = -2) const {
        for (size_t i = 0; i < steps.size(); ++i)
            if (steps[i].type == type && (rep == -2 || steps[i].rep == rep))
                return static_cast<int>(i);
        return -1;
    }

    void removeAll(HT type, int rep = -2) {
        steps.erase(std::remove_if(steps.begin(), steps.end(),
                                   [&](const HStep& s) {
                                       return s.type == type && (rep == -2 || s.rep == rep);
                                   }),
                    steps.end());
    }

    void replace(int idx, HT type, int aux = 0) {
        HStep& s = steps[static_cast<size_t>(idx)];
        s.type = type;
        s.aux = aux;
        s.pid = pidFor(type, s.rep);
        s.text = text(type, s.rep, aux);
    }

  private:
    int sourceIndex(int rep) const {
        if (rep < static_cast<int>(srcOf_.size()) && srcOf_[static_cast<size_t>(rep)] >= 0)
            return srcOf_[static_cast<size_t>(rep)];
        return rep - 1;  // pipeline order; -1 means the client
    }
    std::string source(int rep) const {
        const int s = sourceIndex(rep);
        return s < 0 ? client_ : ips_[static_cast<size_t>(s)];
    }
    std::string sourceAddr(int rep) const {
        const int s = sourceIndex(rep);
        return s < 0 ? client_ + ":" + std::to_string(clientPort_)
                     : ips_[static_cast<size_t>(s)] + ":50010";
    }
    const std::string& node(int rep) const { return ips_[static_cast<size_t>(rep)]; }
    const std::string& dir(int rep) const { return dirs_[static_cast<size_t>(rep)]; }

    Rng& rng_;
    const std::vector<std::string>& pool_;
    std::string blk_, client_, file_;
    int clientPort_ = 0;
    int64_t size_ = 0;
    std::vector<std::string> ips_, dirs_;
    std::vector<int> pids_, srcOf_;
    int64_t nextOrd_ = 0;
};

HT startType(int rep) {
    return rep == 0 ? HT::RecvStartClient : HT::RecvStart;
}

struct LifecyclePlan {
    int replRounds = 0;     // re-replication rounds after sealing
    int verifyRepeats = 0;  // extra scans (anomaly: scanning the same block over and over)
};

// Builds a normal lifecycle. Every normal block has: allocation, three receive starts, three
// receive completions, three responder closes, three registry confirmations, the seal, and a
// removal request plus an erase per replica. The optional extras vary the sequences.
void buildLifecycle(BlockSession& s, Rng& rng, int64_t t0, const LifecyclePlan& plan) {
    s.emit(t0, HT::Alloc, -1);
    int64_t t = t0 + rng.range(0, 1);
    for (int r = 0; r < 3; ++r) {
        if (r > 0) t += rng.range(0, 1);
        s.emit(t, startType(r), r);
        if (rng.percent(12)) s.emit(t, HT::Header, r);
    }
    const int64_t lastStart = t;
    if (rng.percent(8)) s.emit(lastStart, HT::Lease, -1);
    if (rng.percent(4)) {
        const int64_t ts = lastStart + rng.range(1, 3);
        s.emit(ts, HT::Slow, static_cast<int>(rng.below(3)));
    }
    if (rng.percent(2)) s.emit(lastStart + 1, HT::EmptyPacket, static_cast<int>(rng.below(3)));

    // Responders close in arbitrary order; the registry hears about each replica right after.
    std::vector<int> order = {0, 1, 2};
    rng.shuffle(order);
    int64_t done = lastStart + 1 + rng.range(0, 2);
    int64_t lastStored = done;
    for (int r : order) {
        done += rng.range(0, 2);
        s.emit(done, HT::RecvDone, r);
        s.emit(done + rng.range(0, 1), HT::Ack, r, 2 - r);
        lastStored = std::max(lastStored, done + rng.range(0, 1));
        s.emit(lastStored, HT::Stored, r);
    }
    int64_t tail = lastStored + rng.range(0, 1);
    s.emit(tail, HT::Commit, -1, 3);

    if (rng.percent(50) || plan.verifyRepeats > 0) {
        const int scanner = static_cast<int>(rng.below(3));
        int64_t tv = tail + rng.range(30, 5400);
        if (rng.percent(30)) s.emit(tv - rng.range(1, 20), HT::VerifyQueue, scanner);
        s.emit(tv, HT::Verify, scanner);
        for (int i = 0; i < plan.verifyRepeats; ++i) {
            tv += rng.range(5, 40);
            s.emit(tv, HT::Verify, scanner);
        }
        tail = std::max(tail, tv);
    }

    int64_t tr = tail + rng.range(300, 3600);
    for (int round = 0; round < plan.replRounds; ++round) {
        const int src = static_cast<int>(rng.below(3));
        const int dst = s.addReplicaNode();
        s.setSource(dst, src);
        s.emit(tr, HT::ReplAsk, dst, src);
        int64_t tt = tr + rng.range(0, 2);
        s.emit(tt, HT::Transfer, dst, src);
        s.emit(tt, HT::RecvStart, dst);
        tt += rng.range(1, 3);
        s.emit(tt, HT::RecvDone, dst);
        s.emit(tt, HT::TransferDone, dst);
        s.emit(tt + rng.range(0, 1), HT::Stored, dst);
        tail = std::max(tail, tt + 1);
        tr = tt + rng.range(60, 600);
    }

    // Removal hours later: the registry queues every replica, then the nodes erase their files.
    const int64_t byAge = t0 + rng.range(3600, 28800);
    const int64_t tdel = std::max(byAge, tail + rng.range(60, 600));
    std::vector<int> reps;
    for (int r = 0; r < s.replicaCount(); ++r) reps.push_back(r);
    rng.shuffle(reps);
    for (int r : reps) s.emit(tdel, HT::SchedRemove, r);
    rng.shuffle(reps);
    for (int r : reps) s.emit(tdel + rng.range(1, 8), HT::Removed, r);
}

// Shifts every step at or after (t, ord) by d seconds.
void shiftFrom(BlockSession& s, int64_t t, int64_t ord, int64_t d) {
    for (auto& st : s.steps)
        if (st.t > t || (st.t == t && st.ord >= ord)) st.t += d;
}

void makeMissing(BlockSession& s, Rng& rng) {
    const int r = static_cast<int>(rng.below(3));
    switch (rng.below(5)) {
        case 0:  // one replica never finishes, so the block is never sealed
            s.removeAll(HT::RecvDone, r);
            s.removeAll(HT::Ack, r);
            s.removeAll(HT::Stored, r);
            s.removeAll(HT::Commit);
            break;
        case 1:  // the registry never hears about any replica
            s.removeAll(HT::Stored);
            s.removeAll(HT::Commit);
            break;
        case 2:  // a responder never closes
            s.removeAll(HT::Ack, r);
            break;
        case 3:  // data arrives for a block never allocated
            s.removeAll(HT::Alloc);
            break;
        default:  // a queued removal never happens
            s.removeAll(HT::Removed, r);
            break;
    }
}

void makeReordered(BlockSession& s, Rng& rng) {
    const int r = static_cast<int>(rng.below(3));
    switch (rng.below(5)) {
        case 0: {  // removal before the store completes
            int64_t lastStart = 0;
            for (const auto& st : s.steps)
                if (st.type == HT::RecvStart || st.type == HT::RecvStartClient)
                    lastStart = std::max(lastStart, st.t);
            const int64_t tdel = lastStart + rng.range(0, 1);
            int64_t maxRemoved = tdel;
            for (auto& st : s.steps) {
                if (st.type == HT::SchedRemove) st.t = tdel;
                if (st.type == HT::Removed) {
                    st.t = tdel + rng.range(0, 2);
                    maxRemoved = std::max(maxRemoved, st.t);
                }
            }
            int64_t firstLate = INT64_MAX;
            for (const auto& st : s.steps)
                if (st.type == HT::RecvDone || st.type == HT::Ack || st.type == HT::Stored ||
                    st.type == HT::Commit || st.type == HT::Verify || st.type == HT::VerifyQueue)
                    firstLate = std::min(firstLate, st.t);
            const int64_t d = maxRemoved + rng.range(1, 4) - firstLate;
            if (d > 0) {
                for (auto& st : s.steps)
                    if (st.type == HT::RecvDone || st.type == HT::Ack || st.type == HT::Stored ||
                        st.type == HT::Commit || st.type == HT::Verify ||
                        st.type == HT::VerifyQueue)
                        st.t += d;
            }
            break;
        }
        case 1: {  // sealed before any replica is confirmed
            int first = -1;
            for (size_t i = 0; i < s.steps.size(); ++i)
                if (s.steps[i].type == HT::Stored &&
                    (first < 0 || s.steps[i].t < s.steps[static_cast<size_t>(first)].t))
                    first = static_cast<int>(i);
            HStep& c = s.steps[static_cast<size_t>(s.find(HT::Commit))];
            c.t = s.steps[static_cast<size_t>(first)].t;
            c.ord = s.steps[static_cast<size_t>(first)].ord - 1;
            break;
        }
        case 2: {  // a replica reports completion before it starts receiving
            HStep& a = s.steps[static_cast<size_t>(s.find(startType(r), r))];
            HStep& b = s.steps[static_cast<size_t>(s.find(HT::RecvDone, r))];
            std::swap(a.t, b.t);
            std::swap(a.ord, b.ord);
            break;
        }
        case 3: {  // a node erases its copy before the registry queues the removal
            HStep& a = s.steps[static_cast<size_t>(s.find(HT::SchedRemove, r))];
            HStep& b = s.steps[static_cast<size_t>(s.find(HT::Removed, r))];
            std::swap(a.t, b.t);
            std::swap(a.ord, b.ord);
            break;
        }
        default: {  // allocation logged after the pipeline already started
            const HStep& last = s.steps[static_cast<size_t>(s.find(HT::RecvStart, 2))];
            const int64_t t = last.t, ord = last.ord + 1;
            HStep& a = s.steps[static_cast<size_t>(s.find(HT::Alloc))];
            a.t = t;
            a.ord = ord;
            break;
        }
    }
}

// Anomalies made of normal templates only: the counts are what is wrong.
void makeNormalOnly(BlockSession& s, Rng& rng, int variant) {
    const int r = static_cast<int>(rng.below(3));
    switch (variant) {
        case 0: {  // the receive step restarts 8-14 times before it finally completes
            const HStep done = s.steps[static_cast<size_t>(s.find(HT::RecvDone, r))];
            const int n = static_cast<int>(rng.range(8, 14));
            std::vector<std::pair<int64_t, HT>> extra;
            int64_t cur = done.t;
            for (int i = 0; i < n; ++i) {
                extra.emplace_back(cur, HT::RecvDone);
                cur += rng.range(0, 1);
                extra.emplace_back(cur, startType(r));
                cur += rng.range(1, 3);
            }
            shiftFrom(s, done.t, done.ord, cur - done.t);
            for (const auto& [t, type] : extra) s.emit(t, type, r);
            break;
        }
        case 1: {  // the registry queues the same removal over and over
            int64_t t = s.steps[static_cast<size_t>(s.find(HT::SchedRemove, r))].t;
            const int n = static_cast<int>(rng.range(5, 10));
            for (int i = 0; i < n; ++i) {
                t += rng.range(20, 120);
                s.emit(t, HT::SchedRemove, r);
            }
            s.steps[static_cast<size_t>(s.find(HT::Removed, r))].t = t + rng.range(1, 8);
            break;
        }
        default:
            break;  // variants 2 and 3 are planned before the lifecycle is built
    }
}

void makeUnseen(BlockSession& s, Rng& rng, int variant) {
    const int r = static_cast<int>(rng.below(3));
    switch (variant) {
        case 0: {  // the stream to one replica breaks; it never completes
            s.replace(s.find(HT::RecvDone, r), HT::UStreamBroken);
            s.removeAll(HT::Ack, r);
            s.removeAll(HT::Stored, r);
            s.removeAll(HT::Commit);
            break;
        }
        case 1: {  // a scan finds a bad copy, which triggers a (normal) re-replication
            const HStep ask = s.steps[static_cast<size_t>(s.find(HT::ReplAsk))];
            const int bad = (ask.aux + 1 + static_cast<int>(rng.below(2))) % 3;  // not the source
            HStep& u = s.emit(ask.t, HT::UChecksumBad, bad);
            u.ord = ask.ord - 1;
            break;
        }
        case 2:
            s.replace(s.find(HT::Removed, r), HT::UEraseFailed);
            break;
        case 3:
            s.replace(s.find(HT::Ack, r), HT::UAckAbort, 2 - r);
            s.removeAll(HT::Stored, r);
            break;
        default: {
            const int64_t sealed = s.steps[static_cast<size_t>(s.find(HT::Commit))].t;
            s.emit(sealed + rng.range(60, 600), HT::UOrphan, -1);
            break;
        }
    }
}

std::vector<std::string> makeIpPool(Rng& rng, size_t n) {
    std::vector<std::string> pool;
    std::unordered_set<std::string> seen;
    while (pool.size() < n) {
        const int third = static_cast<int>(rng.range(0, 19));
        const int fourth = static_cast<int>(rng.range(2, 254));
        std::string ip = strf("10.250.%d.%d", third, fourth);
        if (seen.insert(ip).second) pool.push_back(std::move(ip));
    }
    return pool;
}

struct HdfsResult {
    std::string log, labels;
    std::vector<std::pair<std::string, Kind>> truth;  // anomalous blocks in label order
    uint64_t lines = 0, blocks = 0, anomalous = 0;
};

// Picks exactly round(rate * n) anomalous units and a kind for each; when there are enough, every
// kind in `kinds` is used at least once.
std::vector<Kind> assignKinds(Rng& rng, int n, double rate, const std::vector<Kind>& kinds,
                              const std::vector<int>& weights) {
    std::vector<Kind> out(static_cast<size_t>(n), Kind::None);
    const int count = std::min(n, static_cast<int>(rate * n + 0.5));
    std::vector<int> idx(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
    for (int i = 0; i < count; ++i) {  // partial Fisher-Yates: the first `count` are chosen
        const size_t j = static_cast<size_t>(i) + rng.below(static_cast<uint64_t>(n - i));
        std::swap(idx[static_cast<size_t>(i)], idx[j]);
    }
    for (int i = 0; i < count; ++i) {
        const Kind k = static_cast<size_t>(i) < kinds.size()
                           ? kinds[static_cast<size_t>(i)]
                           : kinds[rng.weighted(weights.data(), weights.size())];
        out[static_cast<size_t>(idx[static_cast<size_t>(i)])] = k;
    }
    return out;
}

HdfsResult generateHdfs(const DemoOptions& opt) {
    Rng rng(opt.seed, 1);
    const auto pool = makeIpPool(rng, 200);
    const int n = opt.hdfsBlocks;
    const std::vector<Kind> kinds = assignKinds(
        rng, n, opt.hdfsAnomalyRate,
        {Kind::Unseen, Kind::Missing, Kind::Reordered, Kind::NormalOnly}, {25, 30, 20, 25});

    std::vector<int64_t> ids;
    std::unordered_set<int64_t> usedIds;
    std::vector<HdfsEvent> events;
    events.reserve(static_cast<size_t>(n) * 20);

    int64_t t0 = 0;
    for (int b = 0; b < n; ++b) {
        // Blocks arrive in bursts (a job writing many parts) with quieter gaps between.
        const int g = static_cast<int>(rng.below(100));
        t0 += g < 70 ? rng.range(0, 2) : g < 95 ? rng.range(3, 10) : rng.range(10, 60);

        int64_t id;
        do id = static_cast<int64_t>(rng.next());
        while (id == 0 || id == INT64_MIN || !usedIds.insert(id).second);
        ids.push_back(id);

        const Kind kind = kinds[static_cast<size_t>(b)];
        const int variant = static_cast<int>(rng.below(kind == Kind::NormalOnly ? 4 : 5));
        LifecyclePlan plan;
        if (kind == Kind::None) {
            plan.replRounds = rng.percent(4) ? 1 : 0;
        } else if (kind == Kind::NormalOnly && variant == 2) {
            plan.verifyRepeats = static_cast<int>(rng.range(7, 14));
        } else if (kind == Kind::NormalOnly && variant == 3) {
            plan.replRounds = static_cast<int>(rng.range(4, 6));
        } else if (kind == Kind::Unseen && variant == 1) {
            plan.replRounds = 1;
        }

        BlockSession s(rng, pool, id);
        buildLifecycle(s, rng, t0, plan);
        switch (kind) {
            case Kind::Missing:
                makeMissing(s, rng);
                break;
            case Kind::Reordered:
                makeReordered(s, rng);
                break;
            case Kind::NormalOnly:
                makeNormalOnly(s, rng, variant);
                break;
            case Kind::Unseen:
                makeUnseen(s, rng, variant);
                break;
            default:
                break;
        }
        for (auto& st : s.steps)
            events.push_back(
                {st.t, static_cast<uint32_t>(b), st.ord, st.type, st.pid, std::move(st.text)});
    }

    std::sort(events.begin(), events.end(), [](const HdfsEvent& a, const HdfsEvent& b) {
        if (a.t != b.t) return a.t < b.t;
        if (a.block != b.block) return a.block < b.block;
        return a.ord < b.ord;
    });

    // 2026-11-22 21:30:00 UTC; the log runs past midnight.
    const int64_t start = daysSinceEpoch(2026, 11, 22) * 86400 + 21 * 3600 + 30 * 60;
    HdfsResult res;
    res.log.reserve(events.size() * 110);
    DayCache days;
    std::vector<char> seen(static_cast<size_t>(n), 0);
    std::vector<uint32_t> firstOrder;
    for (const auto& e : events) {
        const int64_t abs = start + e.t;
        const CivilDate& d = days.date(abs);
        const int64_t sod = abs % 86400;
        const HInfo& info = hinfo(e.type);
        res.log += strf("%02d%02d%02d %02d%02d%02d %d %s %s: ", d.y % 100, d.m, d.d,
                        static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                        static_cast<int>(sod % 60), e.pid, info.level, info.component);
        res.log += e.text;
        res.log += '\n';
        if (!seen[e.block]) seen[e.block] = 1, firstOrder.push_back(e.block);
    }
    res.lines = events.size();

    res.labels = "BlockId,Label\n";
    for (uint32_t b : firstOrder) {
        const Kind k = kinds[b];
        res.labels +=
            "blk_" + std::to_string(ids[b]) + (k == Kind::None ? ",Normal\n" : ",Anomaly\n");
        if (k != Kind::None) res.truth.emplace_back("blk_" + std::to_string(ids[b]), k);
    }
    res.blocks = firstOrder.size();
    res.anomalous = res.truth.size();
    return res;
}

// =============================================================================================
// BGL-like RAS log of a partitioned supercomputer: compute nodes, I/O nodes, node cards and link
// cards report kernel, I/O daemon, control-system and environment events.

enum class NodeKind : uint8_t { Compute, Io, NodeCard, LinkCard };

struct RasTemplate {
    const char* component;
    const char* level;
    int weight;  // relative frequency when drawn as a single line (0: only second half of a pair)
    NodeKind node;
};

// Indices used by pairs, episodes and bursts.
enum RasT : int {
    kScrub = 5,
    kJobLoad = 6,
    kJobDone = 7,
    kSessOpen = 11,
    kSessClose = 12,
    kPartBoot = 15,
    kPartFree = 16,
    kDdrThreshold = 28,
    kTorusCrc = 29,
    kMachineCheck = 30,
    kRasNormalCount = 32,
};

const RasTemplate kRas[] = {
    {"KERNEL", "INFO", 3000, NodeKind::Compute},      // 0 i-cache parity
    {"KERNEL", "INFO", 1800, NodeKind::Compute},      // 1 ddr symbol repaired
    {"KERNEL", "INFO", 1200, NodeKind::Compute},      // 2 misaligned fix-ups
    {"KERNEL", "INFO", 700, NodeKind::Compute},       // 3 torus retransmit
    {"KERNEL", "INFO", 450, NodeKind::Compute},       // 4 collective retry
    {"KERNEL", "INFO", 300, NodeKind::Compute},       // 5 scrub pass
    {"KERNEL", "INFO", 250, NodeKind::Compute},       // 6 job loaded (pair start)
    {"KERNEL", "INFO", 0, NodeKind::Compute},         // 7 job finished (pair end)
    {"KERNEL", "INFO", 200, NodeKind::Compute},       // 8 tlb flush
    {"KERNEL", "INFO", 150, NodeKind::Compute},       // 9 fp mask
    {"KERNEL", "INFO", 120, NodeKind::Compute},       // 10 core idle
    {"APP", "INFO", 400, NodeKind::Io},               // 11 session opened (pair start)
    {"APP", "INFO", 0, NodeKind::Io},                 // 12 session closed (pair end)
    {"APP", "INFO", 220, NodeKind::Io},               // 13 file opened
    {"APP", "INFO", 90, NodeKind::Io},                // 14 ranks connected
    {"MMCS", "INFO", 60, NodeKind::NodeCard},         // 15 partition booted (pair start)
    {"MMCS", "INFO", 0, NodeKind::NodeCard},          // 16 partition released (pair end)
    {"MMCS", "INFO", 80, NodeKind::NodeCard},         // 17 polling
    {"LINKCARD", "INFO", 70, NodeKind::LinkCard},     // 18 lane trained
    {"DISCOVERY", "INFO", 40, NodeKind::NodeCard},    // 19 node card present
    {"DISCOVERY", "INFO", 30, NodeKind::NodeCard},    // 20 service cards scanned
    {"MONITOR", "INFO", 110, NodeKind::NodeCard},     // 21 fan
    {"MONITOR", "INFO", 90, NodeKind::NodeCard},      // 22 supply voltage
    {"BGLMASTER", "INFO", 50, NodeKind::NodeCard},    // 23 heartbeat
    {"HARDWARE", "WARNING", 35, NodeKind::LinkCard},  // 24 switch port errors
    {"KERNEL", "WARNING", 25, NodeKind::Compute},     // 25 thermal throttle
    {"KERNEL", "FATAL", 18, NodeKind::Compute},       // 26 killed by user signal
    {"APP", "ERROR", 15, NodeKind::Io},               // 27 control stream closed early
    {"KERNEL", "ERROR", 4, NodeKind::Compute},        // 28 ddr threshold (rare)
    {"KERNEL", "SEVERE", 3, NodeKind::Compute},       // 29 torus crc over limit (rare)
    {"KERNEL", "ERROR", 3, NodeKind::Compute},        // 30 machine check (rare)
    {"MMCS", "WARNING", 20, NodeKind::NodeCard},      // 31 voltage sense retry
};
static_assert(sizeof(kRas) / sizeof(kRas[0]) == kRasNormalCount, "template table size");

// Templates that never occur in normal lines, each with its alert category.
struct RasUnseen {
    const char* category;
    const char* component;
    const char* level;
    NodeKind node;
};
const RasUnseen kRasUnseen[] = {
    {"KERNMEM", "KERNEL", "FATAL", NodeKind::Compute},
    {"APPCRASH", "APP", "FATAL", NodeKind::Io},
    {"NETFAIL", "KERNEL", "INFO", NodeKind::Compute},
    {"HWFAIL", "HARDWARE", "SEVERE", NodeKind::NodeCard},
    {"MMCSLOST", "MMCS", "INFO", NodeKind::NodeCard},
};

struct RasEvent {
    int64_t us;  // microseconds since the log start
    uint32_t seq;
    int16_t tpl;   // >= 0 normal template, < 0: unseen template -(i+1)
    int16_t node;  // index into the node list of its kind
    NodeKind nodeKind;
    Kind kind;
    const char* label;
    std::string text;
};

class RasGen {
  public:
    explicit RasGen(uint64_t seed) : rng_(seed, 2) { makeNodes(); }

    Rng& rng() { return rng_; }

    // Every random draw is its own statement (or its own declarator): the order in which
    // function arguments are evaluated differs between compilers, and with it the bytes.
    std::string normalText(int tpl, int node) {
        switch (tpl) {
            case 0: {
                const int way = ri(0, 3), set = ri(0, 511);
                return strf("i-cache parity slip repaired, way %d set %d", way, set);
            }
            case 1: {
                const int rank = ri(0, 3), symbol = ri(0, 71);
                return strf("ddr single-symbol error repaired on rank %d, symbol 0x%02x", rank,
                            symbol);
            }
            case 2:
                return strf("user code misaligned access fixed up %d times", skewedCount());
            case 3: {
                const char ax = axis();
                const int n = skewedCount();
                return strf("torus %c+ receiver retransmitted %d packets", ax, n);
            }
            case 4: {
                const int n = skewedCount(), channel = ri(0, 2);
                return strf("collective net checksum retry %d on channel %d", n, channel);
            }
            case 5:
                ++scrubPass_;
                return strf("memory scrub pass %d done, %d pages checked", scrubPass_,
                            ri(60000, 65536));
            case 6: {
                const int job = jobId(), kb = ri(400, 9000);
                return strf("job %d image loaded, %d KB text", job, kb);
            }
            case 7:
                return strf("job %d finished, exit status 0", lastJob_);
            case 8:
                return strf("tlb flush for address space %d", ri(1, 255));
            case 9: {
                const int mask = ri(0, 0xffff), rank = ri(0, 2047);
                return strf("fp exception mask set to 0x%04x for rank %d", mask, rank);
            }
            case 10: {
                const int core = ri(0, 1), ms = ri(1, 5000);
                return strf("core %d idle for %d ms", core, ms);
            }
            case 11: {
                lastSession_ = ri(10000, 99999);
                const int job = jobId();
                return strf("io daemon: session %d opened for job %d", lastSession_, job);
            }
            case 12:
                return strf("io daemon: session %d closed, %lld bytes moved", lastSession_,
                            static_cast<long long>(rng_.range(0, 4000000000ll)));
            case 13: {
                const int rank = ri(0, 2047);
                const char* who = user();
                const int run = ri(1, 400);
                return strf("io daemon: rank %d opened /gpfs/%s/run%d.dat read-only", rank, who,
                            run);
            }
            case 14:
                return strf("io daemon: %d ranks connected to control stream", ri(1, 64));
            case 15: {
                lastPartition_ = strf("part_%03d", ri(0, 127));
                const int secs = ri(40, 600);
                return strf("control system: partition %s booted in %d s", lastPartition_.c_str(),
                            secs);
            }
            case 16:
                return strf("control system: partition %s released by %s", lastPartition_.c_str(),
                            user());
            case 17:
                return strf("control system: polling %d node cards", ri(1, 16) * 16);
            case 18: {
                const int lane = ri(0, 23), whole = ri(1, 2), tenth = ri(0, 9);
                return strf("link card lane %d trained at %d.%d Gbps", lane, whole, tenth);
            }
            case 19:
                return strf("discovery: node card %s present, serial 0x%08x",
                            nodeCards_[static_cast<size_t>(node)].c_str(),
                            static_cast<unsigned>(rng_.next() >> 32));
            case 20: {
                const int cards = ri(1, 32), ms = ri(5, 900);
                return strf("discovery: scanned %d service cards in %d ms", cards, ms);
            }
            case 21: {
                const int fan = ri(0, 5), rpm = ri(2800, 4200);
                return strf("env monitor: fan module %d at %d rpm", fan, rpm);
            }
            case 22: {
                const int supply = ri(0, 7), volts = ri(1, 2), centi = ri(0, 99);
                return strf("env monitor: supply %d output %d.%02d V", supply, volts, centi);
            }
            case 23:
                return strf("master daemon heartbeat %d ok", ++heartbeat_);
            case 24: {
                const int port = ri(0, 47), errors = ri(1, 9);
                return strf("midplane switch port %d link errors %d", port, errors);
            }
            case 25:
                return strf("core temperature %d C above soft limit, throttling", ri(71, 84));
            case 26: {
                const int job = jobId(), rank = ri(0, 2047), sig = rng_.percent(70) ? 15 : 9;
                return strf("job %d rank %d killed by user signal %d", job, rank, sig);
            }
            case 27:
                return strf("io daemon: client job %d closed control stream early", jobId());
            case 28:
                return strf("ddr symbol error count over threshold on rank %d, scrubbing",
                            ri(0, 3));
            case 29: {
                const char ax = burstAxis_ ? burstAxis_ : axis();
                const int errors = ri(20, 400);
                return strf("torus %c- link crc errors %d over limit", ax, errors);
            }
            case 30: {
                const int event = ri(1, 64), core = ri(0, 1);
                return strf("machine check: l2 ecc event %d on core %d", event, core);
            }
            case 31:
                return strf("control system: node card %s voltage sense retry %d",
                            nodeCards_[static_cast<size_t>(node)].c_str(), ri(1, 5));
            default:
                return {};
        }
    }

    std::string unseenText(int u) {
        switch (u) {
            case 0: {
                const unsigned addr = static_cast<unsigned>(rng_.next() >> 32);
                const int core = ri(0, 1);
                return strf("kernel heap header clobbered at 0x%08x, core %d halted", addr, core);
            }
            case 1: {
                const int rank = ri(0, 2047), job = jobId(), sig = rng_.percent(60) ? 11 : 7;
                const unsigned pc = static_cast<unsigned>(rng_.next() >> 32);
                return strf("io daemon: rank %d of job %d died on signal %d at pc 0x%08x", rank,
                            job, sig, pc);
            }
            case 2:
                return strf("torus route table stale, %d entries dropped", ri(1, 512));
            case 3: {
                const int domain = ri(0, 7), centi = ri(60, 99);
                return strf("node card power domain %d brownout at 0.%02d V", domain, centi);
            }
            default:
                return strf("control system: lost heartbeat from service card, retry %d", ri(1, 9));
        }
    }

    // Normal nodes are skewed: a few chatty nodes produce a large share of the lines.
    int pickNode(NodeKind k) {
        const size_t n = nodes(k).size();
        if (rng_.percent(35)) return static_cast<int>(rng_.below(std::min<size_t>(6, n)));
        return static_cast<int>(rng_.below(n));
    }

    const std::vector<std::string>& nodes(NodeKind k) const {
        switch (k) {
            case NodeKind::Compute:
                return compute_;
            case NodeKind::Io:
                return io_;
            case NodeKind::NodeCard:
                return nodeCards_;
            case NodeKind::LinkCard:
                return linkCards_;
        }
        return compute_;
    }

    void setBurstAxis(char a) { burstAxis_ = a; }
    char axis() { return "xyz"[rng_.below(3)]; }

  private:
    int skewedCount() {
        const int g = static_cast<int>(rng_.below(100));
        return g < 60   ? static_cast<int>(rng_.range(1, 9))
               : g < 90 ? static_cast<int>(rng_.range(10, 99))
                        : static_cast<int>(rng_.range(100, 9999));
    }
    int ri(int lo, int hi) { return static_cast<int>(rng_.range(lo, hi)); }
    int jobId() { return lastJob_ = ri(100000, 999999); }
    const char* user() {
        static const char* kUsers[] = {"ahmed", "bkowal", "chen",   "dsouza", "evans",
                                       "fuji",  "garcia", "hansen", "ito",    "jones"};
        return kUsers[rng_.below(10)];
    }

    void makeNodes() {
        std::unordered_set<std::string> seen;
        auto addUnique = [&](std::vector<std::string>& v, size_t n, auto make) {
            while (v.size() < n) {
                std::string name = make();
                if (seen.insert(name).second) v.push_back(std::move(name));
            }
        };
        addUnique(compute_, 400, [&] {
            const int rack = ri(0, 47), mid = ri(0, 1), card = ri(0, 15), slot = ri(2, 17);
            const char* unit = rng_.percent(50) ? "01" : "11";
            return strf("R%02d-M%d-N%X-C:J%02d-U%s", rack, mid, card, slot, unit);
        });
        addUnique(io_, 40, [&] {
            const int rack = ri(0, 47), mid = ri(0, 1), card = ri(0, 15);
            const char* unit = rng_.percent(50) ? "01" : "11";
            return strf("R%02d-M%d-N%X-I:J18-U%s", rack, mid, card, unit);
        });
        addUnique(nodeCards_, 64, [&] {
            const int rack = ri(0, 47), mid = ri(0, 1), card = ri(0, 15);
            return strf("R%02d-M%d-N%X", rack, mid, card);
        });
        addUnique(linkCards_, 32, [&] {
            const int rack = ri(0, 47), mid = ri(0, 1), link = ri(0, 3), unit = ri(0, 23);
            return strf("R%02d-M%d-L%d-U%02d-A", rack, mid, link, unit);
        });
    }

    Rng rng_;
    std::vector<std::string> compute_, io_, nodeCards_, linkCards_;
    int lastJob_ = 0, lastSession_ = 0, scrubPass_ = 0, heartbeat_ = 0;
    std::string lastPartition_ = "part_000";
    char burstAxis_ = 0;
};

struct RasResult {
    std::string log;
    std::vector<std::pair<uint64_t, Kind>> truth;  // 1-based line numbers
    uint64_t lines = 0;
};

// Gap between consecutive normal lines: mostly sub-second to seconds, with long quiet stretches.
int64_t normalGapUs(Rng& rng) {
    const int g = static_cast<int>(rng.below(100));
    if (g < 55) return rng.range(0, 2000000);
    if (g < 85) return rng.range(2000000, 20000000);
    if (g < 98) return rng.range(20000000, 120000000);
    return rng.range(120000000, 1800000000);
}

RasResult generateRas(const DemoOptions& opt) {
    RasGen gen(opt.seed);
    Rng& rng = gen.rng();
    const int total = opt.rasLines;
    const int budget = std::min(total, static_cast<int>(opt.rasAnomalyRate * total + 0.5));

    std::vector<RasEvent> events;
    events.reserve(static_cast<size_t>(total));
    uint32_t seq = 0;
    auto push = [&seq](std::vector<RasEvent>& out, int64_t us, int tpl, NodeKind nk, int node,
                       Kind kind, const char* label, std::string text) {
        out.push_back({us, seq++, static_cast<int16_t>(tpl), static_cast<int16_t>(node), nk, kind,
                       label, std::move(text)});
    };

    // Anomalous episodes come first, so how many normal lines are needed is known. Each is
    // built with times relative to its own start and placed on the time line afterwards.
    std::vector<std::vector<RasEvent>> episodes;
    int anomalous = 0;
    const Kind order[] = {Kind::Unseen, Kind::Burst, Kind::NormalOnly};
    const int kindWeights[] = {40, 30, 30};
    while (anomalous < budget) {
        const int limit = budget - anomalous;
        // The first three episodes cover every kind; later ones are drawn.
        const Kind kind =
            episodes.size() < 3 ? order[episodes.size()] : order[rng.weighted(kindWeights, 3)];
        std::vector<RasEvent> ep;
        int64_t t = 0;
        if (kind == Kind::Unseen) {
            const int u = static_cast<int>(rng.below(5));
            const RasUnseen& info = kRasUnseen[u];
            const int node = static_cast<int>(rng.below(gen.nodes(info.node).size()));
            const int n = std::min(limit, static_cast<int>(rng.range(1, 4)));
            for (int i = 0; i < n; ++i) {
                push(ep, t, -(u + 1), info.node, node, kind, info.category, gen.unseenText(u));
                t += rng.range(0, 5000000);
            }
        } else if (kind == Kind::Burst) {
            // Many error lines on one node within seconds, from error templates that are rare
            // (but not absent) in normal operation.
            const bool link = rng.percent(40);
            gen.setBurstAxis(gen.axis());
            const int node = static_cast<int>(rng.below(gen.nodes(NodeKind::Compute).size()));
            const int n = std::min(limit, static_cast<int>(rng.range(15, 60)));
            for (int i = 0; i < n; ++i) {
                const int tpl =
                    link ? kTorusCrc : (rng.percent(70) ? kDdrThreshold : kMachineCheck);
                push(ep, t, tpl, NodeKind::Compute, node, kind, link ? "LINKERR" : "KERNDDR",
                     gen.normalText(tpl, node));
                t += rng.range(0, 800000);
            }
            gen.setBurstAxis(0);
        } else {
            // Normal INFO templates at an abnormal rate or in an abnormal order on one node.
            const int v = static_cast<int>(rng.below(4));
            if (v == 0) {  // a job that crash-loops: load / finish over and over
                const NodeKind nk = NodeKind::Compute;
                const int node = static_cast<int>(rng.below(gen.nodes(nk).size()));
                const int n = std::min(limit, static_cast<int>(rng.range(10, 30)));
                for (int i = 0; i < n; ++i) {
                    const int tpl = i % 2 == 0 ? kJobLoad : kJobDone;
                    push(ep, t, tpl, nk, node, kind, "APPLOOP", gen.normalText(tpl, node));
                    t += rng.range(200000, 3000000);
                }
            } else if (v == 1) {  // a partition that flaps between booted and released
                const NodeKind nk = NodeKind::NodeCard;
                const int node = static_cast<int>(rng.below(gen.nodes(nk).size()));
                const int n = std::min(limit, static_cast<int>(rng.range(8, 20)));
                for (int i = 0; i < n; ++i) {
                    const int tpl = i % 2 == 0 ? kPartBoot : kPartFree;
                    push(ep, t, tpl, nk, node, kind, "MMCSFLAP", gen.normalText(tpl, node));
                    t += rng.range(1000000, 10000000);
                }
            } else if (v == 2) {  // memory scrubbing several times a second
                const NodeKind nk = NodeKind::Compute;
                const int node = static_cast<int>(rng.below(gen.nodes(nk).size()));
                const int n = std::min(limit, static_cast<int>(rng.range(20, 40)));
                for (int i = 0; i < n; ++i) {
                    push(ep, t, kScrub, nk, node, kind, "KERNSCRUB", gen.normalText(kScrub, node));
                    t += rng.range(100000, 1000000);
                }
            } else {  // I/O sessions closed before they are opened
                const NodeKind nk = NodeKind::Io;
                const int node = static_cast<int>(rng.below(gen.nodes(nk).size()));
                const int n = std::min(limit, 2 * static_cast<int>(rng.range(5, 10)));
                while (static_cast<int>(ep.size()) < n) {
                    // Draw the session id with the opening text, then print the close first.
                    std::string open = gen.normalText(kSessOpen, node);
                    push(ep, t, kSessClose, nk, node, kind, "APPSESS",
                         gen.normalText(kSessClose, node));
                    t += rng.range(500000, 5000000);
                    if (static_cast<int>(ep.size()) < n)
                        push(ep, t, kSessOpen, nk, node, kind, "APPSESS", std::move(open));
                    t += rng.range(500000, 5000000);
                }
            }
        }
        anomalous += static_cast<int>(ep.size());
        episodes.push_back(std::move(ep));
    }

    // Normal background: single lines, short runs of one chatty template, and start/end pairs
    // (job, I/O session, partition) whose second half comes seconds to minutes later.
    const int normalLines = total - anomalous;
    int produced = 0;
    int64_t now = 0;
    int weights[kRasNormalCount];
    for (int i = 0; i < kRasNormalCount; ++i) weights[i] = kRas[i].weight;
    while (produced < normalLines) {
        now += normalGapUs(rng);
        const int tpl = static_cast<int>(rng.weighted(weights, kRasNormalCount));
        const bool pair = tpl == kJobLoad || tpl == kSessOpen || tpl == kPartBoot;
        if (pair && produced + 2 > normalLines) continue;
        const NodeKind nk = kRas[tpl].node;
        const int node = gen.pickNode(nk);
        push(events, now, tpl, nk, node, Kind::None, "-", gen.normalText(tpl, node));
        ++produced;
        if (pair) {
            const int64_t later = now + rng.range(30000000, 3000000000ll);
            push(events, later, tpl + 1, nk, node, Kind::None, "-", gen.normalText(tpl + 1, node));
            ++produced;
        } else if (tpl <= kScrub && rng.percent(4)) {
            const int run = std::min(normalLines - produced, static_cast<int>(rng.range(1, 5)));
            int64_t t = now;
            for (int i = 0; i < run; ++i) {
                t += rng.range(0, 2000000);
                push(events, t, tpl, nk, node, Kind::None, "-", gen.normalText(tpl, node));
            }
            produced += run;
        }
    }

    // Drop the episodes at random points of the normal time line.
    const int64_t span = std::max<int64_t>(now, 1);
    for (auto& ep : episodes) {
        const int64_t at = static_cast<int64_t>(rng.below(static_cast<uint64_t>(span)));
        for (auto& e : ep) {
            e.us += at;
            e.seq = seq++;
            events.push_back(std::move(e));
        }
    }
    std::sort(events.begin(), events.end(), [](const RasEvent& a, const RasEvent& b) {
        return a.us != b.us ? a.us < b.us : a.seq < b.seq;
    });

    // 2026-11-22 06:12:00 UTC.
    const int64_t startSec = daysSinceEpoch(2026, 11, 22) * 86400 + 6 * 3600 + 12 * 60;
    RasResult res;
    res.log.reserve(events.size() * 150);
    DayCache days;
    for (size_t i = 0; i < events.size(); ++i) {
        const RasEvent& e = events[i];
        const int64_t sec = startSec + e.us / 1000000;
        const int micros = static_cast<int>(e.us % 1000000);
        const CivilDate& d = days.date(sec);
        const int64_t sod = sec % 86400;
        const char* component;
        const char* level;
        if (e.tpl >= 0) {
            component = kRas[e.tpl].component;
            level = kRas[e.tpl].level;
        } else {
            component = kRasUnseen[-e.tpl - 1].component;
            level = kRasUnseen[-e.tpl - 1].level;
        }
        const std::string& node = gen.nodes(e.nodeKind)[static_cast<size_t>(e.node)];
        res.log +=
            strf("%s %lld %04d.%02d.%02d %s %04d-%02d-%02d-%02d.%02d.%02d.%06d %s RAS %s %s ",
                 e.label, static_cast<long long>(sec), d.y, d.m, d.d, node.c_str(), d.y, d.m, d.d,
                 static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                 static_cast<int>(sod % 60), micros, node.c_str(), component, level);
        res.log += e.text;
        res.log += '\n';
        if (e.kind != Kind::None) res.truth.emplace_back(i + 1, e.kind);
    }
    res.lines = events.size();
    return res;
}

}  // namespace

DemoFiles generateDemo(const std::string& outDir, const DemoOptions& opt) {
    if (opt.hdfsBlocks < 0 || opt.rasLines < 0)
        throw std::invalid_argument("demo generator: sizes must not be negative");
    if (!(opt.hdfsAnomalyRate >= 0.0 && opt.hdfsAnomalyRate <= 1.0) ||
        !(opt.rasAnomalyRate >= 0.0 && opt.rasAnomalyRate <= 1.0))
        throw std::invalid_argument("demo generator: anomaly rates must be within [0, 1]");

    namespace fs = std::filesystem;
    const fs::path dir(outDir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw std::runtime_error("cannot create directory: " + dir.string() +
                                 (ec ? " (" + ec.message() + ")" : std::string()));

    const HdfsResult hdfs = generateHdfs(opt);
    const RasResult ras = generateRas(opt);

    std::string truth = "system,unit,id,kind\n";
    for (const auto& [id, kind] : hdfs.truth)
        truth += "hdfs,block," + id + "," + kindName(kind) + "\n";
    for (const auto& [line, kind] : ras.truth)
        truth += "ras,line," + std::to_string(line) + "," + kindName(kind) + "\n";

    DemoFiles files;
    files.hdfsLog = (dir / "demo_hdfs.log").string();
    files.hdfsLabels = (dir / "demo_hdfs_labels.csv").string();
    files.rasLog = (dir / "demo_ras.log").string();
    files.truth = (dir / "demo_truth.csv").string();
    writeFile(files.hdfsLog, hdfs.log);
    writeFile(files.hdfsLabels, hdfs.labels);
    writeFile(files.rasLog, ras.log);
    writeFile(files.truth, truth);

    files.hdfsLines = hdfs.lines;
    files.rasLinesWritten = ras.lines;
    files.hdfsBlocks = hdfs.blocks;
    files.hdfsAnomalousBlocks = hdfs.anomalous;
    files.rasAnomalousLines = ras.truth.size();
    return files;
}

}  // namespace mlad::demo
