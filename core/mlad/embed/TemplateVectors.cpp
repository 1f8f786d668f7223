#include "mlad/embed/TemplateVectors.h"

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "mlad/embed/CorpusEmbedder.h"
#include "mlad/embed/TorchScriptEmbedder.h"
#include "mlad/embed/VectorFileEmbedder.h"
#include "mlad/util/Strings.h"

namespace mlad::embed {

namespace {

struct TemplateRow {
    int64_t id;
    std::string text;
    uint64_t count;
};

std::vector<TemplateRow> allTemplates(Project& p) {
    auto st = p.db().prepare("SELECT id, template, count FROM templates ORDER BY id");
    std::vector<TemplateRow> out;
    while (st.step()) out.push_back({st.getInt(0), st.getText(1), uint64_t(st.getInt(2))});
    return out;
}

// The corpus embedder is identified by what it is trained on: the template texts, their
// counts and the options. Same key -> the stored model is reused.
std::string corpusKey(const std::vector<TemplateRow>& rows, const CorpusOptions& o) {
    uint64_t h = fnv1a64("corpus-v1", 9);
    for (const auto& r : rows) {
        h = fnv1a64(r.text.data(), r.text.size(), h);
        h = fnv1a64(&r.count, sizeof r.count, h);
    }
    h = fnv1a64(&o.dim, sizeof o.dim, h);
    h = fnv1a64(&o.seed, sizeof o.seed, h);
    return "corpus:" + hex64(h);
}

}  // namespace

TemplateVectors ensureTemplateVectors(Project& project, const std::string& spec, int dim,
                                      TaskContext* ctx) {
    auto t0 = std::chrono::steady_clock::now();
    auto rows = allTemplates(project);
    if (rows.empty()) throw std::invalid_argument("the project has no templates to embed");
    auto& db = project.db();
    std::shared_ptr<const Embedder> embedder;
    std::string storedSpec = spec;
    std::string state;

    CorpusOptions copt;
    copt.dim = dim;
    auto progress = [ctx](double f) {
        if (!ctx) return true;
        Progress p;
        p.stage = "training template embeddings";
        p.done = uint64_t(f * 1000);
        p.total = 1000;
        ctx->report(p);
        return !ctx->isCancelled();
    };
    auto trainCorpus = [&]() {
        std::vector<std::pair<std::string, uint64_t>> sentences;
        for (const auto& r : rows) sentences.emplace_back(r.text, std::max<uint64_t>(r.count, 1));
        auto ce =
            std::make_shared<CorpusEmbedder>(CorpusEmbedder::train(sentences, copt, progress));
        state = ce->serialize();
        return ce;
    };

    if (spec == "corpus") {
        storedSpec = corpusKey(rows, copt);
        auto st = db.prepare("SELECT state FROM embedders WHERE kind = 'corpus' AND spec = ?");
        st.bind(1, storedSpec);
        if (st.step()) {
            embedder = std::make_shared<CorpusEmbedder>(CorpusEmbedder::deserialize(st.getBlob(0)));
        } else {
            embedder = trainCorpus();
        }
    } else if (startsWith(spec, "vectors:")) {
        // Unknown templates fall back to the corpus embedder.
        auto fallback = trainCorpus();
        state.clear();
        embedder = VectorFileEmbedder::load(spec.substr(8), fallback);
    } else if (startsWith(spec, "torchscript:")) {
        embedder = TorchScriptEmbedder::load(spec.substr(12));
    } else {
        throw std::invalid_argument("unknown embedder '" + spec +
                                    "' (corpus, vectors:FILE, torchscript:DIR)");
    }

    TemplateVectors out;
    out.kind = embedder->kind();
    out.version = embedder->version();
    out.spec = storedSpec;
    out.dim = embedder->dim();

    // Cached vectors of this exact embedder version.
    {
        auto st = db.prepare(
            "SELECT template_id, vector FROM template_vectors WHERE kind = ? AND version = ?");
        st.bind(1, out.kind).bind(2, out.version);
        while (st.step()) {
            std::string blob = st.getBlob(1);
            std::vector<float> v(blob.size() / sizeof(float));
            std::memcpy(v.data(), blob.data(), v.size() * sizeof(float));
            if (int(v.size()) == out.dim) out.byTemplate.emplace(st.getInt(0), std::move(v));
        }
    }
    std::vector<const TemplateRow*> missing;
    for (const auto& r : rows)
        if (!out.byTemplate.count(r.id)) missing.push_back(&r);
    out.cached = missing.empty();
    if (!missing.empty()) {
        std::vector<std::string> texts;
        for (const auto* r : missing) texts.push_back(r->text);
        Eigen::MatrixXf m = embedder->embed(texts);
        sql::Transaction tx(db);
        db.prepare(
              "INSERT OR IGNORE INTO embedders(kind, version, dim, spec, state) "
              "VALUES (?,?,?,?,?)")
            .bind(1, out.kind)
            .bind(2, out.version)
            .bind(3, out.dim)
            .bind(4, storedSpec)
            .bindBlob(5, state.data(), state.size())
            .run();
        auto ins = db.prepare(
            "INSERT OR REPLACE INTO template_vectors(kind, version, template_id, vector) "
            "VALUES (?,?,?,?)");
        for (size_t i = 0; i < missing.size(); ++i) {
            std::vector<float> v(size_t(out.dim));
            for (int k = 0; k < out.dim; ++k) v[size_t(k)] = m(long(i), k);
            ins.bind(1, out.kind)
                .bind(2, out.version)
                .bind(3, missing[i]->id)
                .bindBlob(4, v.data(), v.size() * sizeof(float))
                .run();
            out.byTemplate.emplace(missing[i]->id, std::move(v));
        }
        tx.commit();
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

}  // namespace mlad::embed
