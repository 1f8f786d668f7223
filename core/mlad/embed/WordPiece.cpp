#include "mlad/embed/WordPiece.h"

#include <fstream>
#include <stdexcept>

namespace mlad::embed {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8; malformed, overlong and surrogate sequences become U+FFFD (then dropped).
std::u32string decodeUtf8(const std::string& s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        int len = 0;
        char32_t cp = 0;
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07;
        } else {
            out.push_back(kReplacement);
            ++i;
            continue;
        }
        int k = 1;
        for (; k < len && i + k < s.size(); ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) break;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (k < len) {  // truncated sequence: skip what was consumed
            out.push_back(kReplacement);
            i += k;
            continue;
        }
        static const char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
        out.push_back(cp);
        i += len;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(const std::u32string& s) {
    std::string out;
    for (char32_t cp : s) appendUtf8(out, cp);
    return out;
}

bool in(char32_t c, char32_t lo, char32_t hi) {
    return c >= lo && c <= hi;
}

bool isWhitespace(char32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x1680 ||
           in(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

// Categories Cc, Cf, Co, Cs (BERT drops every "C*" character except \t \n \r).
bool isControl(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    return c < 0x20 || in(c, 0x7F, 0x9F) || c == 0xAD || in(c, 0x600, 0x605) || c == 0x61C ||
           c == 0x6DD || c == 0x70F || c == 0x180E || in(c, 0x200B, 0x200F) ||
           in(c, 0x202A, 0x202E) || in(c, 0x2060, 0x2064) || in(c, 0x2066, 0x206F) || c == 0xFEFF ||
           in(c, 0xFFF9, 0xFFFB) || in(c, 0xE000, 0xF8FF) || in(c, 0xF0000, 0x10FFFF);
}

bool isPunctuation(char32_t c) {
    if (in(c, 33, 47) || in(c, 58, 64) || in(c, 91, 96) || in(c, 123, 126)) return true;
    if (c < 0xA1) return false;
    return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB ||
           c == 0xBF || c == 0x37E || c == 0x387 || c == 0x5BE || c == 0x5C0 || c == 0x5C3 ||
           c == 0x5F3 || c == 0x5F4 || c == 0x60C || c == 0x61B || c == 0x61F ||
           in(c, 0x66A, 0x66D) || c == 0x6D4 || c == 0x964 || c == 0x965 || in(c, 0x2010, 0x2027) ||
           in(c, 0x2030, 0x2043) || in(c, 0x2045, 0x2051) || in(c, 0x2053, 0x205E) || c == 0x207D ||
           c == 0x207E || c == 0x208D || c == 0x208E || in(c, 0x2E00, 0x2E2E) ||
           in(c, 0x2E30, 0x2E4F) || in(c, 0x3001, 0x3003) || in(c, 0x3008, 0x3011) ||
           in(c, 0x3014, 0x301F) || c == 0x3030 || c == 0x303D || c == 0x30A0 || c == 0x30FB ||
           in(c, 0xFE10, 0xFE19) || in(c, 0xFE30, 0xFE52) || in(c, 0xFE54, 0xFE61) || c == 0xFE63 ||
           c == 0xFE68 || c == 0xFE6A || c == 0xFE6B || in(c, 0xFF01, 0xFF03) ||
           in(c, 0xFF05, 0xFF0A) || in(c, 0xFF0C, 0xFF0F) || c == 0xFF1A || c == 0xFF1B ||
           c == 0xFF1F || c == 0xFF20 || in(c, 0xFF3B, 0xFF3D) || c == 0xFF3F || c == 0xFF5B ||
           c == 0xFF5D || in(c, 0xFF5F, 0xFF65);
}

bool isCjk(char32_t c) {
    return in(c, 0x4E00, 0x9FFF) || in(c, 0x3400, 0x4DBF) || in(c, 0x20000, 0x2A6DF) ||
           in(c, 0x2A700, 0x2B73F) || in(c, 0x2B740, 0x2B81F) || in(c, 0x2B820, 0x2CEAF) ||
           in(c, 0xF900, 0xFAFF) || in(c, 0x2F800, 0x2FA1F);
}

// Nonspacing marks removed after decomposition.
bool isCombiningMark(char32_t c) {
    return in(c, 0x300, 0x36F) || in(c, 0x1AB0, 0x1ABD) || in(c, 0x1ABF, 0x1AFF) ||
           in(c, 0x1DC0, 0x1DFF) || in(c, 0x20D0, 0x20DC) || c == 0x20E1 || in(c, 0x20E5, 0x20F0) ||
           in(c, 0x302A, 0x302D) || in(c, 0xFE00, 0xFE0F) || in(c, 0xFE20, 0xFE2F) ||
           in(c, 0x591, 0x5BD) || c == 0x5BF || c == 0x5C1 || c == 0x5C2 || c == 0x5C4 ||
           c == 0x5C5 || c == 0x5C7 || in(c, 0x610, 0x61A) || in(c, 0x64B, 0x65F) || c == 0x670 ||
           in(c, 0x6D6, 0x6DC) || in(c, 0x6DF, 0x6E4) || c == 0x6E7 || c == 0x6E8 ||
           in(c, 0x6EA, 0x6ED);
}

// Python's str.lower() for the covered ranges; appends the result (İ lowers to two chars).
void appendLower(std::u32string& out, char32_t c) {
    if (in(c, 'A', 'Z') || (in(c, 0xC0, 0xDE) && c != 0xD7)) {
        out.push_back(c + 32);
    } else if (c == 0x130) {
        out.push_back('i');
        out.push_back(0x307);
    } else if ((in(c, 0x100, 0x12F) || in(c, 0x132, 0x137) || in(c, 0x14A, 0x177)) && c % 2 == 0) {
        out.push_back(c + 1);
    } else if ((in(c, 0x139, 0x148) || in(c, 0x179, 0x17E)) && c % 2 == 1) {
        out.push_back(c + 1);
    } else if (c == 0x178) {
        out.push_back(0xFF);
    } else if (c == 0x386) {
        out.push_back(0x3AC);
    } else if (in(c, 0x388, 0x38A)) {
        out.push_back(c + 37);
    } else if (c == 0x38C) {
        out.push_back(0x3CC);
    } else if (in(c, 0x38E, 0x38F)) {
        out.push_back(c + 63);
    } else if (in(c, 0x391, 0x3A1) || in(c, 0x3A3, 0x3AB)) {
        out.push_back(c + 32);
    } else if (in(c, 0x400, 0x40F)) {
        out.push_back(c + 80);
    } else if (in(c, 0x410, 0x42F) || in(c, 0xFF21, 0xFF3A)) {
        out.push_back(c + 32);
    } else {
        out.push_back(c);
    }
}

// Base letter of a lower-case precomposed letter (its NFD without combining marks), or 0.
char32_t accentBase(char32_t c) {
    if (c >= 0xE0 && c <= 0xFF) {
        static const char kLatin1[] = "aaaaaa\0ceeeeiiii\0nooooo\0\0uuuuy\0y";
        const char b = kLatin1[c - 0xE0];
        return static_cast<unsigned char>(b);
    }
    if (c >= 0x100 && c <= 0x17F) {
        // Index c - 0x100; '\0' where the letter has no canonical decomposition (đ, ħ, ı, ł, ...)
        // or is upper case (lower-casing ran first).
        static const char kExtA[] =
            "\0a\0a\0a\0c\0c\0c\0c\0d\0\0\0e\0e\0e\0e\0e\0g\0g\0g\0g\0h\0\0\0i\0i\0i\0i\0\0\0"
            "\0\0j\0k\0\0l\0l\0l\0\0\0\0\0n\0n\0n\0\0\0\0o\0o\0o\0\0\0r\0r\0r\0s\0s\0s\0s\0t\0"
            "t\0\0\0u\0u\0u\0u\0u\0u\0w\0y\0\0z\0z\0z\0";
        static_assert(sizeof kExtA >= 0x80, "table covers U+0100..U+017F");
        return static_cast<unsigned char>(kExtA[c - 0x100]);
    }
    switch (c) {
        case 0x3AC:
            return 0x3B1;
        case 0x3AD:
            return 0x3B5;
        case 0x3AE:
            return 0x3B7;
        case 0x3AF:
        case 0x3CA:
        case 0x390:
            return 0x3B9;
        case 0x3CC:
            return 0x3BF;
        case 0x3CD:
        case 0x3CB:
        case 0x3B0:
            return 0x3C5;
        case 0x3CE:
            return 0x3C9;
        case 0x450:
        case 0x451:
            return 0x435;
        case 0x453:
            return 0x433;
        case 0x457:
            return 0x456;
        case 0x45C:
            return 0x43A;
        case 0x439:
        case 0x45D:
            return 0x438;
        case 0x45E:
            return 0x443;
        default:
            return 0;
    }
}

// NFD + drop nonspacing marks, for the covered letters; Hangul syllables decompose into jamo.
std::u32string stripAccents(const std::u32string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s) {
        if (isCombiningMark(c)) continue;
        if (in(c, 0xAC00, 0xD7A3)) {
            const char32_t idx = c - 0xAC00;
            out.push_back(0x1100 + idx / 588);
            out.push_back(0x1161 + (idx % 588) / 28);
            if (idx % 28 != 0) out.push_back(0x11A7 + idx % 28);
            continue;
        }
        const char32_t base = accentBase(c);
        out.push_back(base != 0 ? base : c);
    }
    return out;
}

}  // namespace

WordPieceTokenizer WordPieceTokenizer::fromTokens(const std::vector<std::string>& tokens,
                                                  bool lowerCase) {
    WordPieceTokenizer t;
    t.lowerCase_ = lowerCase;
    t.vocabSize_ = tokens.size();
    for (size_t i = 0; i < tokens.size(); ++i)
        t.vocab_[tokens[i]] = static_cast<int64_t>(i);  // later duplicates win, as in BERT
    auto id = [&](const char* tok) {
        auto it = t.vocab_.find(tok);
        return it == t.vocab_.end() ? int64_t(-1) : it->second;
    };
    t.unk_ = id("[UNK]");
    t.cls_ = id("[CLS]");
    t.sep_ = id("[SEP]");
    t.pad_ = id("[PAD]") >= 0 ? id("[PAD]") : 0;
    if (t.unk_ < 0) throw std::runtime_error("WordPiece vocabulary has no [UNK] token");
    return t;
}

WordPieceTokenizer WordPieceTokenizer::fromVocabFile(const std::string& path, bool lowerCase) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open vocabulary file");
    std::vector<std::string> tokens;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        tokens.push_back(std::move(line));
    }
    if (in.bad()) throw std::runtime_error(path + ": read error");
    try {
        return fromTokens(tokens, lowerCase);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

std::vector<std::string> WordPieceTokenizer::basicTokenize(const std::string& text) const {
    // Clean, isolate CJK ideographs, split on whitespace.
    std::vector<std::u32string> words;
    std::u32string cur;
    auto flush = [&] {
        if (!cur.empty()) words.push_back(std::move(cur));
        cur.clear();
    };
    for (char32_t c : decodeUtf8(text)) {
        if (c == 0 || c == kReplacement || isControl(c)) continue;
        if (isWhitespace(c)) {
            flush();
        } else if (isCjk(c)) {
            flush();
            cur.push_back(c);
            flush();
        } else {
            cur.push_back(c);
        }
    }
    flush();

    std::vector<std::string> out;
    for (const std::u32string& w : words) {
        std::u32string token;
        if (lowerCase_) {
            for (char32_t c : w) appendLower(token, c);
            token = stripAccents(token);
        } else {
            token = w;
        }
        // Punctuation characters become tokens of their own.
        std::u32string piece;
        for (char32_t c : token) {
            if (isPunctuation(c)) {
                if (!piece.empty()) out.push_back(encodeUtf8(piece));
                piece.clear();
                out.push_back(encodeUtf8(std::u32string(1, c)));
            } else {
                piece.push_back(c);
            }
        }
        if (!piece.empty()) out.push_back(encodeUtf8(piece));
    }
    return out;
}

void WordPieceTokenizer::wordPiece(const std::string& word, std::vector<std::string>& out) const {
    std::vector<size_t> starts;  // byte offset of each character, plus the end
    for (size_t i = 0; i < word.size(); ++i)
        if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) starts.push_back(i);
    const size_t nchars = starts.size();
    starts.push_back(word.size());
    if (nchars > static_cast<size_t>(kMaxCharsPerWord)) {
        out.emplace_back("[UNK]");
        return;
    }
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start < nchars) {
        size_t end = nchars;
        std::string match;
        for (; end > start; --end) {
            std::string sub = word.substr(starts[start], starts[end] - starts[start]);
            if (start > 0) sub = "##" + sub;
            if (vocab_.count(sub)) {
                match = std::move(sub);
                break;
            }
        }
        if (end == start) {  // no prefix matched: the whole word is unknown
            out.emplace_back("[UNK]");
            return;
        }
        pieces.push_back(std::move(match));
        start = end;
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
}

std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& text) const {
    std::vector<std::string> out;
    for (const std::string& w : basicTokenize(text)) wordPiece(w, out);
    return out;
}

int64_t WordPieceTokenizer::tokenId(const std::string& token) const {
    auto it = vocab_.find(token);
    return it == vocab_.end() ? unk_ : it->second;
}

std::vector<int64_t> WordPieceTokenizer::encode(const std::string& text, int maxLen) const {
    if (maxLen < 2) throw std::invalid_argument("WordPiece encode: maxLen must be >= 2");
    if (cls_ < 0 || sep_ < 0)
        throw std::runtime_error("WordPiece vocabulary lacks [CLS] or [SEP]; cannot encode");
    const std::vector<std::string> tokens = tokenize(text);
    const size_t keep = std::min(tokens.size(), static_cast<size_t>(maxLen) - 2);
    std::vector<int64_t> ids;
    ids.reserve(keep + 2);
    ids.push_back(cls_);
    for (size_t i = 0; i < keep; ++i) ids.push_back(tokenId(tokens[i]));
    ids.push_back(sep_);
    return ids;
}

}  // namespace mlad::embed
