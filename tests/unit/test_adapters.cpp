// The seq/ data adapters: templates matched by text across systems, the unknown key for
// templates never seen in training, next-event windows and count vectors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "TestData.h"
#include "mlad/import/Importer.h"
#include "mlad/io/Preset.h"
#include "mlad/seq/Adapters.h"
#include "mlad/seq/Sequences.h"
#include "mlad/store/Project.h"

namespace {

using namespace mlad;
using mlad::test::TempDir;
using seq::TemplateKeys;

// A BGL log whose lines carry these messages in turn.
void writeLog(const std::string& path, const std::vector<std::string>& messages, int lines) {
    std::ofstream o(path);
    for (int i = 0; i < lines; ++i)
        o << "- " << 1117813320 + i << " 2005.06.03 R02 2005-06-03-15.00.00.000000 R02 RAS "
          << "KERNEL INFO " << messages[size_t(i) % messages.size()] << "\n";
}

std::vector<int64_t> idsOf(Project& p, const SequenceSetInfo& set) {
    std::vector<int64_t> ids;
    for (const auto& s : sequencesOfSet(p, set.id)) ids.push_back(s.id);
    return ids;
}

TEST(Adapters, TemplatesAreMatchedByTextAcrossSystemsAndUnseenOnesAreUnknown) {
    TempDir dir;
    auto p = Project::open(dir.file("p.mlad"));
    // System B sees a template of its own first, so the shared texts get other ids there.
    writeLog(dir.file("a.log"), {"generating core.1", "instruction cache parity error corrected"},
             40);
    writeLog(dir.file("b.log"),
             {"ciod: failed to read message prefix on control stream", "generating core.2",
              "instruction cache parity error corrected"},
             60);
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    opt.system = "A";
    importFiles(*p, {dir.file("a.log")}, opt);
    opt.system = "B";
    importFiles(*p, {dir.file("b.log")}, opt);
    SequenceSpec w;
    w.size = 6;
    w.step = 6;
    const auto setA = buildSequences(*p, "A", w);
    const auto setB = buildSequences(*p, "B", w);

    const auto a = seq::loadEventSequences(*p, idsOf(*p, setA));
    const auto b = seq::loadEventSequences(*p, idsOf(*p, setB));
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    ASSERT_EQ(a.events[0].size(), 6u);
    // The per-system template ids differ for the shared texts...
    EXPECT_NE(a.events[0][0], b.events[0][1]);

    const TemplateKeys keys = TemplateKeys::fromTraining(*p, a);
    EXPECT_EQ(keys.size(), TemplateKeys::kFirst + 2);  // two texts + padding + unknown
    const auto ka = keys.encode(*p, a);
    const auto kb = keys.encode(*p, b);
    ASSERT_EQ(kb.size(), b.size());
    // ...but the keys agree by text: B's "generating core <*>" is A's.
    EXPECT_EQ(kb[0][1], ka[0][0]);
    EXPECT_EQ(kb[0][2], ka[0][1]);
    // B's own template was never seen in training: the unknown key.
    EXPECT_EQ(kb[0][0], TemplateKeys::kUnknown);
    for (const auto& row : ka)
        for (int32_t k : row) EXPECT_GE(k, TemplateKeys::kFirst);

    // A saved vocabulary rebuilds the same keys.
    const TemplateKeys again = TemplateKeys::fromTexts(keys.texts());
    EXPECT_EQ(again.encode(*p, b), kb);
    EXPECT_THROW(TemplateKeys::fromTexts({"x", "x"}), std::invalid_argument);
}

TEST(Adapters, NextEventWindowsPadOnTheLeftAndTargetTheNextKey) {
    const std::vector<std::vector<int32_t>> keys = {{2, 3, 4, 5}, {6}, {7, 1}};
    const auto w = seq::nextEventWindows(keys, 2);
    ASSERT_EQ(w.windows(), 4u);  // 3 from the first, none from the second, 1 from the third
    EXPECT_EQ(w.targets, (std::vector<int32_t>{3, 4, 5, 1}));
    EXPECT_EQ(w.inputs, (std::vector<int32_t>{0, 2, 2, 3, 3, 4, 0, 7}));
    EXPECT_EQ(w.sequenceIndex, (std::vector<int64_t>{0, 0, 0, 2}));
    EXPECT_THROW(seq::nextEventWindows(keys, 0), std::invalid_argument);
}

TEST(Adapters, CountVectorsCountUnknownTemplatesInTheirOwnColumn) {
    const std::vector<std::vector<int32_t>> keys = {{2, 2, 3, 1}, {}, {4}};
    const auto c = seq::countVectors(keys, 5);
    EXPECT_EQ(c.rows, 3);
    EXPECT_EQ(c.cols, 4);  // unknown + keys 2, 3, 4
    EXPECT_EQ(c.at(0, 0), 1.0f);
    EXPECT_EQ(c.at(0, 1), 2.0f);
    EXPECT_EQ(c.at(0, 2), 1.0f);
    EXPECT_EQ(c.at(1, 1), 0.0f);
    EXPECT_EQ(c.at(2, 3), 1.0f);
    EXPECT_THROW(seq::countVectors({{9}}, 5), std::out_of_range);
}

}  // namespace
