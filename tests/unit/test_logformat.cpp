// Log formats, presets, timestamps and the line reader.
#include <gtest/gtest.h>

#include <fstream>

#include "TestData.h"
#include "mlad/io/LineReader.h"
#include "mlad/io/LogFormat.h"
#include "mlad/io/Preset.h"
#include "mlad/io/TimeParse.h"
#include "mlad/parse/Drain.h"
#include "mlad/parse/LineParser.h"
#include "mlad/parse/Masker.h"
#include "mlad/util/Strings.h"

namespace {

using namespace mlad;

std::string field(std::string_view line, const FieldSpan& s) {
    return std::string(line.substr(s.begin, s.end - s.begin));
}

TEST(LogFormat, SplitsFieldsLikeLoghub) {
    LogFormat f("<Date> <Time> <Pid> <Level> <Component>: <Content>");
    EXPECT_TRUE(f.usesFastPath());
    std::vector<FieldSpan> sp;
    std::string line =
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 "
        "for block blk_38865049064139660 terminating";
    ASSERT_TRUE(f.match(line, sp));
    ASSERT_EQ(sp.size(), 6u);
    EXPECT_EQ(field(line, sp[0]), "081109");
    EXPECT_EQ(field(line, sp[4]), "dfs.DataNode$PacketResponder");
    EXPECT_EQ(field(line, sp[5]), "PacketResponder 1 for block blk_38865049064139660 terminating");
    EXPECT_FALSE(f.match("not a log line", sp));
    // loghub's pattern with \s+ spelled out as Python's \s (RE2's \s lacks \v).
    const std::string ws = "[\\t\\n\\v\\f\\r ]+";
    EXPECT_EQ(f.regex(), "^(.*?)" + ws + "(.*?)" + ws + "(.*?)" + ws + "(.*?)" + ws +
                             "(.*?):" + ws + "(.*?)$");
}

TEST(LogFormat, OptionalGroupsGoThroughTheRegex) {
    const Preset* p = findPreset("Thunderbird");
    ASSERT_NE(p, nullptr);
    LogFormat f(p->format);
    EXPECT_FALSE(f.usesFastPath());
    std::vector<FieldSpan> sp;
    std::string a =
        "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: "
        "session closed for user root";
    ASSERT_TRUE(f.match(a, sp));
    EXPECT_EQ(field(a, sp[size_t(f.fieldIndex("Component"))]), "crond(pam_unix)");
    EXPECT_EQ(field(a, sp[size_t(f.fieldIndex("PID"))]), "2915");
    std::string b = "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 kernel: hello";
    ASSERT_TRUE(f.match(b, sp));
    EXPECT_EQ(field(b, sp[size_t(f.fieldIndex("PID"))]), "");
    EXPECT_EQ(field(b, sp[size_t(f.fieldIndex("Content"))]), "hello");
}

TEST(LogFormat, BadFormatsAreRejectedWithAMessage) {
    EXPECT_THROW(LogFormat("no fields at all"), std::invalid_argument);
    EXPECT_THROW(LogFormat("<A> <A> <Content>"), std::invalid_argument);
    EXPECT_THROW(LogFormat("<A> (<Content>"), std::invalid_argument);
}

// The hand-written matcher must agree with the regex on real lines of every loghub system.
TEST(LogFormat, FastPathAgreesWithRegexOnAllLoghubSamples) {
    MLAD_REQUIRE_SHARED(probe, "loghub-2k/BGL/BGL_2k.log");
    int checked = 0;
    for (const auto& preset : builtinPresets()) {
        std::string path =
            mlad::test::sharedFile("loghub-2k/" + preset.name + "/" + preset.name + "_2k.log");
        if (path.empty()) continue;
        LogFormat f(preset.format);
        LineReader reader(path);
        std::string_view line;
        std::vector<FieldSpan> a, b;
        while (reader.next(line) == LineReader::Status::Line) {
            std::string_view t = trim(line);
            bool ma = f.match(t, a), mb = f.matchRegex(t, b);
            ASSERT_EQ(ma, mb) << preset.name << ":" << reader.lineNumber();
            if (!ma) continue;
            for (size_t i = 0; i < a.size(); ++i)
                ASSERT_EQ(field(t, a[i]), field(t, b[i]))
                    << preset.name << ":" << reader.lineNumber() << " field " << f.fieldNames()[i];
            ++checked;
        }
    }
    EXPECT_EQ(checked, 16 * 2000);
}

TEST(Preset, AllSixteenBuiltinsParseAndRoundTrip) {
    const auto& all = builtinPresets();
    EXPECT_EQ(all.size(), 16u);
    for (const auto& p : all) {
        Preset q = parsePreset(presetToText(p), "roundtrip");
        EXPECT_EQ(q.format, p.format);
        EXPECT_EQ(q.masks, p.masks);
        EXPECT_EQ(q.depth, p.depth);
        EXPECT_DOUBLE_EQ(q.similarity, p.similarity);
        EXPECT_NO_THROW(LineParser parser(p)) << p.name;
    }
    EXPECT_EQ(findPreset("bgl")->label.kind, LabelRule::Kind::Field);
    EXPECT_EQ(findPreset("HDFS")->groupRegex, "blk_-?\\d+");
    EXPECT_EQ(findPreset("nope"), nullptr);
}

TEST(Preset, ErrorsNameTheLine) {
    try {
        parsePreset("name = X\nformat = <Content>\nbogus line\n", "my.preset");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("my.preset:3"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parsePreset("name = X\nformat = <Date> <Time>\n", "x"), std::invalid_argument);
}

TEST(TimeParse, UserTimesAreUtcAndRoundTrip) {
    // 2005-09-01T00:00:00Z = 1125532800 s.
    for (const char* t :
         {"2005-09-01", "2005-09-01T00:00", "2005-09-01T00:00:00", "2005-09-01 00:00:00",
          "2005-09-01T00:00Z", " 2005-09-01T00:00:00.000 ", "@1125532800"})
        EXPECT_EQ(parseUtcTime(t).value_or(-1), 1125532800000LL) << t;
    EXPECT_EQ(parseUtcTime("2005-06-03T15:42:50.5").value(), 1117813370500LL);
    for (const char* bad :
         {"", "yesterday", "2005-13-01", "2005-09-01T25:00", "2005-09-01x", "@", "@abc"})
        EXPECT_FALSE(parseUtcTime(bad).has_value()) << bad;
    EXPECT_EQ(formatUtcTime(1125532800000LL), "2005-09-01T00:00:00Z");
    EXPECT_EQ(formatUtcTime(1117813370500LL), "2005-06-03T15:42:50Z");
    EXPECT_EQ(formatUtcTime(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(formatUtcTime(-1000), "1969-12-31T23:59:59Z");
    EXPECT_EQ(parseUtcTime(formatUtcTime(951782400000LL)).value(), 951782400000LL);  // 2000-02-29
}

TEST(TimeParse, PresetFormats) {
    EXPECT_EQ(TimeParser("%y%m%d %H%M%S").parse("081109 203615").value(), 1226262975000LL);
    EXPECT_EQ(TimeParser("%Y-%m-%d-%H.%M.%S.%f").parse("2005-06-03-15.42.50.675872").value(),
              1117813370675LL);
    EXPECT_EQ(TimeParser("epoch").parse("1117838570").value(), 1117838570000LL);
    EXPECT_EQ(TimeParser("%a %b %d %H:%M:%S %Y").parse("Sun Dec 04 04:47:44 2005").value(),
              1133671664000LL);
    EXPECT_EQ(TimeParser("%Y-%m-%d %H:%M:%S,%f").parse("2015-10-18 18:01:47,978").value(),
              1445191307978LL);
    // No year: placed in 1970.
    EXPECT_EQ(TimeParser("%b %d %H:%M:%S").parse("Jun 14 15:16:01").value(),
              (daysFromCivil(1970, 6, 14) * 86400 + 15 * 3600 + 16 * 60 + 1) * 1000);
    EXPECT_FALSE(TimeParser("%y%m%d %H%M%S").parse("garbage"));
    EXPECT_FALSE(TimeParser("%Y-%m-%d").parse("2005-13-01"));
    EXPECT_FALSE(TimeParser("").parse("2005"));
}

TEST(TimeParse, EveryPresetReadsItsOwnSample) {
    MLAD_REQUIRE_SHARED(probe, "loghub-2k/BGL/BGL_2k.log");
    for (const auto& preset : builtinPresets()) {
        std::string path =
            mlad::test::sharedFile("loghub-2k/" + preset.name + "/" + preset.name + "_2k.log");
        if (path.empty()) continue;
        LineParser parser(preset);
        LineReader reader(path);
        std::string_view line;
        ParsedLine pl;
        int withTs = 0, lines = 0;
        while (reader.next(line) == LineReader::Status::Line) {
            if (!parser.parse(line, pl)) continue;
            ++lines;
            if (pl.ts) ++withTs;
        }
        EXPECT_EQ(withTs, lines) << preset.name << ": lines without a timestamp";
    }
}

TEST(Masker, ReplacesInOrderAndSkipsByPrefix) {
    Masker m({"blk_-?\\d+", "(\\d+\\.){3}\\d+(:\\d+)?"});
    std::string s =
        "Receiving block blk_-160899 src: /10.250.19.102:54106 dest: /10.250.19.102:50010";
    EXPECT_EQ(m.apply(s), 3);
    EXPECT_EQ(s, "Receiving block <*> src: /<*> dest: /<*>");
    std::string t = "nothing to mask";
    EXPECT_EQ(m.apply(t), 0);
    EXPECT_THROW(Masker({"(unclosed"}), std::invalid_argument);
}

TEST(Drain, MergesTemplatesAndKeepsIds) {
    Drain d(DrainOptions{4, 0.5, 100});
    int a = d.add("Receiving block <*> src: /<*> dest: /<*>");
    int b = d.add("Deleting block <*> file /mnt/a");
    int c = d.add("Deleting block <*> file /mnt/b");
    EXPECT_NE(a, b);
    EXPECT_EQ(b, c);
    EXPECT_EQ(d.templateText(b), "Deleting block <*> file <*>");
    EXPECT_EQ(d.cluster(b).count, 2u);
    auto changed = d.takeChanged();
    EXPECT_EQ(changed.size(), 2u);
    // Restoring from stored text and path continues with the same ids.
    Drain r(DrainOptions{4, 0.5, 100});
    for (size_t i = 0; i < d.size(); ++i)
        r.restore(d.templateText(int(i)), d.cluster(int(i)).path, d.cluster(int(i)).count);
    EXPECT_EQ(r.add("Deleting block <*> file /mnt/c"), b);
    EXPECT_EQ(r.add("Receiving block <*> src: /<*> dest: /<*>"), a);
}

TEST(LineReader, HandlesCrlfMissingNewlineAndLongLines) {
    mlad::test::TempDir dir;
    {
        std::ofstream o(dir.file("x.log"), std::ios::binary);
        o << "a\r\nbb\n" << std::string(3000, 'z') << "\nlast";
    }
    LineReader::Options opt;
    opt.maxLineBytes = 1000;
    opt.blockBytes = 512;
    LineReader r(dir.file("x.log"), opt);
    std::string_view l;
    ASSERT_EQ(r.next(l), LineReader::Status::Line);
    EXPECT_EQ(l, "a");
    ASSERT_EQ(r.next(l), LineReader::Status::Line);
    EXPECT_EQ(l, "bb");
    ASSERT_EQ(r.next(l), LineReader::Status::TooLong);
    EXPECT_EQ(r.lineNumber(), 3u);
    EXPECT_EQ(r.skippedLength(), 3000u);
    ASSERT_EQ(r.next(l), LineReader::Status::Line);
    EXPECT_EQ(l, "last");
    EXPECT_EQ(r.lineNumber(), 4u);
    EXPECT_EQ(r.next(l), LineReader::Status::End);
    EXPECT_THROW(LineReader(dir.file("missing.log")), InputError);
}

TEST(Strings, Utf8AndCsv) {
    EXPECT_TRUE(isValidUtf8("plain ascii"));
    EXPECT_TRUE(isValidUtf8("caf\xC3\xA9"));
    EXPECT_FALSE(isValidUtf8("caf\xC3"));
    EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));  // surrogate
    EXPECT_FALSE(isValidUtf8("\xC0\xAF"));      // overlong
    EXPECT_EQ(repairUtf8("a\xFF"
                         "b"),
              "a\xEF\xBF\xBD"
              "b");
    auto cols = parseCsvLine("1,\"a, \"\"b\"\"\",,x\r");
    ASSERT_EQ(cols.size(), 4u);
    EXPECT_EQ(cols[1], "a, \"b\"");
    EXPECT_EQ(cols[2], "");
    EXPECT_EQ(csvField("a,b"), "\"a,b\"");
    // Every character that needs quotes, alone and amid text; the round trip restores it.
    for (const std::string s : {"plain", "", "say \"hi\"", "cr\rhere", "nl\nhere", ",", "\""}) {
        const std::string f = csvField(s);
        const bool quoted = s.find_first_of(",\"\r\n") != std::string::npos;
        EXPECT_EQ(f.front() == '"' && !s.empty(), quoted) << f;
        std::string row = "x,";
        appendCsvField(row, s);
        EXPECT_EQ(row, "x," + f);
        if (s.find_first_of("\r\n") == std::string::npos) {
            const auto back = parseCsvLine(row);
            ASSERT_EQ(back.size(), 2u) << row;
            EXPECT_EQ(back[1], s);
        }
    }
    EXPECT_THROW(parseCsvLine("\"open"), std::runtime_error);
}

}  // namespace
