#include "mlad/seq/Adapters.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "mlad/seq/Sequences.h"

namespace mlad::seq {

namespace {

std::vector<int32_t> unpackEvents(const std::string& blob) {
    std::vector<int32_t> v(blob.size() / sizeof(int32_t));
    if (!v.empty()) std::memcpy(v.data(), blob.data(), v.size() * sizeof(int32_t));
    return v;
}

std::runtime_error damaged(int64_t id, const std::string& what) {
    return std::runtime_error("sequence " + std::to_string(id) + " " + what +
                              " (was the project changed while reading, or is it damaged? "
                              "mlad check says)");
}

// One statement reads what EventSequences holds of a sequence.
sql::Statement eventRowStatement(Project& project) {
    return project.db().prepare(
        "SELECT label, system_id, coalesce(first_line,0), coalesce(last_line,0), events "
        "FROM sequences WHERE id = ?");
}

// Appends sequence `id` to `out` through eventRowStatement; false (nothing appended) when the
// id is unknown or the sequence has no events.
bool appendSequence(sql::Statement& st, int64_t id, EventSequences& out) {
    st.bind(1, id);
    if (!st.step()) {
        st.reset();
        return false;
    }
    std::vector<int32_t> events = unpackEvents(st.getBlob(4));
    if (events.empty()) {
        st.reset();
        return false;
    }
    out.ids.push_back(id);
    out.labels.push_back(st.isNull(0) || st.getInt(0) < 0 ? 2 : uint8_t(st.getInt(0)));
    out.systemIds.push_back(st.getInt(1));
    out.firstLines.push_back(st.getInt(2));
    out.lastLines.push_back(st.getInt(3));
    out.events.push_back(std::move(events));
    st.reset();
    return true;
}

}  // namespace

EventSequences loadEventSequences(Project& project, const std::vector<int64_t>& ids,
                                  TaskContext* ctx) {
    EventSequences out;
    auto st = eventRowStatement(project);
    size_t done = 0;
    for (int64_t id : ids) {
        if (ctx && (++done & 1023) == 0) ctx->checkCancelled();
        appendSequence(st, id, out);
    }
    return out;
}

SequenceStream::SequenceStream(Project& project, const std::vector<int64_t>& ids, TaskContext* ctx)
    : project_(&project) {
    auto st = project.db().prepare("SELECT length FROM sequences WHERE id = ?");
    size_t done = 0;
    for (int64_t id : ids) {
        if (ctx && (++done & 4095) == 0) ctx->checkCancelled();
        st.bind(1, id);
        if (st.step()) {
            const int64_t n = st.getInt(0);
            if (n > 0) {
                ids_.push_back(id);
                lengths_.push_back(n);
            }
        }
        st.reset();
    }
}

std::vector<std::vector<int32_t>> SequenceStream::events(const int64_t* positions, size_t n) const {
    auto st = project_->db().prepare("SELECT events, length FROM sequences WHERE id = ?");
    std::vector<std::vector<int32_t>> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const int64_t p = positions[i];
        if (p < 0 || size_t(p) >= ids_.size())
            throw std::out_of_range("sequence stream: position " + std::to_string(p) + " of " +
                                    std::to_string(ids_.size()));
        const int64_t id = ids_[size_t(p)];
        st.bind(1, id);
        if (!st.step()) throw damaged(id, "is gone");
        out.push_back(unpackEvents(st.getBlob(0)));
        if (out.back().empty() || int64_t(out.back().size()) != st.getInt(1))
            throw damaged(id, "holds " + std::to_string(out.back().size()) +
                                  " events but its stored length is " +
                                  std::to_string(st.getInt(1)));
        st.reset();
    }
    return out;
}

EventSequences SequenceStream::load(size_t begin, size_t end) const {
    end = std::min(end, ids_.size());
    EventSequences out;
    if (begin >= end) return out;
    auto st = eventRowStatement(*project_);
    for (size_t k = begin; k < end; ++k)
        if (!appendSequence(st, ids_[k], out)) throw damaged(ids_[k], "is gone or has no events");
    return out;
}

namespace {

// The texts of every template id used in `seqs`.
std::unordered_map<int32_t, std::string> textsOf(Project& project, const EventSequences& seqs) {
    std::vector<int64_t> ids;
    for (const auto& ev : seqs.events) ids.insert(ids.end(), ev.begin(), ev.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const auto texts = project.templateTexts(ids, "");
    std::unordered_map<int32_t, std::string> out;
    for (size_t i = 0; i < ids.size(); ++i) out[int32_t(ids[i])] = texts[i];
    return out;
}

}  // namespace

void TemplateKeys::addTraining(Project& project, const EventSequences& training) {
    const auto texts = textsOf(project, training);
    for (const auto& ev : training.events)
        for (int32_t t : ev) {
            const std::string& text = texts.at(t);
            if (index_.emplace(text, size()).second) texts_.push_back(text);
        }
}

TemplateKeys TemplateKeys::fromTraining(Project& project, const EventSequences& training) {
    TemplateKeys k;
    k.addTraining(project, training);
    return k;
}

TemplateKeys TemplateKeys::fromTraining(Project& project, const SequenceStream& training,
                                        TaskContext* ctx) {
    TemplateKeys k;
    training.forEachChunk(
        4096, [&](const EventSequences& part, size_t) { k.addTraining(project, part); }, ctx);
    return k;
}

std::unordered_map<int32_t, int32_t> TemplateKeys::keysOfTemplates(Project& project) const {
    std::unordered_map<int32_t, int32_t> out;
    for (const auto& sys : project.systems())
        for (const auto& t : project.templates(sys.id)) out[int32_t(t.id)] = keyOf(t.text);
    return out;
}

TemplateKeys TemplateKeys::fromTexts(const std::vector<std::string>& texts) {
    TemplateKeys k;
    for (const auto& t : texts) {
        if (!k.index_.emplace(t, k.size()).second)
            throw std::invalid_argument("template vocabulary: '" + t + "' appears twice");
        k.texts_.push_back(t);
    }
    return k;
}

int32_t TemplateKeys::keyOf(const std::string& text) const {
    auto it = index_.find(text);
    return it == index_.end() ? kUnknown : it->second;
}

std::vector<std::vector<int32_t>> TemplateKeys::encode(Project& project,
                                                       const EventSequences& seqs) const {
    const auto texts = textsOf(project, seqs);
    std::unordered_map<int32_t, int32_t> keyOfId;
    for (const auto& [id, text] : texts) keyOfId[id] = keyOf(text);
    std::vector<std::vector<int32_t>> out;
    out.reserve(seqs.size());
    for (const auto& ev : seqs.events) {
        std::vector<int32_t> row(ev.size());
        for (size_t i = 0; i < ev.size(); ++i) row[i] = keyOfId.at(ev[i]);
        out.push_back(std::move(row));
    }
    return out;
}

NextEventWindows nextEventWindows(const std::vector<std::vector<int32_t>>& keys, int history) {
    if (history < 1) throw std::invalid_argument("next-event windows: history must be >= 1");
    NextEventWindows w;
    w.history = history;
    for (size_t s = 0; s < keys.size(); ++s) {
        const auto& k = keys[s];
        for (size_t t = 1; t < k.size(); ++t) {
            for (int h = history; h >= 1; --h)
                w.inputs.push_back(t >= size_t(h) ? k[t - size_t(h)] : TemplateKeys::kPad);
            w.targets.push_back(k[t]);
            w.sequenceIndex.push_back(int64_t(s));
        }
    }
    return w;
}

CountVectors countVectors(const std::vector<std::vector<int32_t>>& keys, int32_t keyCount) {
    if (keyCount < TemplateKeys::kFirst)
        throw std::invalid_argument("count vectors: a vocabulary has at least 2 keys");
    CountVectors c;
    c.rows = int64_t(keys.size());
    c.cols = keyCount - 1;
    c.values.assign(size_t(c.rows * c.cols), 0.0f);
    for (size_t r = 0; r < keys.size(); ++r)
        for (int32_t k : keys[r]) {
            if (k < 1 || k >= keyCount)
                throw std::out_of_range("count vectors: key " + std::to_string(k) +
                                        " outside the vocabulary");
            c.values[r * size_t(c.cols) + size_t(k - 1)] += 1.0f;
        }
    return c;
}

}  // namespace mlad::seq
