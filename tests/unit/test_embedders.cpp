#include "mlad/embed/CorpusEmbedder.h"
#include "mlad/embed/Embedder.h"
#include "mlad/embed/TorchScriptEmbedder.h"
#include "mlad/embed/VectorFileEmbedder.h"

#include <gtest/gtest.h>
#include <torch/script.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using namespace mlad::embed;
using Words = std::vector<std::string>;

namespace {

// /work/shared/datasets: $MLAD_SHARED_DATA, ../shared/datasets, or next to the source tree.
std::string sharedDataDir() {
    if (const char* env = std::getenv("MLAD_SHARED_DATA"); env && *env)
        return fs::is_directory(env) ? env : "";
    if (fs::is_directory("../shared/datasets")) return "../shared/datasets";
#ifdef MLAD_SOURCE_DIR
    const std::string fromSource = std::string(MLAD_SOURCE_DIR) + "/../shared/datasets";
    if (fs::is_directory(fromSource)) return fromSource;
#endif
    return "";
}

// Fresh directory per test, removed afterwards.
class TempDir {
  public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() / ("mlad_embed_" + std::to_string(::getpid()) + "_" +
                                             info->test_suite_name() + "_" + info->name());
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

float cosine(const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
    return a.dot(b) / (a.norm() * b.norm());
}

// Minimal CSV record splitter for the loghub files (quoted fields, "" escapes, one line each).
std::vector<std::string> splitCsvLine(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur.push_back(c);
        }
    }
    out.push_back(cur);
    return out;
}

// EventTemplate column of loghub-2k/<system>/<system>_2k.log_templates.csv, with the number of
// structured log lines of each event as its count (1 when the structured file is missing).
std::vector<std::pair<std::string, uint64_t>> loghubTemplates(const std::string& root,
                                                              const std::string& system) {
    const std::string base = root + "/loghub-2k/" + system + "/" + system + "_2k.log";
    std::map<std::string, uint64_t> counts;
    std::ifstream structured(base + "_structured.csv");
    std::string line;
    if (std::getline(structured, line)) {
        const auto header = splitCsvLine(line);
        size_t idCol = header.size();
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] == "EventId") idCol = i;
        while (std::getline(structured, line)) {
            const auto f = splitCsvLine(line);
            if (idCol < f.size() && f.size() == header.size()) ++counts[f[idCol]];
        }
    }
    std::vector<std::pair<std::string, uint64_t>> out;
    std::ifstream templates(base + "_templates.csv");
    if (!std::getline(templates, line)) return out;
    const auto header = splitCsvLine(line);
    size_t idCol = 0, textCol = 1;
    for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == "EventId") idCol = i;
        if (header[i] == "EventTemplate") textCol = i;
    }
    while (std::getline(templates, line)) {
        const auto f = splitCsvLine(line);
        if (f.size() <= std::max(idCol, textCol)) continue;
        auto it = counts.find(f[idCol]);
        out.emplace_back(f[textCol], it == counts.end() ? 1 : it->second);
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// templateWords

TEST(EmbedTemplateWords, SplitsLowerCasesAndDropsParameters) {
    EXPECT_EQ(templateWords("<*> ddr error(s) detected and corrected on rank <*>, symbol <*>"),
              (Words{"ddr", "error", "s", "detected", "and", "corrected", "on", "rank", "symbol"}));
    EXPECT_EQ(
        templateWords("BLOCK* NameSystem.addStoredBlock: blockMap updated: <*>:<*>"),
        (Words{"block", "name", "system", "add", "stored", "block", "block", "map", "updated"}));
    EXPECT_EQ(templateWords("BGLERR_IDO_PKT_TIMEOUT HTTPServer CPUs IDs eth1"),
              (Words{"bglerr", "ido", "pkt", "timeout", "http", "server", "cpus", "ids", "eth1"}));
    // "<*>" separates words even without spaces around it.
    EXPECT_EQ(templateWords("blk_<*>ms size<*>KB"), (Words{"blk", "ms", "size", "kb"}));
}

TEST(EmbedTemplateWords, ParameterOnlyTemplatesGetTheDedicatedToken) {
    EXPECT_EQ(templateWords("<*>:<*> <*>:<*>"), (Words{kParamOnlyToken}));
    EXPECT_EQ(templateWords("<*>"), (Words{kParamOnlyToken}));
    EXPECT_TRUE(templateWords("").empty());
    EXPECT_TRUE(templateWords(" ... ").empty());
}

// ---------------------------------------------------------------------------------------------
// CorpusEmbedder on the real loghub templates

class EmbedCorpus : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        const std::string root = sharedDataDir();
        if (root.empty()) return;
        for (const char* system : {"BGL", "HDFS", "Thunderbird"}) {
            auto t = loghubTemplates(root, system);
            corpus_->insert(corpus_->end(), t.begin(), t.end());
        }
        if (corpus_->empty()) return;
        model_ = std::make_unique<CorpusEmbedder>(CorpusEmbedder::train(*corpus_, {}));
    }
    static void TearDownTestSuite() { model_.reset(); }
    void SetUp() override {
        if (!model_)
            GTEST_SKIP() << "shared datasets not found (set MLAD_SHARED_DATA to the directory "
                            "holding loghub-2k/)";
    }

    static float templateCosine(const std::string& a, const std::string& b) {
        const Eigen::MatrixXf e = model_->embed({a, b});
        return cosine(e.row(0).transpose(), e.row(1).transpose());
    }

    static inline auto corpus_ = std::make_unique<std::vector<std::pair<std::string, uint64_t>>>();
    static inline std::unique_ptr<CorpusEmbedder> model_;
};

TEST_F(EmbedCorpus, TemplatesSharingWordsAreCloserThanUnrelatedOnes) {
    std::printf("corpus: %zu templates, vocabulary %zu words, dim %d, version %s\n",
                corpus_->size(), model_->vocabulary().size(), model_->dim(),
                model_->version().c_str());
    struct Triple {
        std::string anchor, related, unrelated;
    };
    const std::vector<Triple> triples = {
        {"<*> L3 EDRAM error(s) (dcr <*>) detected and corrected",
         "<*> L3 EDRAM error(s) (dcr <*>) detected and corrected over <*> seconds",
         "Verification succeeded for blk_<*>"},
        {"Receiving block blk_<*> src: /<*>:<*> dest: /<*>:<*>",
         "Received block blk_<*> of size <*> from /<*>", "DHCPDISCOVER from <*> via eth1"},
        {"ciod: Error creating node map from file <*>: Bad file descriptor",
         "ciod: Error creating node map from file <*>: Permission denied",
         "PacketResponder <*> for block blk_<*> terminating"},
        {"DHCPDISCOVER from <*> via eth1", "DHCPREQUEST for <*> (<*>) from <*> via eth1",
         "data TLB error interrupt"},
        {"data TLB error interrupt", "data storage interrupt",
         "Deleting block blk_<*> file /<*>/blk_<*>"},
    };
    for (const auto& t : triples) {
        const float rel = templateCosine(t.anchor, t.related);
        const float unrel = templateCosine(t.anchor, t.unrelated);
        std::printf("  cos %+.3f  \"%s\" ~ \"%s\"\n  cos %+.3f  \"%s\" ~ \"%s\"\n", rel,
                    t.anchor.c_str(), t.related.c_str(), unrel, t.anchor.c_str(),
                    t.unrelated.c_str());
        EXPECT_GT(rel, 0.6f) << t.anchor << " ~ " << t.related;
        EXPECT_GT(rel, unrel + 0.3f) << t.anchor;
    }
}

TEST_F(EmbedCorpus, UnseenWordsGetVectorsFromSharedNgrams) {
    const auto& vocab = model_->vocabulary();
    auto inVocab = [&](const std::string& w) {
        return std::find(vocab.begin(), vocab.end(), w) != vocab.end();
    };
    ASSERT_TRUE(inVocab("interrupt"));
    ASSERT_TRUE(inVocab("dhcpdiscover"));
    for (const std::string unseen : {"interruptions", "interrupted"}) {
        ASSERT_FALSE(inVocab(unseen)) << unseen << " is in the training vocabulary";
        const Eigen::VectorXf v = model_->wordVector(unseen);
        EXPECT_GT(v.norm(), 0.f) << unseen;
        const float close = cosine(v, model_->wordVector("interrupt"));
        const float far = cosine(v, model_->wordVector("dhcpdiscover"));
        std::printf("  cos(%s, interrupt) = %+.3f, cos(%s, dhcpdiscover) = %+.3f\n", unseen.c_str(),
                    close, unseen.c_str(), far);
        EXPECT_GT(close, 0.5f) << unseen;
        EXPECT_GT(close, far + 0.15f) << unseen;
    }
    // A template made only of unseen words still gets a vector.
    const Eigen::MatrixXf e = model_->embed({"interruptions rescheduled"});
    EXPECT_GT(e.row(0).norm(), 0.f);
}

TEST_F(EmbedCorpus, ParameterOnlyAndEmptyTemplates) {
    const Eigen::MatrixXf e =
        model_->embed({"<*>:<*> <*>:<*>", "<*>", "", "data TLB error interrupt"});
    ASSERT_EQ(e.rows(), 4);
    ASSERT_EQ(e.cols(), model_->dim());
    EXPECT_GT(e.row(0).norm(), 0.f);
    EXPECT_TRUE(e.row(0).isApprox(e.row(1)));  // same token, same vector
    EXPECT_EQ(e.row(2).norm(), 0.f);
    EXPECT_LT(std::abs(cosine(e.row(0).transpose(), e.row(3).transpose())), 0.9f);
    EXPECT_TRUE(e.allFinite());
}

TEST_F(EmbedCorpus, SerializeRoundTripGivesIdenticalVectors) {
    const std::string blob = model_->serialize();
    std::printf("  serialized model: %zu bytes\n", blob.size());
    const CorpusEmbedder back = CorpusEmbedder::deserialize(blob);
    EXPECT_EQ(back.version(), model_->version());
    EXPECT_EQ(back.vocabulary(), model_->vocabulary());
    std::vector<std::string> texts;
    for (const auto& s : *corpus_) texts.push_back(s.first);
    texts.push_back("completely unseen wordings interruptions");
    texts.push_back("<*>");
    const Eigen::MatrixXf a = model_->embed(texts);
    const Eigen::MatrixXf b = back.embed(texts);
    ASSERT_EQ(a.rows(), b.rows());
    EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.f);
    EXPECT_EQ(back.serialize(), blob);

    std::string corrupt = blob;
    corrupt[corrupt.size() / 2] ^= 0x40;
    EXPECT_THROW(CorpusEmbedder::deserialize(corrupt), std::runtime_error);
    EXPECT_THROW(CorpusEmbedder::deserialize(blob.substr(0, blob.size() - 9)), std::runtime_error);
    EXPECT_THROW(CorpusEmbedder::deserialize("not a model"), std::runtime_error);
}

TEST_F(EmbedCorpus, TrainingIsDeterministicForASeed) {
    CorpusOptions opt;
    opt.dim = 32;
    opt.minTokens = 50000;
    const CorpusEmbedder a = CorpusEmbedder::train(*corpus_, opt);
    const CorpusEmbedder b = CorpusEmbedder::train(*corpus_, opt);
    opt.seed = 2;
    const CorpusEmbedder c = CorpusEmbedder::train(*corpus_, opt);
    std::vector<std::string> texts;
    for (const auto& s : *corpus_) texts.push_back(s.first);
    const Eigen::MatrixXf ea = a.embed(texts), eb = b.embed(texts), ec = c.embed(texts);
    EXPECT_EQ((ea - eb).cwiseAbs().maxCoeff(), 0.f);
    EXPECT_EQ(a.serialize(), b.serialize());
    EXPECT_EQ(a.version(), b.version());
    EXPECT_GT((ea - ec).cwiseAbs().maxCoeff(), 1e-3f);
    EXPECT_NE(a.version(), c.version());
    EXPECT_NE(a.version(), model_->version());  // other options, other version
}

TEST_F(EmbedCorpus, ProgressIsReportedAndCancelStops) {
    CorpusOptions opt;
    opt.dim = 16;
    opt.minTokens = 20000;
    std::vector<double> seen;
    CorpusEmbedder::train(*corpus_, opt, [&](double f) {
        seen.push_back(f);
        return true;
    });
    ASSERT_GE(seen.size(), 10u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
    int calls = 0;
    EXPECT_THROW(CorpusEmbedder::train(*corpus_, opt, [&](double) { return ++calls < 3; }),
                 std::runtime_error);
    EXPECT_EQ(calls, 3);
}

TEST(EmbedCorpusSmall, CountsWeightFrequencyAndOptionsAreChecked) {
    // "alpha" appears in a template seen 1000 times, "omega" in one seen once.
    const std::vector<std::pair<std::string, uint64_t>> corpus = {
        {"alpha beta gamma", 1000}, {"omega beta delta", 1}, {"<*> <*>", 5}};
    CorpusOptions opt;
    opt.dim = 8;
    opt.minTokens = 2000;
    const CorpusEmbedder m = CorpusEmbedder::train(corpus, opt);
    EXPECT_GT(m.wordProbability("alpha"), m.wordProbability("omega"));
    EXPECT_EQ(m.wordProbability("unknown"), 0.0);
    EXPECT_EQ(m.vocabulary().size(), 5u);  // "<*>" is not a training word
    EXPECT_EQ(m.embed({"alpha"}).cols(), 8);

    CorpusOptions bad;
    bad.dim = 0;
    EXPECT_THROW(CorpusEmbedder::train(corpus, bad), std::invalid_argument);
    bad = CorpusOptions{};
    bad.minN = 4;
    bad.maxN = 3;
    EXPECT_THROW(CorpusEmbedder::train(corpus, bad), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// VectorFileEmbedder

namespace {

void expectRow(const Eigen::MatrixXf& m, Eigen::Index row, const std::vector<float>& values) {
    ASSERT_EQ(m.cols(), static_cast<Eigen::Index>(values.size()));
    for (size_t j = 0; j < values.size(); ++j)
        EXPECT_EQ(m(row, static_cast<Eigen::Index>(j)), values[j]) << "row " << row << " col " << j;
}

// Writes a version-1.0 .npy file of a rows x cols matrix given in C order.
template <typename T>
void writeNpy(const std::string& path, const std::vector<T>& values, size_t rows, size_t cols,
              bool fortran = false) {
    std::string header = std::string("{'descr': '<f") + (sizeof(T) == 4 ? "4" : "8") +
                         "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" +
                         std::to_string(rows) + ", " + std::to_string(cols) + "), }";
    while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::string out = "\x93NUMPY";
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<char>(header.size() & 0xFF));
    out.push_back(static_cast<char>(header.size() >> 8));
    out += header;
    std::vector<T> ordered = values;
    if (fortran)
        for (size_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < cols; ++c) ordered[c * rows + r] = values[r * cols + c];
    out.append(reinterpret_cast<const char*>(ordered.data()), ordered.size() * sizeof(T));
    writeFile(path, out);
}

}  // namespace

TEST(EmbedVectorFile, CsvRoundTripWithQuotedTemplates) {
    TempDir dir;
    const std::string path = dir.file("vectors.csv");
    writeFile(path,
              "template,v1,v2,v3\n"
              "\"<*> ddr error(s) detected, corrected\",0.5,-1.25,3\n"
              "plain template,1e-3, 2.5 ,-0\r\n"
              "\n"
              "\"says \"\"hello\"\", twice\",7,8,9\n"
              "\"two\nlines\",1,2,4\n");
    const auto e = VectorFileEmbedder::loadCsv(path);
    EXPECT_EQ(e->kind(), "vectors");
    EXPECT_EQ(e->dim(), 3);
    EXPECT_EQ(e->size(), 4u);
    const Eigen::MatrixXf m =
        e->embed({"says \"hello\", twice", "<*> ddr error(s) detected, corrected",
                  "  plain template ", "two\nlines", "unknown"});
    expectRow(m, 0, {7.f, 8.f, 9.f});
    expectRow(m, 1, {0.5f, -1.25f, 3.f});
    expectRow(m, 2, {1e-3f, 2.5f, 0.f});
    expectRow(m, 3, {1.f, 2.f, 4.f});
    expectRow(m, 4, {0.f, 0.f, 0.f});  // no fallback: zeros
    EXPECT_TRUE(e->contains("plain template"));
    EXPECT_FALSE(e->contains("unknown"));

    // Without a header, and with pandas-style numbered columns.
    writeFile(path, "a,1,2\nb,3,4\n");
    const auto noHeader = VectorFileEmbedder::load(path);
    EXPECT_EQ(noHeader->size(), 2u);
    expectRow(noHeader->embed({"a"}), 0, {1.f, 2.f});
    writeFile(path, ",0,1,2\na,1,2,3\n");
    EXPECT_EQ(VectorFileEmbedder::loadCsv(path)->size(), 1u);
    // The shared CSV reader (mlad/io/Csv.h): a UTF-8 BOM is not part of the first template,
    // and a CRLF inside a quoted template reads as "\n".
    writeFile(path,
              "\xEF\xBB\xBF"
              "a,1\r\n\"crlf\r\nkept\",5\r\n");
    const auto bom = VectorFileEmbedder::loadCsv(path);
    EXPECT_EQ(bom->size(), 2u);
    EXPECT_TRUE(bom->contains("a"));
    EXPECT_TRUE(bom->contains("crlf\nkept"));
    expectRow(bom->embed({"crlf\nkept", "a"}), 0, {5.f});
    expectRow(bom->embed({"crlf\nkept", "a"}), 1, {1.f});
}

TEST(EmbedVectorFile, NpyRoundTripFloat32Float64AndFortranOrder) {
    TempDir dir;
    const std::vector<float> f32 = {0.5f, -1.f, 2.25f, 3.f, -0.125f, 1e-7f};
    const std::vector<double> f64 = {0.1, -2.0, 1e10, 4.5, 6.0, -7.75};
    writeFile(dir.file("f32.txt"), "first template\nsecond, with comma\n");
    writeNpy(dir.file("f32.npy"), f32, 2, 3);
    const auto a = VectorFileEmbedder::load(dir.file("f32.npy"));  // default sidecar name
    EXPECT_EQ(a->dim(), 3);
    const Eigen::MatrixXf ma = a->embed({"second, with comma", "first template"});
    expectRow(ma, 0, {3.f, -0.125f, 1e-7f});
    expectRow(ma, 1, {0.5f, -1.f, 2.25f});

    writeFile(dir.file("index.txt"), "x\r\ny\r\n");
    writeNpy(dir.file("f64.npy"), f64, 2, 3);
    const auto b = VectorFileEmbedder::loadNpy(dir.file("f64.npy"), dir.file("index.txt"));
    expectRow(b->embed({"y"}), 0, {4.5f, 6.f, -7.75f});
    expectRow(b->embed({"x"}), 0, {0.1f, -2.f, 1e10f});

    writeNpy(dir.file("fortran.npy"), f64, 2, 3, /*fortran=*/true);
    const auto c = VectorFileEmbedder::loadNpy(dir.file("fortran.npy"), dir.file("index.txt"));
    expectRow(c->embed({"y"}), 0, {4.5f, 6.f, -7.75f});
    EXPECT_EQ(b->version(), c->version());  // same table, same version

    // A different value changes the version.
    std::vector<double> changed = f64;
    changed[5] = -7.5;
    writeNpy(dir.file("f64.npy"), changed, 2, 3);
    EXPECT_NE(VectorFileEmbedder::loadNpy(dir.file("f64.npy"), dir.file("index.txt"))->version(),
              b->version());
}

TEST(EmbedVectorFile, UnknownTemplatesUseTheFallback) {
    TempDir dir;
    writeFile(dir.file("fallback.csv"), "unknown one,9,9\nunknown two,-1,-2\n");
    std::shared_ptr<const Embedder> fallback =
        VectorFileEmbedder::loadCsv(dir.file("fallback.csv"));
    writeFile(dir.file("main.csv"), "known,1,2\n");
    const auto e = VectorFileEmbedder::loadCsv(dir.file("main.csv"), fallback);
    const Eigen::MatrixXf m = e->embed({"unknown two", "known", "unknown one"});
    expectRow(m, 0, {-1.f, -2.f});
    expectRow(m, 1, {1.f, 2.f});
    expectRow(m, 2, {9.f, 9.f});
    EXPECT_NE(e->version(), VectorFileEmbedder::loadCsv(dir.file("main.csv"))->version());

    writeFile(dir.file("wide.csv"), "known,1,2,3\n");
    try {
        VectorFileEmbedder::loadCsv(dir.file("wide.csv"), fallback);
        FAIL() << "expected a dimension mismatch error";
    } catch (const std::runtime_error& err) {
        const std::string msg = err.what();
        EXPECT_NE(msg.find("wide.csv"), std::string::npos) << msg;
        EXPECT_NE(msg.find("dimension 3"), std::string::npos) << msg;
        EXPECT_NE(msg.find("dimension 2"), std::string::npos) << msg;
    }
}

TEST(EmbedVectorFile, MalformedFilesNameFileAndLine) {
    TempDir dir;
    auto expectError = [&](const std::string& name, const std::string& content,
                           const std::string& where, const std::string& what) {
        writeFile(dir.file(name), content);
        try {
            VectorFileEmbedder::loadCsv(dir.file(name));
            ADD_FAILURE() << name << ": expected an error";
        } catch (const std::runtime_error& err) {
            const std::string msg = err.what();
            EXPECT_NE(msg.find(dir.file(name) + where), std::string::npos) << msg;
            EXPECT_NE(msg.find(what), std::string::npos) << msg;
        }
    };
    expectError("badnum.csv", "template,a,b\nx,1,2\ny,1,2x\n", ":3:", "not a number");
    expectError("columns.csv", "x,1,2\n\ny,1\n", ":3:", "expected 3 columns");
    expectError("quote.csv", "x,1,2\n\"never closed,1,2\n", ":2:", "not closed");
    expectError("afterquote.csv", "x,1,2\n\"a\nb\"c,1,2\n", ":3:", "after the closing quote");
    expectError("dup.csv", "x,1,2\nx,3,4\n", ":2:", "duplicate");
    expectError("nan.csv", "x,1,nan\n", ":1:", "finite");
    expectError("empty.csv", "template,v1\n", "", "no vectors");

    writeFile(dir.file("m.txt"), "only one line\n");
    writeNpy(dir.file("m.npy"), std::vector<float>{1, 2, 3, 4}, 2, 2);
    try {
        VectorFileEmbedder::loadNpy(dir.file("m.npy"), dir.file("m.txt"));
        ADD_FAILURE() << "expected an index length error";
    } catch (const std::runtime_error& err) {
        const std::string msg = err.what();
        EXPECT_NE(msg.find("m.txt"), std::string::npos) << msg;
        EXPECT_NE(msg.find("m.npy"), std::string::npos) << msg;
    }
    writeFile(dir.file("bad.npy"), "definitely not numpy");
    EXPECT_THROW(VectorFileEmbedder::loadNpy(dir.file("bad.npy"), dir.file("m.txt")),
                 std::runtime_error);
    EXPECT_THROW(VectorFileEmbedder::loadCsv(dir.file("absent.csv")), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// TorchScriptEmbedder with a tiny encoder built here: token embeddings = an embedding table.

namespace {

const std::vector<std::string> kTinyVocab = {"[PAD]", "[UNK]",   "[CLS]",     "[SEP]",
                                             "data",  "storage", "interrupt", "block",
                                             "##s",   "error",   ",",         "received"};

// Saves model.pt + vocab.txt; `body` is the TorchScript forward body using `tok` = [B,L,H].
torch::Tensor writeTinyEncoder(const std::string& dir, const std::string& returnExpr) {
    torch::manual_seed(7);
    const torch::Tensor table = torch::randn({static_cast<int64_t>(kTinyVocab.size()), 6});
    torch::jit::Module m("Tiny");
    m.register_parameter("emb", table, /*is_buffer=*/false);
    m.define(
        "def forward(self, input_ids, attention_mask):\n"
        "    tok = torch.embedding(self.emb, input_ids)\n"
        "    return " +
        returnExpr + "\n");
    m.save(dir + "/model.pt");
    std::ofstream vocab(dir + "/vocab.txt");
    for (const auto& t : kTinyVocab) vocab << t << "\n";
    return table;
}

// Mean of the embedding rows of the (unpadded) encoded tokens.
Eigen::VectorXf manualMean(const torch::Tensor& table, const std::vector<int64_t>& ids) {
    Eigen::VectorXf v = Eigen::VectorXf::Zero(table.size(1));
    for (int64_t id : ids)
        for (int64_t j = 0; j < table.size(1); ++j) v[j] += table[id][j].item<float>();
    return v / static_cast<float>(ids.size());
}

}  // namespace

TEST(EmbedTorchScript, MeanPoolsTokenEmbeddingsUnderTheMask) {
    TempDir dir;
    const torch::Tensor table = writeTinyEncoder(dir.path().string(), "tok");
    const auto e = TorchScriptEmbedder::load(dir.path().string(), 16);
    EXPECT_EQ(e->kind(), "torchscript");
    EXPECT_EQ(e->dim(), 6);
    // Different lengths in one batch, so padding happens and must not leak into the mean.
    const std::vector<std::string> texts = {
        "data storage interrupt", "Received blocks, error error error", "", "unknownword"};
    e->setBatchSize(3);
    const Eigen::MatrixXf got = e->embed(texts);
    ASSERT_EQ(got.rows(), 4);
    for (size_t i = 0; i < texts.size(); ++i) {
        const Eigen::VectorXf want = manualMean(table, e->tokenizer().encode(texts[i], 16));
        EXPECT_LT((got.row(static_cast<Eigen::Index>(i)).transpose() - want).cwiseAbs().maxCoeff(),
                  1e-5f)
            << texts[i];
    }
    // Batch composition does not matter (beyond float rounding).
    e->setBatchSize(1);
    EXPECT_LT((e->embed(texts) - got).cwiseAbs().maxCoeff(), 1e-5f);

    // Truncation to maxLen tokens including [CLS]/[SEP].
    const auto shortE = TorchScriptEmbedder::load(dir.path().string(), 3);
    const Eigen::MatrixXf cut = shortE->embed({"data storage interrupt"});
    const Eigen::VectorXf want = manualMean(table, {2, 4, 3});  // [CLS] data [SEP]
    EXPECT_LT((cut.row(0).transpose() - want).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_NE(shortE->version(), e->version());
    EXPECT_EQ(TorchScriptEmbedder::load(dir.path().string(), 16)->version(), e->version());
}

TEST(EmbedTorchScript, AcceptsTupleAndDictOutputs) {
    TempDir dir;
    const std::string text = "block error";
    for (const std::string expr :
         {"(tok, tok.sum(1))", "{'pooled': tok.sum(1), 'token_embeddings': tok}"}) {
        const torch::Tensor table = writeTinyEncoder(dir.path().string(), expr);
        const auto e = TorchScriptEmbedder::load(dir.path().string());
        const Eigen::MatrixXf got = e->embed({text});
        const Eigen::VectorXf want = manualMean(table, e->tokenizer().encode(text, 128));
        EXPECT_LT((got.row(0).transpose() - want).cwiseAbs().maxCoeff(), 1e-5f) << expr;
    }
}

TEST(EmbedTorchScript, MissingOrBrokenFilesAreReported) {
    TempDir dir;
    try {
        TorchScriptEmbedder::load(dir.path().string());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& err) {
        EXPECT_NE(std::string(err.what()).find("model.pt"), std::string::npos) << err.what();
    }
    writeTinyEncoder(dir.path().string(), "tok");
    writeFile(dir.file("model.pt"), "garbage");
    try {
        TorchScriptEmbedder::load(dir.path().string());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& err) {
        EXPECT_NE(std::string(err.what()).find("model.pt"), std::string::npos) << err.what();
    }
    // A model whose output is not [B,L,H] is rejected when loading (probe run).
    writeTinyEncoder(dir.path().string(), "tok.sum()");
    EXPECT_THROW(TorchScriptEmbedder::load(dir.path().string()), std::runtime_error);
}
