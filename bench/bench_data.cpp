// Data-layer benchmark: parse-only (single-threaded, BGL masks) and full import into SQLite on
// a file of N lines built from the shared BGL sample, with peak RSS. Run once per mode and size
// in separate processes so that peak memory is per run:
//   mlad_bench_data parse 1000000   |   mlad_bench_data import 1000000
#include <filesystem>
#include <iostream>

#include "BenchUtil.h"
#include "mlad/embed/TemplateVectors.h"
#include "mlad/import/Importer.h"
#include "mlad/io/LineReader.h"
#include "mlad/parse/Drain.h"
#include "mlad/parse/LineParser.h"
#include "mlad/seq/Sequences.h"
#include "mlad/store/Project.h"

using namespace mlad;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: mlad_bench_data parse|import|sequences|drain-worst LINES [WORKDIR]\n";
        return 1;
    }
    const std::string mode = argv[1];
    const uint64_t lines = std::stoull(argv[2]);
    const std::string work =
        argc > 3 ? argv[3] : (std::filesystem::temp_directory_path() / "mlad-bench").string();
    std::filesystem::create_directories(work);
    const std::string sample = bench::sharedDataDir() + "/bgl-20k-logparser/BGL_20k_dev.log";
    if (!std::filesystem::exists(sample)) {
        std::cerr << "shared sample missing: " << sample << " (set MLAD_SHARED_DATA)\n";
        return 2;
    }
    const std::string file = work + "/BGL_" + std::to_string(lines) + ".log";
    uint64_t bytes = std::filesystem::exists(file) ? std::filesystem::file_size(file)
                                                   : bench::buildRepeated(sample, file, lines);
    const Preset& preset = *findPreset("BGL");
    if (mode == "parse") {
        LineParser parser(preset);
        bench::Timer t;
        LineReader reader(file);
        std::string_view line;
        ParsedLine pl;
        uint64_t n = 0, parsed = 0;
        LineReader::Status st;
        while ((st = reader.next(line)) != LineReader::Status::End) {
            ++n;
            if (st == LineReader::Status::Line && parser.parse(line, pl)) ++parsed;
        }
        double s = t.seconds();
        std::printf(
            "parse-only BGL: %llu lines (%.1f MiB), %llu parsed, %zu templates, %.3f s, "
            "%.0f lines/s, %.1f MiB/s, peak RSS %.1f MiB\n",
            (unsigned long long)n, double(bytes) / 1048576.0, (unsigned long long)parsed,
            parser.drain().size(), s, double(n) / s, double(bytes) / 1048576.0 / s,
            bench::peakRssMiB());
    } else if (mode == "drain-worst") {
        // Issue 16 finding 9: LINES messages of unique words (one parse-tree leaf), through
        // Drain with its default bounds, beside the same lines without bounds (the old
        // behaviour, quadratic; capped at 30k lines) and BGL's real lines as the reference.
        auto uniqueLine = [](uint64_t i) {
            std::string line = "x1";
            for (int w = 0; w < 5; ++w) {
                line += ' ';
                uint64_t v = i * 7919u + uint64_t(w) * 104729u;
                for (int k = 0; k < 6; ++k, v /= 26) line += char('a' + v % 26);
            }
            return line;
        };
        auto run = [&](DrainOptions opt, uint64_t n, const char* what) {
            Drain drain(opt);
            bench::Timer t;
            for (uint64_t i = 0; i < n; ++i) drain.add(uniqueLine(i));
            const double s = t.seconds();
            std::printf(
                "drain %-26s %8llu lines, %6zu templates, %8llu joined nearest, %7.3f s, "
                "%9.0f lines/s\n",
                what, (unsigned long long)n, drain.size(), (unsigned long long)drain.forcedLines(),
                s, double(n) / s);
        };
        run(DrainOptions{}, lines, "default bounds:");
        DrainOptions unbounded;
        unbounded.maxTemplates = unbounded.maxLeafTemplates = size_t(1) << 40;
        run(unbounded, std::min<uint64_t>(lines, 30000), "unbounded (before):");
        LineParser parser(preset);
        LineReader reader(sample);
        std::string_view line;
        ParsedLine pl;
        uint64_t n = 0;
        bench::Timer t;
        while (reader.next(line) != LineReader::Status::End) n += parser.parse(line, pl);
        const double s = t.seconds();
        std::printf(
            "reference: real BGL lines      %8llu lines, %6zu templates, %7.3f s, %9.0f "
            "lines/s (masks + format + Drain)\n",
            (unsigned long long)n, parser.drain().size(), s, double(n) / s);
    } else if (mode == "import") {
        const std::string projectPath = work + "/bench.mlad";
        std::filesystem::remove(projectPath);
        std::filesystem::remove(projectPath + "-wal");
        std::filesystem::remove(projectPath + "-shm");
        auto project = Project::open(projectPath);
        ImportOptions opt;
        opt.preset = preset;
        bench::Timer t;
        auto r = importFiles(*project, {file}, opt);
        double s = t.seconds();
        std::printf(
            "import BGL into SQLite: %llu lines (%.1f MiB), %zu templates, %.3f s, %.0f "
            "lines/s, project %.1f MiB, peak RSS %.1f MiB\n",
            (unsigned long long)r.imported, double(bytes) / 1048576.0, r.templatesAfter, s,
            double(r.imported) / s, double(std::filesystem::file_size(projectPath)) / 1048576.0,
            bench::peakRssMiB());
    } else if (mode == "sequences") {
        // Needs the project of an earlier `import` run in the same WORKDIR.
        const std::string projectPath = work + "/bench.mlad";
        auto project = Project::open(projectPath);
        SequenceSpec spec;
        spec.size = 20;
        spec.step = 20;
        bench::Timer t;
        auto set = buildSequences(*project, "BGL", spec);
        double s = t.seconds();
        std::printf(
            "sequences (window 20): %llu sequences from %llu lines in %.3f s (%.0f "
            "lines/s)\n",
            (unsigned long long)set.count, (unsigned long long)project->lineCount(), s,
            double(project->lineCount()) / s);
        bench::Timer te;
        auto tv = embed::ensureTemplateVectors(*project, "corpus", 100);
        std::printf("corpus embedder (dim 100): %zu templates in %.3f s, peak RSS %.1f MiB\n",
                    tv.byTemplate.size(), te.seconds(), bench::peakRssMiB());
        // The shared samples themselves.
        for (const char* rel : {"loghub-2k/BGL/BGL_2k.log", "bgl-20k-logparser/BGL_20k_dev.log"}) {
            std::string f = bench::sharedDataDir() + "/" + rel;
            std::string pp = work + "/small.mlad";
            std::filesystem::remove(pp);
            auto small = Project::open(pp);
            ImportOptions o;
            o.preset = preset;
            importFiles(*small, {f}, o);
            bench::Timer ts;
            auto ss = buildSequences(*small, "BGL", spec);
            double seqSec = ts.seconds();
            bench::Timer tc;
            auto v = embed::ensureTemplateVectors(*small, "corpus", 100);
            std::printf("%s: %llu windows in %.4f s; corpus embedding of %zu templates in %.2f s\n",
                        rel, (unsigned long long)ss.count, seqSec, v.byTemplate.size(),
                        tc.seconds());
        }
    } else {
        std::cerr << "unknown mode " << mode << "\n";
        return 1;
    }
    return 0;
}
