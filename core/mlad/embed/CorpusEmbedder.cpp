#include "mlad/embed/CorpusEmbedder.h"

#include "mlad/task/Task.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace mlad::embed {

// ---------------------------------------------------------------------------------------------
// templateWords

namespace {

bool isUpper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool isLower(char c) {
    return c >= 'a' && c <= 'z';
}
bool isWordByte(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// Splits one alphanumeric run at camelCase / acronym boundaries and lower-cases the parts.
void splitRun(const std::string& run, std::vector<std::string>& out) {
    std::string cur;
    const size_t n = run.size();
    for (size_t k = 0; k < n; ++k) {
        if (k > 0 && !cur.empty()) {
            const char a = run[k - 1], b = run[k];
            bool cut = isLower(a) && isUpper(b);  // addStored|Block
            // HTTP|Server, but keep plural acronyms ("IDs", "CPUs") whole.
            if (!cut && isUpper(a) && isUpper(b) && k + 1 < n && isLower(run[k + 1]))
                cut = !(k + 2 == n && run[k + 1] == 's');
            if (cut) {
                out.push_back(cur);
                cur.clear();
            }
        }
        const char c = run[k];
        cur.push_back(isUpper(c) ? static_cast<char>(c - 'A' + 'a') : c);
    }
    if (!cur.empty()) out.push_back(cur);
}

}  // namespace

std::vector<std::string> templateWords(const std::string& templ) {
    std::vector<std::string> words;
    bool sawParam = false;
    std::string run;
    auto flush = [&] {
        if (!run.empty()) splitRun(run, words);
        run.clear();
    };
    for (size_t i = 0; i < templ.size();) {
        if (templ.compare(i, 3, "<*>") == 0) {
            flush();
            sawParam = true;
            i += 3;
            continue;
        }
        const auto c = static_cast<unsigned char>(templ[i]);
        if (isWordByte(c))
            run.push_back(static_cast<char>(c));
        else
            flush();
        ++i;
    }
    flush();
    if (words.empty() && sawParam) words.emplace_back(kParamOnlyToken);
    return words;
}

// ---------------------------------------------------------------------------------------------
// Training

namespace {

// splitmix64: tiny, fast, and identical on every platform (unlike <random> distributions).
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) * n >> 32); }
};

float sigmoid(float x) {
    if (x > 8.f) return 1.f;
    if (x < -8.f) return 0.f;
    return 1.f / (1.f + std::exp(-x));
}

int repeatsFor(uint64_t count, int cap) {
    int r = 1;
    while (r < cap && (count >> r) != 0) ++r;  // 1 + floor(log2(count)), capped
    return r;
}

uint64_t doubleBits(double d) {
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return u;
}

void validate(const CorpusOptions& o) {
    auto bad = [](const char* what) {
        throw std::invalid_argument(std::string("CorpusOptions: invalid ") + what);
    };
    if (o.dim < 1 || o.dim > 4096) bad("dim (1..4096)");
    if (o.window < 1) bad("window (>= 1)");
    if (o.negatives < 1) bad("negatives (>= 1)");
    if (o.epochs < 1) bad("epochs (>= 1)");
    if (o.minN < 1 || o.maxN < o.minN) bad("minN/maxN (1 <= minN <= maxN)");
    if (o.buckets < 1) bad("buckets (>= 1)");
    if (!(o.lr > 0.0) || !std::isfinite(o.lr)) bad("lr (> 0)");
    if (!(o.sifA > 0.0) || !std::isfinite(o.sifA)) bad("sifA (> 0)");
    if (o.maxRepeats < 1) bad("maxRepeats (>= 1)");
}

}  // namespace

std::vector<uint32_t> CorpusEmbedder::ngramBuckets(const std::string& word) const {
    const std::string w = "<" + word + ">";
    std::vector<size_t> starts;  // byte offsets of UTF-8 characters, plus the end
    for (size_t i = 0; i < w.size(); ++i)
        if ((static_cast<unsigned char>(w[i]) & 0xC0) != 0x80) starts.push_back(i);
    const size_t nchars = starts.size();
    starts.push_back(w.size());
    std::vector<uint32_t> out;
    for (size_t i = 0; i < nchars; ++i) {
        for (int n = opt_.minN; n <= opt_.maxN && i + n <= nchars; ++n) {
            if (static_cast<size_t>(n) == nchars) continue;  // "<word>" itself is the word row
            detail::Fnv64 h;
            h.bytes(w.data() + starts[i], starts[i + n] - starts[i]);
            out.push_back(static_cast<uint32_t>(h.value() % static_cast<uint64_t>(opt_.buckets)));
        }
    }
    return out;
}

CorpusEmbedder CorpusEmbedder::train(const std::vector<std::pair<std::string, uint64_t>>& sentences,
                                     const CorpusOptions& options,
                                     const std::function<bool(double)>& progress) {
    validate(options);
    CorpusEmbedder m;
    m.opt_ = options;
    const int dim = options.dim;

    // Vocabulary and sentences as word ids. Frequencies count each template as often as it is
    // trained, so SIF's p(w) matches what the model saw.
    detail::Fnv64 digest;
    std::vector<std::vector<int>> sents;
    std::vector<int> reps;
    std::unordered_map<std::string, int> index;
    for (const auto& [text, count] : sentences) {
        digest.str(text).u64(count);
        const int r = repeatsFor(count, options.maxRepeats);
        std::vector<int> ids;
        for (auto& w : templateWords(text)) {
            if (w == kParamOnlyToken) continue;
            auto it = index.find(w);
            if (it == index.end()) {
                it = index.emplace(w, static_cast<int>(m.words_.size())).first;
                m.words_.push_back(w);
                m.freq_.push_back(0.0);
            }
            m.freq_[it->second] += r;
            m.totalFreq_ += r;
            ids.push_back(it->second);
        }
        if (ids.size() >= 2) {  // a lone word has no context to learn from
            sents.push_back(std::move(ids));
            reps.push_back(r);
        }
    }
    m.inputDigest_ = digest.value();
    const int nwords = static_cast<int>(m.words_.size());

    // Input rows of each word: its own row, then its n-gram buckets (compacted).
    std::unordered_map<uint32_t, int> bucketRow;
    std::vector<std::vector<int>> wordRows(nwords);
    for (int w = 0; w < nwords; ++w) {
        wordRows[w].push_back(w);
        for (uint32_t b : m.ngramBuckets(m.words_[w])) {
            auto it = bucketRow.find(b);
            if (it == bucketRow.end()) {
                it = bucketRow.emplace(b, nwords + static_cast<int>(m.bucketIds_.size())).first;
                m.bucketIds_.push_back(b);
            }
            wordRows[w].push_back(it->second);
        }
    }
    const int nrows = nwords + static_cast<int>(m.bucketIds_.size());

    Rng rng(options.seed);
    m.rows_.resize(nrows, dim);
    for (int r = 0; r < nrows; ++r)
        for (int j = 0; j < dim; ++j)
            m.rows_(r, j) = static_cast<float>((rng.uniform() * 2.0 - 1.0) / dim);
    RowMatrix out = RowMatrix::Zero(nwords, dim);

    // Negative-sampling table, unigram^0.75.
    std::vector<int> negTable;
    if (nwords > 1) {
        const size_t tableSize = std::max<size_t>(1 << 16, static_cast<size_t>(nwords) * 64);
        double z = 0.0;
        for (double f : m.freq_) z += std::pow(f, 0.75);
        for (int w = 0; w < nwords; ++w) {
            const double share = std::pow(m.freq_[w], 0.75) / z * tableSize;
            const size_t k = std::max<size_t>(1, static_cast<size_t>(std::llround(share)));
            negTable.insert(negTable.end(), k, w);
        }
    }

    uint64_t tokensPerEpoch = 0;
    std::vector<int> order;
    for (size_t s = 0; s < sents.size(); ++s) {
        tokensPerEpoch += sents[s].size() * static_cast<uint64_t>(reps[s]);
        order.insert(order.end(), reps[s], static_cast<int>(s));
    }
    int epochs = options.epochs;
    if (tokensPerEpoch > 0 && tokensPerEpoch * epochs < options.minTokens)
        epochs = static_cast<int>(
            std::min<uint64_t>(100000, (options.minTokens + tokensPerEpoch - 1) / tokensPerEpoch));
    const double totalTokens = static_cast<double>(tokensPerEpoch) * epochs;
    const uint64_t reportEvery = std::max<uint64_t>(1, static_cast<uint64_t>(totalTokens / 100));
    uint64_t processed = 0, nextReport = reportEvery;

    Eigen::VectorXf hidden(dim), grad(dim);
    for (int epoch = 0; epoch < epochs; ++epoch) {
        // Shuffle so that repeats of one template are spread over the epoch.
        for (size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[rng.below(static_cast<uint32_t>(i))]);
        for (int s : order) {
            const std::vector<int>& line = sents[s];
            const int len = static_cast<int>(line.size());
            for (int pos = 0; pos < len; ++pos, ++processed) {
                const float lr = static_cast<float>(
                    options.lr *
                    std::max(1e-4, 1.0 - static_cast<double>(processed) / totalTokens));
                // Skip-gram with the centre word's (row + n-grams) mean as input; the gradient
                // is accumulated over the window and applied once (word2vec-style), which
                // keeps the n-gram update cost independent of the window size.
                const std::vector<int>& in = wordRows[line[pos]];
                hidden.setZero();
                for (int r : in) hidden += m.rows_.row(r).transpose();
                hidden /= static_cast<float>(in.size());
                grad.setZero();
                const int b = 1 + static_cast<int>(rng.below(options.window));
                for (int c = std::max(0, pos - b); c <= std::min(len - 1, pos + b); ++c) {
                    if (c == pos) continue;
                    const int target = line[c];
                    for (int k = 0; k <= options.negatives; ++k) {
                        int t = target;
                        if (k > 0) {
                            if (negTable.empty()) break;
                            t = negTable[rng.below(static_cast<uint32_t>(negTable.size()))];
                            if (t == target) continue;
                        }
                        auto o = out.row(t);
                        const float label = k == 0 ? 1.f : 0.f;
                        const float g = lr * (label - sigmoid(o.dot(hidden.transpose())));
                        grad += g * o.transpose();
                        o += g * hidden.transpose();
                    }
                }
                for (int r : in) m.rows_.row(r) += grad.transpose();
                if (processed + 1 >= nextReport) {
                    nextReport += reportEvery;
                    if (progress && !progress(std::min(1.0, (processed + 1) / totalTokens)))
                        throw mlad::Cancelled();
                }
            }
        }
    }
    if (progress && !progress(1.0)) throw mlad::Cancelled();

    m.finalize();
    // Parameter-only templates get a fixed random direction scaled like a typical word vector.
    double norm = 0.0;
    for (int w = 0; w < nwords; ++w) norm += m.wordVecs_.row(w).norm();
    norm = nwords > 0 && norm > 0.0 ? norm / nwords : 1.0;
    m.paramOnly_.resize(dim);
    for (int j = 0; j < dim; ++j) m.paramOnly_[j] = static_cast<float>(rng.uniform() * 2.0 - 1.0);
    m.paramOnly_ *= static_cast<float>(norm / m.paramOnly_.norm());

    if (options.sif) {
        // First singular vector of the (uncentred) training template vectors, as in SIF.
        std::vector<std::string> texts;
        std::unordered_map<std::string, int> seen;
        for (const auto& s : sentences)
            if (seen.emplace(s.first, 0).second) texts.push_back(s.first);
        const Eigen::MatrixXf X = m.embed(texts);
        if (X.rows() >= 2) {
            const Eigen::MatrixXf C = X.transpose() * X;
            Eigen::VectorXf u = Eigen::VectorXf::Ones(dim) / std::sqrt(static_cast<float>(dim));
            for (int it = 0; it < 200; ++it) {
                Eigen::VectorXf next = C * u;
                const float n = next.norm();
                if (!(n > 0.f)) break;
                next /= n;
                const float delta = (next - u).norm();
                u = next;
                if (delta < 1e-6f) break;
            }
            if (std::isfinite(u.norm()) && u.norm() > 0.5f) m.commonDir_ = u;
        }
    }
    return m;
}

void CorpusEmbedder::finalize() {
    const int nwords = static_cast<int>(words_.size());
    wordIndex_.clear();
    bucketRow_.clear();
    for (int w = 0; w < nwords; ++w) wordIndex_.emplace(words_[w], w);
    for (size_t i = 0; i < bucketIds_.size(); ++i)
        bucketRow_.emplace(bucketIds_[i], nwords + static_cast<int>(i));
    wordVecs_.resize(nwords, opt_.dim);
    for (int w = 0; w < nwords; ++w) {
        Eigen::VectorXf v = rows_.row(w).transpose();
        const std::vector<uint32_t> buckets = ngramBuckets(words_[w]);
        for (uint32_t b : buckets) v += rows_.row(bucketRow_.at(b)).transpose();
        wordVecs_.row(w) = (v / static_cast<float>(1 + buckets.size())).transpose();
    }
}

// ---------------------------------------------------------------------------------------------
// Embedding

Eigen::VectorXf CorpusEmbedder::wordVector(const std::string& word) const {
    if (word == kParamOnlyToken) return paramOnly_;
    auto it = wordIndex_.find(word);
    if (it != wordIndex_.end()) return wordVecs_.row(it->second).transpose();
    Eigen::VectorXf v = Eigen::VectorXf::Zero(opt_.dim);
    int known = 0;
    for (uint32_t b : ngramBuckets(word)) {
        auto r = bucketRow_.find(b);
        if (r == bucketRow_.end()) continue;
        v += rows_.row(r->second).transpose();
        ++known;
    }
    if (known > 0) v /= static_cast<float>(known);
    return v;
}

double CorpusEmbedder::wordProbability(const std::string& word) const {
    auto it = wordIndex_.find(word);
    if (it == wordIndex_.end() || totalFreq_ <= 0.0) return 0.0;
    return freq_[it->second] / totalFreq_;
}

Eigen::MatrixXf CorpusEmbedder::embed(const std::vector<std::string>& templates) const {
    Eigen::MatrixXf out =
        Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(templates.size()), opt_.dim);
    std::unordered_map<std::string, Eigen::VectorXf> unseen;  // n-gram vectors, per call
    for (size_t t = 0; t < templates.size(); ++t) {
        Eigen::VectorXf acc = Eigen::VectorXf::Zero(opt_.dim);
        double wsum = 0.0;
        for (const std::string& w : templateWords(templates[t])) {
            // SIF: frequent words (p(w) large) count less; unseen words have p = 0, weight 1.
            const double weight = opt_.sif ? opt_.sifA / (opt_.sifA + wordProbability(w)) : 1.0;
            auto it = wordIndex_.find(w);
            if (it != wordIndex_.end()) {
                acc += static_cast<float>(weight) * wordVecs_.row(it->second).transpose();
            } else {
                auto u = unseen.find(w);
                if (u == unseen.end()) u = unseen.emplace(w, wordVector(w)).first;
                acc += static_cast<float>(weight) * u->second;
            }
            wsum += weight;
        }
        // Weighted mean (not SIF's plain sum / n) keeps the scale independent of word rarity.
        if (wsum <= 0.0) continue;
        acc /= static_cast<float>(wsum);
        if (commonDir_.size() == acc.size()) acc -= commonDir_.dot(acc) * commonDir_;
        out.row(static_cast<Eigen::Index>(t)) = acc.transpose();
    }
    return out;
}

std::string CorpusEmbedder::version() const {
    detail::Fnv64 h;
    h.str("corpus").u64(kFormat);
    h.u64(opt_.dim).u64(opt_.window).u64(opt_.negatives).u64(opt_.epochs);
    h.u64(opt_.minN).u64(opt_.maxN).u64(opt_.buckets).u64(opt_.maxRepeats).u64(opt_.minTokens);
    h.u64(doubleBits(opt_.lr)).u64(opt_.sif ? 1 : 0).u64(doubleBits(opt_.sifA)).u64(opt_.seed);
    h.u64(words_.size());
    for (size_t i = 0; i < words_.size(); ++i) h.str(words_[i]).u64(doubleBits(freq_[i]));
    h.u64(inputDigest_);
    return std::to_string(kFormat) + "-" + h.hex();
}

// ---------------------------------------------------------------------------------------------
// Serialisation

namespace {

constexpr char kMagic[8] = {'M', 'L', 'A', 'D', 'C', 'O', 'R', 'P'};

class Writer {
  public:
    void raw(const void* p, size_t n) { s_.append(static_cast<const char*>(p), n); }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) s_.push_back(static_cast<char>(v >> (8 * i)));
    }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i) s_.push_back(static_cast<char>(v >> (8 * i)));
    }
    void i32(int v) { u32(static_cast<uint32_t>(v)); }
    void f64(double d) { u64(doubleBits(d)); }
    void f32(float f) {
        uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        u32(u);
    }
    void str(const std::string& x) {
        u32(static_cast<uint32_t>(x.size()));
        raw(x.data(), x.size());
    }
    std::string& data() { return s_; }

  private:
    std::string s_;
};

class Reader {
  public:
    Reader(const std::string& s, size_t end) : s_(s), end_(end) {}
    void need(size_t n) const {
        if (end_ - pos_ < n) throw std::runtime_error("CorpusEmbedder blob is truncated");
    }
    uint64_t u64() {
        need(8);
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= static_cast<uint64_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
        pos_ += 8;
        return v;
    }
    uint32_t u32() {
        need(4);
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<uint32_t>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i);
        pos_ += 4;
        return v;
    }
    int i32() { return static_cast<int>(u32()); }
    double f64() {
        const uint64_t u = u64();
        double d;
        std::memcpy(&d, &u, sizeof d);
        return d;
    }
    float f32() {
        const uint32_t u = u32();
        float f;
        std::memcpy(&f, &u, sizeof f);
        return f;
    }
    std::string str() {
        const uint32_t n = u32();
        need(n);
        std::string x = s_.substr(pos_, n);
        pos_ += n;
        return x;
    }
    size_t pos() const { return pos_; }
    void skip(size_t n) {
        need(n);
        pos_ += n;
    }

  private:
    const std::string& s_;
    size_t end_;
    size_t pos_ = 0;
};

}  // namespace

std::string CorpusEmbedder::serialize() const {
    Writer w;
    w.raw(kMagic, sizeof kMagic);
    w.u32(kFormat);
    w.i32(opt_.dim);
    w.i32(opt_.window);
    w.i32(opt_.negatives);
    w.i32(opt_.epochs);
    w.i32(opt_.minN);
    w.i32(opt_.maxN);
    w.i32(opt_.buckets);
    w.i32(opt_.maxRepeats);
    w.u64(opt_.minTokens);
    w.f64(opt_.lr);
    w.u32(opt_.sif ? 1 : 0);
    w.f64(opt_.sifA);
    w.u64(opt_.seed);
    w.u64(inputDigest_);
    w.f64(totalFreq_);
    w.u64(words_.size());
    for (size_t i = 0; i < words_.size(); ++i) {
        w.str(words_[i]);
        w.f64(freq_[i]);
    }
    w.u64(bucketIds_.size());
    for (uint32_t b : bucketIds_) w.u32(b);
    for (Eigen::Index r = 0; r < rows_.rows(); ++r)
        for (Eigen::Index j = 0; j < rows_.cols(); ++j) w.f32(rows_(r, j));
    for (Eigen::Index j = 0; j < paramOnly_.size(); ++j) w.f32(paramOnly_[j]);
    w.u32(commonDir_.size() > 0 ? 1 : 0);
    for (Eigen::Index j = 0; j < commonDir_.size(); ++j) w.f32(commonDir_[j]);
    detail::Fnv64 check;
    check.bytes(w.data().data(), w.data().size());
    w.u64(check.value());
    return std::move(w.data());
}

CorpusEmbedder CorpusEmbedder::deserialize(const std::string& blob) {
    if (blob.size() < sizeof kMagic + 4 + 8 || std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0)
        throw std::runtime_error("not a CorpusEmbedder blob (bad magic)");
    const size_t body = blob.size() - 8;
    {
        Reader tail(blob, blob.size());
        tail.skip(body);
        detail::Fnv64 check;
        check.bytes(blob.data(), body);
        if (tail.u64() != check.value())
            throw std::runtime_error("CorpusEmbedder blob is corrupt (checksum mismatch)");
    }
    Reader r(blob, body);
    r.skip(sizeof kMagic);
    const uint32_t format = r.u32();
    if (format != kFormat)
        throw std::runtime_error("CorpusEmbedder blob has format " + std::to_string(format) +
                                 ", this build reads format " + std::to_string(kFormat));
    CorpusEmbedder m;
    CorpusOptions& o = m.opt_;
    o.dim = r.i32();
    o.window = r.i32();
    o.negatives = r.i32();
    o.epochs = r.i32();
    o.minN = r.i32();
    o.maxN = r.i32();
    o.buckets = r.i32();
    o.maxRepeats = r.i32();
    o.minTokens = r.u64();
    o.lr = r.f64();
    o.sif = r.u32() != 0;
    o.sifA = r.f64();
    o.seed = r.u64();
    try {
        validate(o);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("CorpusEmbedder blob: ") + e.what());
    }
    m.inputDigest_ = r.u64();
    m.totalFreq_ = r.f64();
    const uint64_t nwords = r.u64();
    if (nwords > body) throw std::runtime_error("CorpusEmbedder blob is truncated");
    r.need(nwords * 12);  // rejects absurd counts before allocating
    for (uint64_t i = 0; i < nwords; ++i) {
        m.words_.push_back(r.str());
        m.freq_.push_back(r.f64());
    }
    const uint64_t nbuckets = r.u64();
    if (nbuckets > body) throw std::runtime_error("CorpusEmbedder blob is truncated");
    r.need(nbuckets * 4);
    for (uint64_t i = 0; i < nbuckets; ++i) m.bucketIds_.push_back(r.u32());
    const uint64_t nrows = nwords + nbuckets;
    r.need((nrows + 1) * static_cast<uint64_t>(o.dim) * 4);
    m.rows_.resize(static_cast<Eigen::Index>(nrows), o.dim);
    for (Eigen::Index i = 0; i < m.rows_.rows(); ++i)
        for (Eigen::Index j = 0; j < o.dim; ++j) m.rows_(i, j) = r.f32();
    m.paramOnly_.resize(o.dim);
    for (Eigen::Index j = 0; j < o.dim; ++j) m.paramOnly_[j] = r.f32();
    if (r.u32() != 0) {
        m.commonDir_.resize(o.dim);
        for (Eigen::Index j = 0; j < o.dim; ++j) m.commonDir_[j] = r.f32();
    }
    if (r.pos() != body) throw std::runtime_error("CorpusEmbedder blob has trailing bytes");
    for (uint32_t b : m.bucketIds_)
        if (b >= static_cast<uint32_t>(o.buckets))
            throw std::runtime_error("CorpusEmbedder blob: bucket id out of range");
    try {
        m.finalize();
    } catch (const std::out_of_range&) {  // a word's n-gram bucket is missing from the blob
        throw std::runtime_error("CorpusEmbedder blob: n-gram table does not match vocabulary");
    }
    if (m.wordIndex_.size() != m.words_.size() || m.bucketRow_.size() != m.bucketIds_.size())
        throw std::runtime_error("CorpusEmbedder blob: duplicate words or buckets");
    return m;
}

}  // namespace mlad::embed
