#pragma once
// BERT tokenisation in C++ (BasicTokenizer + WordPiece), so that an exported sentence encoder
// runs without Python. Input is UTF-8; invalid bytes are treated as U+FFFD and dropped.
//
// Unicode coverage (no ICU; checked code point by code point against HuggingFace's Python
// BasicTokenizer for U+0000-07FF and the blocks named here):
//  - whitespace: ASCII whitespace, category Zs, U+2028/2029;
//  - removed: C0/C1 controls, common format characters (soft hyphen, zero-width and bidi
//    marks, BOM), private use; unassigned code points are kept (Python drops them);
//  - lower-casing: ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic, fullwidth Latin;
//  - accent stripping (NFD + drop nonspacing marks, done when lower-casing as in BERT): the
//    precomposed letters of Latin-1, Latin Extended-A, Greek tonos/dialytika, common Cyrillic
//    (ё, й, ї, ў, ...), Hangul syllables (-> jamo), and the nonspacing marks of the combining
//    blocks, Hebrew and Arabic; Latin Extended-B/Additional, Vietnamese horn letters, kana
//    voicing marks and CJK compatibility ideographs are left as they are;
//  - punctuation: all non-alphanumeric printable ASCII (as BERT) plus the P* characters of
//    Latin-1, Greek, Hebrew, Arabic, Devanagari danda, General/Supplemental Punctuation, CJK
//    Symbols, small and fullwidth forms;
//  - CJK ideographs (BERT's ranges) become separate tokens.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlad::embed {

class WordPieceTokenizer {
  public:
    /// One token per line (line number - 1 = id), like BERT's vocab.txt. Requires [UNK]; [CLS],
    /// [SEP] are required by encode(), [PAD] defaults to id 0 when absent.
    /// Throws std::runtime_error naming the file when it cannot be read or lacks [UNK].
    static WordPieceTokenizer fromVocabFile(const std::string& path, bool lowerCase = true);
    static WordPieceTokenizer fromTokens(const std::vector<std::string>& tokens,
                                         bool lowerCase = true);

    /// Basic tokenisation then WordPiece (greedy longest match, "##" continuations); a word
    /// longer than 100 characters or with no full match becomes "[UNK]".
    std::vector<std::string> tokenize(const std::string& text) const;
    /// [CLS] + token ids + [SEP], with the tokens truncated so that the result has at most
    /// maxLen ids (maxLen >= 2, else std::invalid_argument).
    std::vector<int64_t> encode(const std::string& text, int maxLen) const;

    /// Basic tokenisation only (clean, lower-case, strip accents, split punctuation and CJK).
    std::vector<std::string> basicTokenize(const std::string& text) const;

    /// Id of a token, or the [UNK] id when absent.
    int64_t tokenId(const std::string& token) const;
    int64_t padId() const { return pad_; }
    int64_t clsId() const { return cls_; }
    int64_t sepId() const { return sep_; }
    int64_t unkId() const { return unk_; }
    size_t vocabSize() const { return vocabSize_; }

    static constexpr int kMaxCharsPerWord = 100;

  private:
    WordPieceTokenizer() = default;
    void wordPiece(const std::string& word, std::vector<std::string>& out) const;

    std::unordered_map<std::string, int64_t> vocab_;
    size_t vocabSize_ = 0;
    bool lowerCase_ = true;
    int64_t unk_ = -1, cls_ = -1, sep_ = -1, pad_ = 0;
};

}  // namespace mlad::embed
