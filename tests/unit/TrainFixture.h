#pragma once
// A small labelled project and a tiny MLAD configuration for training tests.
#include <cstdio>
#include <fstream>

#include "TestData.h"
#include "mlad/import/Importer.h"
#include "mlad/io/Preset.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/train/TrainConfig.h"

namespace mlad::test {

// 400 BGL-like lines of three normal templates; bursts of an error template are anomalies.
inline void makeProject(Project& p, const TempDir& dir) {
    std::ofstream o(dir.file("ras.log"));
    const char* normal[] = {"instruction cache parity error corrected", "generating core.77",
                            "CE sym 4, at 0x0b85eee0, mask 0x10"};
    for (int i = 0; i < 400; ++i) {
        bool bad = (i / 20) % 7 == 5 && i % 20 >= 15;
        char t[64];
        std::snprintf(t, sizeof t, "2005-06-03-15.%02d.%02d.000000", (i / 60) % 60, i % 60);
        o << (bad ? "KERNSTOR " : "- ") << 1117813320 + i << " 2005.06.03 R02 " << t
          << " R02 RAS KERNEL " << (bad ? "FATAL data storage interrupt" : "INFO ")
          << (bad ? "" : normal[(i * 7) % 3]) << "\n";
    }
    o.close();
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    importFiles(p, {dir.file("ras.log")}, opt);
    SequenceSpec w;
    w.size = 10;
    w.step = 10;
    buildSequences(p, "BGL", w);
    SplitSpec s;
    s.name = "chrono";
    s.systems = {"BGL"};
    s.trainFraction = 0.5;
    createSplit(p, s);
}

inline TrainConfig tinyConfig() {
    TrainConfig c = TrainConfig::defaults("mlad");
    c.set("d_model", 16).set("layers", 1).set("heads", 2).set("d_ff", 32).set("d_z", 4);
    c.set("components", 2).set("epochs", 3).set("batch_size", 4).set("patience", 0);
    c.set("threads", 1).set("embed_dim", 16).set("dropout", 0.0);
    return c;
}

}  // namespace mlad::test
