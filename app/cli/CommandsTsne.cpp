// mlad tsne: a 2-D t-SNE layout of any numeric CSV, or of a run's test sequences.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>

#include "Commands.h"
#include "Output.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/tsne/Tsne.h"
#include "mlad/util/AtomicFile.h"
#include "mlad/util/Strings.h"

namespace mlad::cli {

namespace {

namespace fs = std::filesystem;

/// Refuses to write over an input, the project or its runs folder, or an existing file without
/// --force.
void checkOutput(const std::string& out, const std::vector<std::string>& inputs, bool force) {
    std::error_code ec;
    for (const auto& in : inputs) {
        if (in.empty()) continue;
        const fs::path runs = fs::weakly_canonical(in + ".runs", ec);
        const fs::path target = fs::weakly_canonical(out, ec);
        if (!runs.empty() && target.string().rfind(runs.string() + "/", 0) == 0)
            throw UsageError("--out " + out + " is inside the project's runs folder");
        if (fs::exists(out, ec) && fs::exists(in, ec) && fs::equivalent(out, in, ec))
            throw UsageError("--out " + out + " is an input file (" + in + ")");
    }
    if (fs::exists(out, ec)) {
        if (!force) throw UsageError("--out " + out + " exists; give --force to replace it");
        if (!fs::is_regular_file(out, ec))
            throw UsageError("--out " + out + " is not a regular file");
    }
}

struct CsvPoints {
    std::vector<std::string> header;  ///< empty when the file has none
    std::vector<std::string> rows;    ///< the input lines, verbatim, for the output
    tsne::Matrix x;
};

bool parseNumber(const std::string& s, double& v) {
    const std::string t(trim(s));
    if (t.empty()) return false;
    char* end = nullptr;
    v = std::strtod(t.c_str(), &end);
    return end && *end == '\0';
}

/// One point per row, every column numeric; a first row that is not numeric is a header.
CsvPoints readPoints(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    CsvPoints p;
    std::string line;
    int64_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(std::string_view(line)).empty()) continue;
        const auto fields = parseCsvLine(line);
        std::vector<double> vals;
        bool numeric = true;
        for (const auto& f : fields) {
            double v = 0;
            if (!parseNumber(f, v)) {
                numeric = false;
                break;
            }
            vals.push_back(v);
        }
        if (!numeric) {
            if (p.x.n == 0 && p.header.empty()) {
                p.header = fields;
                continue;
            }
            throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                     ": not a number in every column");
        }
        if (p.x.d == 0) p.x.d = static_cast<int64_t>(vals.size());
        if (static_cast<int64_t>(vals.size()) != p.x.d)
            throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": " +
                                     std::to_string(vals.size()) + " columns, expected " +
                                     std::to_string(p.x.d));
        for (double v : vals)
            if (!std::isfinite(v))
                throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                                         ": a value is not finite");
        p.x.data.insert(p.x.data.end(), vals.begin(), vals.end());
        p.rows.push_back(line);
        ++p.x.n;
    }
    if (in.bad()) throw std::runtime_error("reading " + path + " failed");
    if (!p.header.empty() && static_cast<int64_t>(p.header.size()) != p.x.d && p.x.n > 0)
        throw std::runtime_error(path + ":1: the header has " + std::to_string(p.header.size()) +
                                 " columns, the rows " + std::to_string(p.x.d));
    if (p.x.n == 0) throw std::runtime_error(path + ": no points (one numeric row per point)");
    return p;
}

struct O {
    std::string input, project, run, out, method = "auto", init = "pca";
    double perplexity = 30;
    int iterations = 1000, threads = 0;
    int64_t sample = 10000;
    uint64_t seed = 1;
    bool force = false, json = false, representation = false;
};

tsne::Options optionsFrom(const O& o, int64_t n) {
    tsne::Options t;
    t.perplexity = o.perplexity;
    // Small inputs: the neighbourhood cannot exceed the points (scikit-learn refuses instead).
    const double most = std::floor(double(n - 1) / 3.0);
    if (t.perplexity > most && most >= 1) {
        std::cerr << "perplexity " << o.perplexity << " is too large for " << n << " points; using "
                  << most << "\n";
        t.perplexity = most;
    }
    t.iterations = o.iterations;
    t.exaggerationIters = std::min(250, o.iterations);
    t.seed = o.seed;
    t.threads = o.threads;
    try {
        t.method = tsne::parseMethod(o.method);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--method: ") + e.what());
    }
    t.init = o.init == "random" ? tsne::Init::Random : tsne::Init::Pca;
    return t;
}

tsne::Result runWithProgress(const tsne::Matrix& x, const tsne::Options& t) {
    TaskContext ctx(terminalProgress());
    tsne::Result r = tsne::run(x, t, &ctx);
    endProgressLine();
    return r;
}

std::string fromCsv(const O& o, tsne::Result& r, int64_t& n) {
    const CsvPoints p = readPoints(o.input);
    n = p.x.n;
    r = runWithProgress(p.x, optionsFrom(o, p.x.n));
    std::ostringstream s;
    if (!p.header.empty()) {
        for (const auto& h : p.header) s << csvField(h) << ',';
        s << "tsne_x,tsne_y\n";
    }
    for (int64_t i = 0; i < p.x.n; ++i)
        s << p.rows[size_t(i)] << ',' << fmtNumber(r.y[size_t(2 * i)]) << ','
          << fmtNumber(r.y[size_t(2 * i + 1)]) << '\n';
    return s.str();
}

std::string fromRun(const O& o, tsne::Result& r, int64_t& n) {
    auto project = Project::openReadOnly(o.project);
    auto run = findRun(*project, o.run);
    if (!run) throw UsageError("no run named '" + o.run + "'");
    const RunScores sc = loadRunScores(*project, run->id);
    // A seeded uniform sample of the test sequences when there are more than --sample.
    std::vector<size_t> order(sc.testIds.size());
    std::iota(order.begin(), order.end(), size_t(0));
    if (o.sample > 0 && order.size() > size_t(o.sample)) {
        std::mt19937_64 rng(o.seed);
        std::shuffle(order.begin(), order.end(), rng);
        order.resize(size_t(o.sample));
        std::sort(order.begin(), order.end());
    }
    std::vector<int64_t> ids;
    for (size_t k : order) ids.push_back(sc.testIds[k]);
    const Representations rep = representationsOf(*project, o.run, ids);
    if (rep.ids.size() < 4) throw UsageError("run " + o.run + " has fewer than 4 test sequences");
    tsne::Matrix x;
    x.n = int64_t(rep.ids.size());
    x.d = int64_t(rep.vectors.front().size());
    for (const auto& v : rep.vectors) x.data.insert(x.data.end(), v.begin(), v.end());
    n = x.n;
    r = runWithProgress(x, optionsFrom(o, x.n));
    std::map<int64_t, size_t> at;
    for (size_t k = 0; k < sc.testIds.size(); ++k) at[sc.testIds[k]] = k;
    std::ostringstream s;
    s << "sequence_id,label,score,predicted,x,y";
    if (o.representation)
        for (int64_t j = 0; j < x.d; ++j) s << ",r" << j + 1;
    s << '\n';
    for (size_t i = 0; i < rep.ids.size(); ++i) {
        const size_t k = at.at(rep.ids[i]);
        const uint8_t label = sc.testLabels[k];
        const double score = sc.testScores[k];
        s << rep.ids[i] << ',' << (label > 1 ? std::string() : std::to_string(label)) << ','
          << fmtNumber(score) << ',' << (score >= sc.defaultThreshold ? 1 : 0) << ','
          << fmtNumber(r.y[2 * i]) << ',' << fmtNumber(r.y[2 * i + 1]);
        if (o.representation)
            for (float v : rep.vectors[i]) s << ',' << fmtNumber(double(v));
        s << '\n';
    }
    return s.str();
}

}  // namespace

void addTsneCommand(Cli& cli) {
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("tsne", [o]() {
        if (o->input.empty() == o->project.empty())
            throw UsageError("give --input X.csv, or --project P.mlad --run NAME");
        if (!o->project.empty() && o->run.empty()) throw UsageError("--project needs --run NAME");
        checkOutput(o->out, {o->input, o->project}, o->force);
        tsne::Result r;
        int64_t n = 0;
        const std::string text = o->input.empty() ? fromRun(*o, r, n) : fromCsv(*o, r, n);
        writeFileAtomically(o->out, text);
        if (o->json) {
            printJson(Json{{"points", n},
                           {"method", tsne::methodName(r.method)},
                           {"neighbors", r.neighbors == tsne::Neighbors::Hnsw ? "hnsw" : "exact"},
                           {"kl", r.kl},
                           {"iterations", r.iterations},
                           {"seconds", r.seconds},
                           {"out", o->out}});
            return 0;
        }
        std::printf(
            "t-SNE of %lld points (%s gradient, %s neighbours): KL %.4f after %d "
            "iterations in %.1f s; wrote %s\n",
            (long long)n, tsne::methodName(r.method).c_str(),
            r.neighbors == tsne::Neighbors::Hnsw ? "HNSW" : "exact", r.kl, r.iterations, r.seconds,
            o->out.c_str());
        return 0;
    });
    s->add_option("--input", o->input, "numeric CSV, one point per row (a header row is kept)");
    s->add_option("--project", o->project, "project file (.mlad), with --run");
    s->add_option("--run", o->run, "trained run whose test sequences to project");
    s->add_option("--sample", o->sample,
                  "at most this many test sequences, a seeded sample (0 = all)")
        ->check(intRange(0, 10000000));
    s->add_option("--out", o->out, "output CSV")->required();
    s->add_option("--perplexity", o->perplexity, "effective number of neighbours")
        ->check(realRange(1.0, 10000.0));
    s->add_option("--iterations", o->iterations, "optimisation steps (250 of them exaggerated)")
        ->check(intRange(1, 100000));
    s->add_option("--seed", o->seed, "seed (sampling, random initialisation, HNSW)")
        ->check(intRange(0, std::numeric_limits<int64_t>::max()));
    s->add_option("--method", o->method, "gradient: auto | exact | bh | fft");
    s->add_option("--init", o->init, "initial layout: pca | random")
        ->check(CLI::IsMember({"pca", "random"}));
    s->add_option("--threads", o->threads, "threads (0 = all cores)")->check(intRange(0, 1024));
    s->add_flag("--representation", o->representation,
                "with --run: also write the representation projected (r1, r2, ...; MLAD: the "
                "latent z, then the relative distance and cosine, then any extra channels)");
    s->add_flag("--force", o->force, "replace an existing --out file");
    s->add_flag("--json", o->json, "machine-readable result");
    s->footer(
        "--input: writes each input row followed by its two coordinates. --project/--run: writes\n"
        "sequence_id,label,score,predicted,x,y for the run's test sequences (predicted at the\n"
        "run's default threshold), from the detector's representation (MLAD: the latent z).\n"
        "Same seed and threads give the same layout.");
}

}  // namespace mlad::cli
