// Detector benchmark: training and scoring throughput (sequences/s) of every built-in detector
// on the same data: the 7,406 pre-parsed HDFS block sessions of the shared deep-loglizer sample,
// chronological split (about 3,800 training and 3,000 test sessions). Torch detectors train
// for `EPOCHS` epochs (default 2) with their default sizes; training throughput counts
// sequences x epochs per second of the whole run (data loading, fitting, scoring of the
// validation and test parts included). Scoring throughput: the test part scored again with
// the saved model. Each figure is the median of `ROUNDS` rounds (default 3). Speeds are also
// given as a ratio to the "new-templates" rule measured in the same round, a reference for
// the data path that the machine's load affects alike.
// Usage: mlad_bench_detectors [EPOCHS] [ROUNDS] [THREADS]
//
// mlad_bench_detectors stream [ROUNDS]: the cost of streaming (issue 17). For each torch
// detector, one epoch of training steps (prepare, batches, steps; one thread) on the same
// training part, read whole (TrainData's loaded sequences, as before streaming) and read from
// the project per batch (its streams, what the run manager gives detectors now), alternating
// in every round; prints the median seconds of each and their ratio.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "BenchUtil.h"
#include "mlad/detect/Registry.h"
#include "mlad/import/Sessions.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Splits.h"
#include "mlad/train/Runtime.h"
#include "mlad/train/TorchTrainable.h"
#include "mlad/train/Trainer.h"

using namespace mlad;  // NOLINT

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Seconds of one epoch of training steps from `data` (prepare included).
static double epochSeconds(Project& p, const std::string& id, const TrainData& data) {
    bench::Timer t;
    TrainConfig c = TrainConfig::defaults(id);
    auto d = createDetector(c);
    d->prepare(data, nullptr);
    TorchTrainable* tr = d->trainable();
    torch::manual_seed(1);
    tr->build(torch::kCPU);
    tr->module().train();
    torch::optim::Adam opt(tr->module().parameters());
    for (const auto& rows : tr->epochBatches(c.integer("batch_size"))) {
        opt.zero_grad();
        tr->trainStep(rows).front().second.backward();
        opt.step();
    }
    (void)p;
    return t.seconds();
}

static int streamBench(Project& p, const SplitInfo& split, int rounds) {
    configureTorchThreads(1);
    TrainData loaded, streamed;
    loaded.project = streamed.project = &p;
    streamed.trainStream =
        std::make_shared<seq::SequenceStream>(p, splitPart(p, split.id, "train"));
    streamed.valStream = std::make_shared<seq::SequenceStream>(p, splitPart(p, split.id, "val"));
    std::cout << "one training epoch, read whole vs streamed (median of " << rounds
              << " rounds, alternating)\ndetector      whole s   streamed s   ratio\n";
    for (const char* id : {"mlad", "dagmm", "logbert", "deeplog"}) {
        std::vector<double> whole, stream, ratio;
        for (int r = 0; r < rounds; ++r) {
            // The whole read counts too: it is what streaming replaces.
            bench::Timer t;
            loaded.train = seq::loadEventSequences(p, splitPart(p, split.id, "train"));
            loaded.val = seq::loadEventSequences(p, splitPart(p, split.id, "val"));
            const double load = t.seconds();
            whole.push_back(load + epochSeconds(p, id, loaded));
            stream.push_back(epochSeconds(p, id, streamed));
            ratio.push_back(stream.back() / whole.back());
        }
        char line[120];
        std::snprintf(line, sizeof line, "%-12s %8.2f %12.2f %7.3f\n", id, median(whole),
                      median(stream), median(ratio));
        std::cout << line;
    }
    return 0;
}

int main(int argc, char** argv) {
    const bool stream = argc > 1 && std::string(argv[1]) == "stream";
    if (stream) --argc, ++argv;
    const int epochs = stream ? 1 : argc > 1 ? std::stoi(argv[1]) : 2;
    const int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
    const int threads = argc > 3 ? std::stoi(argv[3]) : 0;  // 0 = the product's auto setting
    const std::string data = bench::sharedDataDir();
    const std::string sessions = data + "/hdfs-v1-100k-sessions-deeploglizer/sessions.csv";
    const std::string templates = data + "/loghub-2k/HDFS/HDFS_templates.csv";
    if (!std::filesystem::exists(sessions) || !std::filesystem::exists(templates)) {
        std::cerr << "skipped: " << sessions << " or " << templates
                  << " is missing (set MLAD_SHARED_DATA)\n";
        return 0;
    }
    const auto dir = std::filesystem::temp_directory_path() /
                     ("mlad-bench-detectors-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "bench.mlad").string();
    {
        auto p = Project::open(path);
        PreparsedSpec spec;
        spec.system = "HDFS";
        spec.templatesCsv = templates;
        spec.csvFile = sessions;
        importPreparsedSessions(*p, spec);
        SplitSpec s;
        s.name = "chrono";
        s.systems = {"HDFS"};
        createSplit(*p, s);
    }
    auto p = Project::open(path);
    const auto split = *findSplit(*p, "chrono");
    if (stream) {
        const int code = streamBench(*p, split, argc > 1 ? std::stoi(argv[1]) : 3);
        std::filesystem::remove_all(dir);
        return code;
    }
    const auto test = splitPart(*p, split.id, "test");
    std::cout << "HDFS sessions, chronological split: train " << split.train.total << ", val "
              << split.val.total << ", test " << split.test.total << "; torch detectors " << epochs
              << " epochs; median of " << rounds << " rounds\n";
    std::map<std::string, std::vector<double>> trainRate, scoreRate, trainRatio, scoreRatio;
    std::vector<std::string> ids;
    for (const auto* d : detectorInfos())
        if (d->id != "mlad-paper") ids.push_back(d->id);
    // The reference first in every round.
    std::rotate(ids.begin(), std::find(ids.begin(), ids.end(), "new-templates"),
                std::find(ids.begin(), ids.end(), "new-templates") + 1);
    for (int r = 0; r < rounds; ++r) {
        double refTrain = 0, refScore = 0;
        for (const auto& id : ids) {
            TrainConfig c = TrainConfig::defaults(id);
            if (c.has("epochs")) c.set("epochs", epochs).set("patience", 0);
            if (c.has("threads")) c.set("threads", threads);
            const std::string run = id + "-" + std::to_string(r);
            const RunInfo info = trainRun(*p, "chrono", run, c);
            const int e = c.has("epochs") ? epochs : 1;
            const double tr = double(split.train.total) * e / info.trainSeconds;
            bench::Timer t;
            scoreSequences(*p, run, test, std::nullopt);
            const double sr = double(test.size()) / t.seconds();
            if (id == "new-templates") refTrain = tr, refScore = sr;
            trainRate[id].push_back(tr);
            scoreRate[id].push_back(sr);
            trainRatio[id].push_back(tr / refTrain);
            scoreRatio[id].push_back(sr / refScore);
        }
    }
    std::cout << "detector             train seq/s   (x rule)   score seq/s   (x rule)\n";
    for (const auto& id : ids) {
        char line[160];
        std::snprintf(line, sizeof line, "%-20s %11.0f %10.4f %13.0f %10.4f\n", id.c_str(),
                      median(trainRate[id]), median(trainRatio[id]), median(scoreRate[id]),
                      median(scoreRatio[id]));
        std::cout << line;
    }
    std::cout << "peak RSS " << bench::peakRssMiB() << " MiB\n";
    std::filesystem::remove_all(dir);
    return 0;
}
