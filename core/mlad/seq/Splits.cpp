#include "mlad/seq/Splits.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "mlad/io/TimeParse.h"
#include "mlad/seq/Sequences.h"
#include "mlad/util/Json.h"
#include "mlad/util/Strings.h"

namespace mlad {

namespace {

// What a split needs of a sequence, 40 bytes whatever its length: a large set is never held
// with its events (the leakage facts read them again by id, one at a time).
struct Seq {
    int64_t id;
    int label;
    std::optional<int64_t> startTs;
};

// splitmix64: a tiny, platform-independent PRNG so that seeds reproduce everywhere.
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next() % i]);
    }
};

std::vector<Seq> loadSet(Project& p, int64_t setId) {
    auto st = p.db().prepare(
        "SELECT id, label, start_ts FROM sequences WHERE set_id = ? ORDER BY ordinal");
    st.bind(1, setId);
    std::vector<Seq> out;
    while (st.step())
        out.push_back({st.getInt(0), st.isNull(1) ? -1 : int(st.getInt(1)),
                       st.isNull(2) ? std::nullopt : std::optional<int64_t>(st.getInt(2))});
    return out;
}

struct Parts {
    std::vector<const Seq*> train, val, test;
};

void paper(const std::vector<Seq>& seqs, double valFraction, Rng& rng, Parts& out) {
    std::vector<const Seq*> normal, anomalous;
    for (const auto& s : seqs) {
        if (s.label == 1)
            anomalous.push_back(&s);
        else if (s.label == 0)
            normal.push_back(&s);
    }
    if (anomalous.empty())
        throw std::invalid_argument("the paper protocol needs labelled anomalous sequences");
    rng.shuffle(normal);
    size_t nTest = std::min(anomalous.size(), normal.size());
    out.test.insert(out.test.end(), anomalous.begin(), anomalous.end());
    out.test.insert(out.test.end(), normal.begin(), normal.begin() + long(nTest));
    std::vector<const Seq*> rest(normal.begin() + long(nTest), normal.end());
    size_t nVal = size_t(std::llround(double(rest.size()) * valFraction));
    out.val.insert(out.val.end(), rest.begin(), rest.begin() + long(nVal));
    out.train.insert(out.train.end(), rest.begin() + long(nVal), rest.end());
}

// Normal (and unlabelled) sequences of the training window in order; the latest valFraction of
// them is validation (no shuffling).
void trainAndValidate(const std::vector<const Seq*>& window, double valFraction, Parts& out) {
    std::vector<const Seq*> normal;
    for (const Seq* s : window)
        if (s->label == 0 || s->label == -1) normal.push_back(s);
    size_t nVal = size_t(std::llround(double(normal.size()) * valFraction));
    size_t nTrain = normal.size() - nVal;
    out.train.insert(out.train.end(), normal.begin(), normal.begin() + long(nTrain));
    out.val.insert(out.val.end(), normal.begin() + long(nTrain), normal.end());
}

void chronological(const std::vector<Seq>& seqs, double trainFraction, double valFraction,
                   Parts& out) {
    size_t cut = size_t(std::floor(double(seqs.size()) * trainFraction));
    std::vector<const Seq*> window;
    for (size_t i = 0; i < cut; ++i) window.push_back(&seqs[i]);
    trainAndValidate(window, valFraction, out);
    for (size_t i = cut; i < seqs.size(); ++i) out.test.push_back(&seqs[i]);
}

// Cut at a point in time: a sequence trains when its first line is before `until`. Every
// sequence needs a timestamp; the order within each side stays the build order.
void chronologicalUntil(const std::vector<Seq>& seqs, int64_t until, double valFraction,
                        const std::string& what, Parts& out) {
    size_t missing = 0;
    for (const auto& s : seqs) missing += !s.startTs;
    if (missing)
        throw std::invalid_argument(
            what + ": " + std::to_string(missing) + " of " + std::to_string(seqs.size()) +
            " sequences have no timestamp, so --train-until cannot place them; import with a "
            "format that reads the time (--time-fields / a preset) or use --train-fraction");
    std::vector<const Seq*> window;
    for (const auto& s : seqs) (*s.startTs < until ? window : out.test).push_back(&s);
    if (window.empty())
        throw std::invalid_argument(what + ": no sequence starts before " + formatUtcTime(until) +
                                    " (the first starts at " +
                                    formatUtcTime(*seqs.front().startTs) + ")");
    trainAndValidate(window, valFraction, out);
}

PartStats stats(const std::vector<const Seq*>& v) {
    PartStats s;
    for (const Seq* q : v) {
        ++s.total;
        if (q->label == 1) ++s.anomalous;
        if (q->label < 0) ++s.unlabelled;
    }
    return s;
}

Json partJson(const PartStats& s) {
    return {{"total", s.total},
            {"anomalous", s.anomalous},
            {"unlabelled", s.unlabelled},
            {"anomaly_rate", s.anomalyRate()}};
}

// The leakage facts of a split: test sequences identical to a training one, anomalous
// sequences identical to a normal one, test templates never seen in training. Sequences and
// templates are compared by template text, not by per-system template id: the same event in two
// systems (a transfer split, a multi-system split) is one event.
void addLeakageFacts(Project& project, const Parts& parts,
                     const std::vector<std::vector<Seq>>& storage, SplitInfo& info) {
    std::unordered_map<int32_t, int32_t> canonical;  // template id -> id of its text's first row
    std::unordered_map<int32_t, std::string> textOf;
    {
        std::unordered_map<std::string, int32_t> byText;
        for (const auto& sys : project.systems())
            for (const auto& t : project.templates(sys.id)) {
                auto [it, fresh] = byText.emplace(t.text, int32_t(t.id));
                canonical[int32_t(t.id)] = it->second;
                if (fresh) textOf[int32_t(t.id)] = t.text;
            }
    }
    auto read = project.db().prepare("SELECT events FROM sequences WHERE id = ?");
    auto eventsOf = [&canonical, &read](const Seq* s) {
        read.bind(1, s->id);
        std::vector<int32_t> ev;
        if (read.step()) {
            const std::string blob = read.getBlob(0);
            ev.resize(blob.size() / 4);
            if (!ev.empty()) std::memcpy(ev.data(), blob.data(), ev.size() * 4);
        }
        read.reset();
        for (auto& t : ev)
            if (auto it = canonical.find(t); it != canonical.end()) t = it->second;
        return ev;
    };
    // Identical sequences are found by a 64-bit hash of their events (a set of hashes stays
    // small where a set of event strings would not; a collision is about 1e-8 likely at a
    // million distinct sequences, and would miscount one).
    auto keyOf = [](const std::vector<int32_t>& ev) {
        return std::hash<std::string_view>()(
            std::string_view(reinterpret_cast<const char*>(ev.data()), ev.size() * 4));
    };
    std::unordered_set<size_t> trainSeqs, normalSeqs;
    std::unordered_set<int32_t> trainTemplates;
    for (const Seq* s : parts.train) {
        auto ev = eventsOf(s);
        trainSeqs.insert(keyOf(ev));
        trainTemplates.insert(ev.begin(), ev.end());
    }
    for (const auto& set : storage)
        for (const auto& s : set)
            if (s.label == 0) normalSeqs.insert(keyOf(eventsOf(&s)));
    std::set<int32_t> unseen;
    for (const Seq* s : parts.test) {
        auto ev = eventsOf(s);
        const size_t key = keyOf(ev);
        if (trainSeqs.count(key)) {
            ++info.testIdenticalToTrain;
            if (s->label == 1) ++info.anomalousTestIdenticalToTrain;
        }
        if (s->label == 1 && normalSeqs.count(key)) ++info.anomalousIdenticalToNormal;
        for (int32_t t : ev)
            if (!trainTemplates.count(t)) unseen.insert(t);
    }
    for (int32_t t : unseen) {
        auto it = textOf.find(t);
        info.unseenTestTemplates.push_back(it != textOf.end() ? it->second
                                                              : "#" + std::to_string(t));
    }
    info.unseenTestTemplateCount = info.unseenTestTemplates.size();
}

SplitInfo readSplit(sql::Statement& st) {
    SplitInfo i;
    i.id = st.getInt(0);
    i.name = st.getText(1);
    i.protocol = st.getText(2);
    i.params = st.getText(3);
    i.seed = uint64_t(st.getInt(4));
    i.reportJson = st.getText(5);
    // The stored leakage report gives back the facts createSplit returned (unseen templates: the
    // first 50 examples it keeps). A report that does not parse leaves them at zero.
    const Json r = Json::parse(i.reportJson, nullptr, /*allow_exceptions=*/false);
    if (!r.is_object()) return i;
    auto count = [](const Json& j, const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : uint64_t(0);
    };
    auto part = [&](const char* key) {
        PartStats p;
        if (auto it = r.find(key); it != r.end() && it->is_object())
            p = {count(*it, "total"), count(*it, "anomalous"), count(*it, "unlabelled")};
        return p;
    };
    i.train = part("train");
    i.val = part("val");
    i.test = part("test");
    i.testIdenticalToTrain = count(r, "test_identical_to_train");
    i.anomalousTestIdenticalToTrain = count(r, "anomalous_test_identical_to_train");
    i.anomalousIdenticalToNormal = count(r, "anomalous_identical_to_normal");
    if (auto it = r.find("unseen_examples"); it != r.end() && it->is_array())
        for (const auto& t : *it)
            if (t.is_string()) i.unseenTestTemplates.push_back(t.get<std::string>());
    i.unseenTestTemplateCount = count(r, "unseen_test_templates");
    if (i.unseenTestTemplateCount < i.unseenTestTemplates.size())
        i.unseenTestTemplateCount = i.unseenTestTemplates.size();
    if (auto it = r.find("systems"); it != r.end() && it->is_array())
        for (const auto& t : *it)
            if (t.is_string()) i.systems.push_back(t.get<std::string>());
    return i;
}

}  // namespace

SplitInfo createSplit(Project& project, const SplitSpec& spec) {
    if (spec.name.empty()) throw std::invalid_argument("a split needs a name");
    if (spec.trainFraction <= 0 || spec.trainFraction >= 1)
        throw std::invalid_argument("train fraction must be in (0, 1)");
    if (spec.valFraction < 0 || spec.valFraction >= 1)
        throw std::invalid_argument("validation fraction must be in [0, 1)");
    auto setOf = [&](const std::string& system, const std::string& setName) {
        if (!project.system(system))
            throw std::invalid_argument("no system named '" + system + "'");
        const std::string& name = setName.empty() ? spec.sequenceSet : setName;
        auto set = findSequenceSet(project, system, name);
        if (!set)
            throw std::invalid_argument("system " + system + " has no sequences" +
                                        (name.empty() ? "" : " named '" + name + "'") +
                                        "; build them first (mlad sequences)");
        return *set;
    };
    Rng rng{spec.seed};
    Parts parts;
    std::vector<std::vector<Seq>> storage;  // keeps the sequences alive for the pointers
    std::vector<std::string> systems;
    std::ostringstream params;
    const std::string& proto = spec.protocol;
    if (proto == "paper" || proto == "chronological" || proto == "multi-system") {
        std::vector<std::string> names = spec.systems;
        if (names.empty()) {
            for (const auto& s : project.systems())
                if (findSequenceSet(project, s.name, spec.sequenceSet)) names.push_back(s.name);
        }
        if (names.empty()) throw std::invalid_argument("no system with sequences in the project");
        if (proto != "multi-system" && names.size() != 1)
            throw std::invalid_argument("protocol " + proto +
                                        " takes one system (use multi-system for several)");
        const std::string base = proto == "multi-system" ? spec.base : proto;
        if (base != "paper" && base != "chronological")
            throw std::invalid_argument(
                "multi-system base protocol must be paper or chronological");
        if (base == "paper" && spec.trainUntil)
            throw std::invalid_argument(
                "--train-until belongs to the chronological protocol (the paper protocol "
                "samples at random)");
        storage.reserve(names.size());
        for (const auto& n : names) {
            auto set = setOf(n, "");
            storage.push_back(loadSet(project, set.id));
            if (base == "paper")
                paper(storage.back(), spec.valFraction, rng, parts);
            else if (spec.trainUntil)
                chronologicalUntil(storage.back(), *spec.trainUntil, spec.valFraction,
                                   "system " + n + ", set " + set.name, parts);
            else
                chronological(storage.back(), spec.trainFraction, spec.valFraction, parts);
            systems.push_back(n + ":" + set.name);
        }
        params << "base=" << base;
        if (base == "chronological" && spec.trainUntil)
            params << " train_until=" << formatUtcTime(*spec.trainUntil);
        else
            params << " train_fraction=" << spec.trainFraction;
        params << " val_fraction=" << spec.valFraction;
    } else if (proto == "transfer") {
        if (spec.trainSystem.empty() || spec.testSystem.empty())
            throw std::invalid_argument("transfer needs --train-system and --test-system");
        if (spec.trainUntil)
            throw std::invalid_argument("--train-until belongs to the chronological protocol");
        auto a = setOf(spec.trainSystem, spec.trainSet);
        auto b = setOf(spec.testSystem, spec.testSet);
        if (a.id == b.id)
            throw std::invalid_argument(
                "transfer trains and tests on the same set (" + spec.trainSystem + ":" + a.name +
                "); name another with --test-set, or use the chronological protocol");
        storage.reserve(2);
        storage.push_back(loadSet(project, a.id));
        storage.push_back(loadSet(project, b.id));
        std::vector<const Seq*> normal;
        for (const auto& s : storage[0])
            if (s.label != 1) normal.push_back(&s);
        size_t nVal = size_t(std::llround(double(normal.size()) * spec.valFraction));
        parts.train.assign(normal.begin(), normal.end() - long(nVal));
        parts.val.assign(normal.end() - long(nVal), normal.end());
        for (const auto& s : storage[1]) parts.test.push_back(&s);
        systems = {spec.trainSystem + ":" + a.name, spec.testSystem + ":" + b.name};
        params << "train_system=" << spec.trainSystem << " train_set=" << a.name
               << " test_system=" << spec.testSystem << " test_set=" << b.name
               << " val_fraction=" << spec.valFraction;
    } else {
        throw std::invalid_argument("unknown protocol '" + proto +
                                    "' (paper, chronological, multi-system, transfer)");
    }
    if (parts.train.empty()) throw std::invalid_argument("the split leaves no training sequences");
    if (parts.test.empty()) throw std::invalid_argument("the split leaves no test sequences");

    // Leakage facts.
    SplitInfo info;
    info.name = spec.name;
    info.protocol = proto;
    info.params = params.str();
    info.seed = spec.seed;
    info.systems = systems;
    info.train = stats(parts.train);
    info.val = stats(parts.val);
    info.test = stats(parts.test);
    addLeakageFacts(project, parts, storage, info);
    Json examples = Json::array();
    for (size_t i = 0; i < info.unseenTestTemplates.size() && i < 50; ++i)
        examples.push_back(info.unseenTestTemplates[i]);
    Json report = {{"protocol", proto},
                   {"seed", spec.seed},
                   {"systems", systems},
                   {"train", partJson(info.train)},
                   {"val", partJson(info.val)},
                   {"test", partJson(info.test)},
                   {"test_identical_to_train", info.testIdenticalToTrain},
                   {"anomalous_test_identical_to_train", info.anomalousTestIdenticalToTrain},
                   {"anomalous_identical_to_normal", info.anomalousIdenticalToNormal},
                   {"unseen_test_templates", info.unseenTestTemplateCount},
                   {"unseen_examples", examples}};
    info.reportJson = dumpJson(report);

    auto& db = project.db();
    sql::Transaction tx(db);
    db.prepare("DELETE FROM splits WHERE name = ?").bind(1, spec.name).run();
    db.prepare("INSERT INTO splits(name, protocol, params, seed, report) VALUES (?,?,?,?,?)")
        .bind(1, spec.name)
        .bind(2, proto)
        .bind(3, info.params)
        .bind(4, int64_t(spec.seed))
        .bind(5, info.reportJson)
        .run();
    info.id = db.lastInsertId();
    auto ins = db.prepare("INSERT INTO split_members(split_id, sequence_id, part) VALUES (?,?,?)");
    auto add = [&](const std::vector<const Seq*>& v, const char* part) {
        for (const Seq* s : v) ins.bind(1, info.id).bind(2, s->id).bind(3, part).run();
    };
    add(parts.train, "train");
    add(parts.val, "val");
    add(parts.test, "test");
    tx.commit();
    return info;
}

static void fillStats(Project& p, SplitInfo& i) {
    auto st = p.db().prepare(
        "SELECT m.part, count(*), sum(q.label = 1), sum(q.label IS NULL) FROM split_members m "
        "JOIN sequences q ON q.id = m.sequence_id WHERE m.split_id = ? GROUP BY m.part");
    st.bind(1, i.id);
    while (st.step()) {
        PartStats s{uint64_t(st.getInt(1)), uint64_t(st.getInt(2)), uint64_t(st.getInt(3))};
        std::string part = st.getText(0);
        (part == "train" ? i.train : part == "val" ? i.val : i.test) = s;
    }
}

std::vector<SplitInfo> listSplits(Project& project) {
    auto st = project.db().prepare(
        "SELECT id, name, protocol, params, seed, report FROM splits ORDER BY id");
    std::vector<SplitInfo> out;
    while (st.step()) out.push_back(readSplit(st));
    for (auto& i : out) fillStats(project, i);
    return out;
}

std::optional<SplitInfo> findSplit(Project& project, const std::string& name) {
    for (auto& s : listSplits(project))
        if (s.name == name) return s;
    return std::nullopt;
}

std::vector<std::string> splitTrainingKinds(Project& project, int64_t splitId) {
    auto st = project.db().prepare(
        "SELECT DISTINCT s.kind FROM split_members m JOIN sequences q ON q.id = m.sequence_id "
        "JOIN sequence_sets s ON s.id = q.set_id WHERE m.split_id = ? AND m.part = 'train' "
        "ORDER BY s.kind");
    st.bind(1, splitId);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.getText(0));
    return out;
}

std::vector<int64_t> splitPart(Project& project, int64_t splitId, const std::string& part) {
    auto st = project.db().prepare(
        "SELECT m.sequence_id FROM split_members m JOIN sequences q ON q.id = m.sequence_id "
        "WHERE m.split_id = ? AND m.part = ? ORDER BY q.set_id, q.ordinal");
    st.bind(1, splitId).bind(2, part);
    std::vector<int64_t> out;
    while (st.step()) out.push_back(st.getInt(0));
    return out;
}

}  // namespace mlad
