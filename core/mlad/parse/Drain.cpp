#include "mlad/parse/Drain.h"

#include <functional>

#include "mlad/util/Strings.h"

namespace mlad {

TokenTable::TokenTable() {
    rehash(1024);
    intern("<*>");
}

void TokenTable::rehash(size_t slots) {
    slots_.assign(slots, -1);
    for (size_t id = 0; id < texts_.size(); ++id) {
        size_t s = hashes_[id] & (slots - 1);
        while (slots_[s] >= 0) s = (s + 1) & (slots - 1);
        slots_[s] = int32_t(id);
    }
}

int32_t TokenTable::find(std::string_view tok) const {
    size_t h = std::hash<std::string_view>{}(tok);
    size_t mask = slots_.size() - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
        int32_t id = slots_[s];
        if (id < 0) return -1;
        if (hashes_[size_t(id)] == h && texts_[size_t(id)] == tok) return id;
    }
}

int32_t TokenTable::intern(std::string_view tok) {
    int32_t id = find(tok);
    if (id >= 0) return id;
    id = int32_t(texts_.size());
    texts_.emplace_back(tok);
    hashes_.push_back(std::hash<std::string_view>{}(tok));
    if (texts_.size() * 2 > slots_.size()) {
        rehash(slots_.size() * 2);
    } else {
        size_t mask = slots_.size() - 1;
        size_t s = hashes_.back() & mask;
        while (slots_[s] >= 0) s = (s + 1) & mask;
        slots_[s] = id;
    }
    return id;
}

static bool hasDigit(std::string_view s) {
    for (char c : s)
        if (c >= '0' && c <= '9') return true;
    return false;
}

Drain::Drain(DrainOptions opt) : opt_(opt), tokenLayers_(std::max(0, opt.depth - 3)) {
    nodes_.reserve(1024);
}

int32_t Drain::newNode() {
    nodes_.emplace_back();
    return int32_t(nodes_.size() - 1);
}

// logparser's fastMatch: highest share of equal constant tokens, ties to more parameters.
Drain::Match Drain::fastMatch(const std::vector<int32_t>& leaf,
                              const std::vector<int32_t>& ids) const {
    int best = -1;
    double bestSim = -1.0;
    int bestParams = -1;
    const size_t n = ids.size();
    for (int32_t c : leaf) {
        const auto& t = clusters_[size_t(c)].tokens;
        int sim = 0, params = 0;
        for (size_t i = 0; i < n; ++i) {
            if (t[i] == TokenTable::kWildcard)
                ++params;
            else if (t[i] == ids[i])
                ++sim;
        }
        double s = n ? double(sim) / double(n) : 1.0;
        if (s > bestSim || (s == bestSim && params > bestParams)) {
            bestSim = s;
            bestParams = params;
            best = c;
        }
    }
    Match m;
    m.nearest = best;
    m.cluster = bestSim >= opt_.similarity ? best : -1;
    m.leafFull = leaf.size() >= opt_.maxLeafTemplates;
    return m;
}

std::string Drain::idKey(const std::vector<int32_t>& ids) {
    return std::string(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t));
}

Drain::Match Drain::search(const std::vector<int32_t>& ids) const {
    if (ids.size() <= size_t(tokenLayers_)) {
        // Short messages are matched exactly; there are at most (tokens in templates)^layers.
        Match m;
        for (int32_t id : ids)
            if (id < 0) return m;
        auto it = shortMessages_.find(idKey(ids));
        if (it != shortMessages_.end()) m.cluster = it->second;
        return m;
    }
    auto it = lengthNodes_.find(ids.size());
    if (it == lengthNodes_.end()) return {};
    int32_t node = it->second;
    for (size_t d = 0; d < size_t(tokenLayers_) && d < ids.size(); ++d) {
        int32_t next = ids[d] >= 0 ? nodes_[size_t(node)].child(ids[d]) : -1;
        if (next < 0) next = nodes_[size_t(node)].child(TokenTable::kWildcard);
        if (next < 0) return {};
        node = next;
    }
    return fastMatch(nodes_[size_t(node)].clusters, ids);
}

// logparser's addSeqToPrefixTree, recording the keys taken so that restore() can rebuild the
// same tree. storedPath (when given) replays the keys of a stored cluster instead.
void Drain::insert(int cluster, const std::vector<std::string_view>* storedPath) {
    DrainCluster& cl = clusters_[size_t(cluster)];
    const size_t len = cl.tokens.size();
    if (len <= size_t(tokenLayers_)) {
        shortMessages_.emplace(idKey(cl.tokens), cluster);
        cl.path.clear();
        return;
    }
    int32_t node;
    auto it = lengthNodes_.find(len);
    if (it == lengthNodes_.end()) {
        node = newNode();
        lengthNodes_.emplace(len, node);
    } else {
        node = it->second;
    }
    std::string path;
    for (size_t d = 0; d < size_t(tokenLayers_); ++d) {
        int32_t key;
        if (storedPath) {
            key = tokens_.intern((*storedPath)[d]);
        } else {
            int32_t tok = cl.tokens[d];
            const Node& nd = nodes_[size_t(node)];
            const int32_t existing = nd.child(tok);
            const bool hasWild = nd.child(TokenTable::kWildcard) >= 0;
            const size_t nChildren = nd.children.size();
            if (existing >= 0) {
                key = tok;
            } else if (!hasDigit(tokens_.text(tok))) {
                if (hasWild)
                    key = nChildren < size_t(opt_.maxChildren) ? tok : TokenTable::kWildcard;
                else
                    key = nChildren + 1 < size_t(opt_.maxChildren) ? tok : TokenTable::kWildcard;
            } else {
                key = TokenTable::kWildcard;
            }
        }
        int32_t next = nodes_[size_t(node)].child(key);
        if (next < 0) {
            next = newNode();  // may reallocate nodes_: index again below
            nodes_[size_t(node)].children.emplace_back(key, next);
        }
        if (!path.empty()) path.push_back(' ');
        path += tokens_.text(key);
        node = next;
    }
    nodes_[size_t(node)].clusters.push_back(cluster);
    cl.path = std::move(path);
}

int Drain::add(std::string_view content) {
    auto& toks = scratchTokens_;
    toks.clear();
    {
        size_t i = 0, n = content.size();
        while (i < n) {
            while (i < n && isSpace(content[i])) ++i;
            size_t b = i;
            while (i < n && !isSpace(content[i])) ++i;
            if (i > b) toks.push_back(content.substr(b, i - b));
        }
    }
    auto& ids = scratchIds_;
    ids.resize(toks.size());
    for (size_t i = 0; i < toks.size(); ++i) ids[i] = tokens_.find(toks[i]);

    const Match m = search(ids);
    int c = m.cluster;
    if (c < 0 && m.nearest >= 0 && (m.leafFull || clusters_.size() >= opt_.maxTemplates)) {
        c = m.nearest;  // a bound is reached: the nearest template takes the line
        ++forced_;
    }
    if (c < 0) {
        DrainCluster cl;
        cl.tokens.resize(toks.size());
        for (size_t i = 0; i < toks.size(); ++i) cl.tokens[i] = tokens_.intern(toks[i]);
        cl.count = 1;
        cl.changed = true;
        clusters_.push_back(std::move(cl));
        c = int(clusters_.size() - 1);
        insert(c, nullptr);
        changed_.push_back(c);
        return c;
    }
    DrainCluster& cl = clusters_[size_t(c)];
    ++cl.count;
    bool updated = false;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (cl.tokens[i] != TokenTable::kWildcard && cl.tokens[i] != ids[i]) {
            cl.tokens[i] = TokenTable::kWildcard;
            updated = true;
        }
    }
    if (updated && !cl.changed) {
        cl.changed = true;
        changed_.push_back(c);
    }
    return c;
}

int Drain::restore(std::string_view templateText, std::string_view treePath, uint64_t count) {
    auto words = splitWhitespace(templateText);
    DrainCluster cl;
    for (auto w : words) cl.tokens.push_back(tokens_.intern(w));
    cl.count = count;
    clusters_.push_back(std::move(cl));
    int c = int(clusters_.size() - 1);
    auto path = splitWhitespace(treePath);
    size_t want = std::min(size_t(tokenLayers_), words.size());
    insert(c, path.size() == want ? &path : nullptr);
    return c;
}

std::string Drain::templateText(int i) const {
    std::string out;
    for (int32_t t : clusters_[size_t(i)].tokens) {
        if (!out.empty()) out.push_back(' ');
        out += tokens_.text(t);
    }
    return out;
}

std::vector<int> Drain::takeChanged() {
    std::vector<int> out;
    out.swap(changed_);
    for (int c : out) clusters_[size_t(c)].changed = false;
    return out;
}

}  // namespace mlad
