#include "mlad/embed/WordPiece.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using mlad::embed::WordPieceTokenizer;
using Tokens = std::vector<std::string>;

namespace {

// A small BERT-style vocabulary (line number = id), written to a real file like vocab.txt.
const Tokens kVocab = {"[PAD]", "[UNK]",  "[CLS]", "[SEP]", "un",    "##aff", "##able",
                       "want",  "##want", "##ed",  "wa",    "runn",  "##ing", ",",
                       "!",     "'",      "hello", "world", "naive", "cafe",  "a",
                       "##a",   "don",    "t",     "中",    "文"};

class WordPieceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("mlad_wordpiece_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        path_ = (dir_ / "vocab.txt").string();
        std::ofstream out(path_, std::ios::binary);
        for (const auto& t : kVocab) out << t << "\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    std::string path_;
};

int64_t idOf(const std::string& token) {
    for (size_t i = 0; i < kVocab.size(); ++i)
        if (kVocab[i] == token) return static_cast<int64_t>(i);
    return -1;
}

}  // namespace

TEST_F(WordPieceTest, GreedyLongestMatchWithContinuations) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    EXPECT_EQ(tok.tokenize("unaffable"), (Tokens{"un", "##aff", "##able"}));
    EXPECT_EQ(tok.tokenize("unwanted running"), (Tokens{"un", "##want", "##ed", "runn", "##ing"}));
    // Longest match first: "want" wins over "wa" + ...
    EXPECT_EQ(tok.tokenize("wanted"), (Tokens{"want", "##ed"}));
    EXPECT_EQ(tok.vocabSize(), kVocab.size());
    EXPECT_EQ(tok.tokenId("##aff"), idOf("##aff"));
    EXPECT_EQ(tok.tokenId("nonexistent"), idOf("[UNK]"));
}

TEST_F(WordPieceTest, UnmatchableWordBecomesUnk) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    // A word is all-or-nothing: one unmatched piece turns the whole word into [UNK].
    EXPECT_EQ(tok.tokenize("unwantedX running"), (Tokens{"[UNK]", "runn", "##ing"}));
    EXPECT_EQ(tok.tokenize("zebra"), (Tokens{"[UNK]"}));
}

TEST_F(WordPieceTest, WordsLongerThan100CharsAreUnk) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    const Tokens hundred = tok.tokenize(std::string(100, 'a'));
    ASSERT_EQ(hundred.size(), 100u);
    EXPECT_EQ(hundred.front(), "a");
    EXPECT_EQ(hundred.back(), "##a");
    EXPECT_EQ(tok.tokenize(std::string(101, 'a')), (Tokens{"[UNK]"}));
    EXPECT_EQ(tok.tokenize(std::string(101, 'a') + " hello"), (Tokens{"[UNK]", "hello"}));
}

TEST_F(WordPieceTest, PunctuationIsSplitOff) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    EXPECT_EQ(tok.tokenize("hello,world!"), (Tokens{"hello", ",", "world", "!"}));
    EXPECT_EQ(tok.tokenize("don't"), (Tokens{"don", "'", "t"}));
    // Every non-alphanumeric ASCII character counts as punctuation, as in BERT.
    EXPECT_EQ(tok.basicTokenize("a$b^c`d"), (Tokens{"a", "$", "b", "^", "c", "`", "d"}));
    // Unicode punctuation (en dash, ideographic full stop).
    EXPECT_EQ(tok.basicTokenize("a\u2013b\u3002"), (Tokens{"a", "\u2013", "b", "\u3002"}));
}

TEST_F(WordPieceTest, LowerCasesAndStripsAccents) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    EXPECT_EQ(tok.tokenize("HeLLo WORLD"), (Tokens{"hello", "world"}));
    EXPECT_EQ(tok.tokenize("Naïve CAFÉ"), (Tokens{"naive", "cafe"}));
    // Decomposed input (e + combining acute) gives the same result.
    EXPECT_EQ(tok.tokenize("cafe\u0301"), (Tokens{"cafe"}));
    EXPECT_EQ(tok.basicTokenize("Ångström Łódź ß"), (Tokens{"angstrom", "łodz", "ß"}));
    EXPECT_EQ(tok.basicTokenize("ÉCOLE Ёлка Άλφα"), (Tokens{"ecole", "елка", "αλφα"}));
    // Without lower-casing, neither case nor accents change.
    const auto cased = WordPieceTokenizer::fromVocabFile(path_, /*lowerCase=*/false);
    EXPECT_EQ(cased.basicTokenize("Naïve CAFÉ"), (Tokens{"Naïve", "CAFÉ"}));
}

TEST_F(WordPieceTest, CleansWhitespaceControlsAndIsolatesCjk) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    EXPECT_EQ(tok.basicTokenize(" hello\x01\t world\u00A0x\r\n"), (Tokens{"hello", "world", "x"}));
    EXPECT_EQ(tok.basicTokenize("ab\u200Bcd"), (Tokens{"abcd"}));  // zero-width space dropped
    EXPECT_EQ(tok.basicTokenize("ab\xFF"
                                "cd"),
              (Tokens{"abcd"}));  // invalid UTF-8 dropped
    EXPECT_EQ(tok.tokenize("hello中文world"), (Tokens{"hello", "中", "文", "world"}));
    EXPECT_TRUE(tok.tokenize("").empty());
    EXPECT_TRUE(tok.tokenize(" \t\n").empty());
}

TEST_F(WordPieceTest, EncodeAddsClsSepAndTruncates) {
    const auto tok = WordPieceTokenizer::fromVocabFile(path_);
    const std::vector<int64_t> full = tok.encode("unaffable hello", 128);
    EXPECT_EQ(full, (std::vector<int64_t>{idOf("[CLS]"), idOf("un"), idOf("##aff"), idOf("##able"),
                                          idOf("hello"), idOf("[SEP]")}));
    const std::vector<int64_t> cut = tok.encode("unaffable hello", 4);
    EXPECT_EQ(cut, (std::vector<int64_t>{idOf("[CLS]"), idOf("un"), idOf("##aff"), idOf("[SEP]")}));
    EXPECT_EQ(tok.encode("unaffable", 2), (std::vector<int64_t>{idOf("[CLS]"), idOf("[SEP]")}));
    EXPECT_EQ(tok.encode("zebra", 8),
              (std::vector<int64_t>{idOf("[CLS]"), idOf("[UNK]"), idOf("[SEP]")}));
    EXPECT_THROW(tok.encode("hello", 1), std::invalid_argument);
    EXPECT_EQ(tok.padId(), idOf("[PAD]"));
}

TEST_F(WordPieceTest, BadVocabularyFilesAreReported) {
    try {
        WordPieceTokenizer::fromVocabFile((dir_ / "missing.txt").string());
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos) << e.what();
    }
    const std::string noUnk = (dir_ / "nounk.txt").string();
    std::ofstream(noUnk) << "[CLS]\n[SEP]\nhello\n";
    try {
        WordPieceTokenizer::fromVocabFile(noUnk);
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("nounk.txt"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[UNK]"), std::string::npos) << e.what();
    }
    // CRLF vocabularies work too.
    const std::string crlf = (dir_ / "crlf.txt").string();
    std::ofstream(crlf, std::ios::binary) << "[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n";
    EXPECT_EQ(WordPieceTokenizer::fromVocabFile(crlf).tokenize("Hello"), (Tokens{"hello"}));
}
