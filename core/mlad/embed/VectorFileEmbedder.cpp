#include "mlad/embed/VectorFileEmbedder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mlad/io/Csv.h"

namespace mlad::embed {

namespace {

constexpr uint32_t kFormat = 1;

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open file");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw std::runtime_error(path + ": read error");
    return ss.str();
}

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n\f\v";
    const size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Locale-independent number parsing (Qt sets LC_NUMERIC from the environment, which would make
// strtod expect a decimal comma in some locales).
bool parseNumber(const std::string& field, double& out) {
    std::string t = trim(field);
    const char* b = t.data();
    const char* e = b + t.size();
    if (b != e && *b == '+') ++b;
    if (b == e) return false;
    auto [p, ec] = std::from_chars(b, e, out);
    return ec == std::errc() && p == e;
}

// Minimal .npy header dictionary access: "{'descr': '<f4', 'fortran_order': False, ...}".
std::string npyValue(const std::string& header, const std::string& key, const std::string& path) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
        throw std::runtime_error(path + ": .npy header lacks '" + key + "'");
    size_t p = header.find(':', k);
    if (p == std::string::npos) throw std::runtime_error(path + ": malformed .npy header");
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    size_t e = p;
    if (p < header.size() && header[p] == '(') {
        e = header.find(')', p);
        if (e == std::string::npos) throw std::runtime_error(path + ": malformed .npy shape");
        return header.substr(p, e - p + 1);
    }
    if (p < header.size() && header[p] == '\'') {
        e = header.find('\'', p + 1);
        if (e == std::string::npos) throw std::runtime_error(path + ": malformed .npy header");
        return header.substr(p + 1, e - p - 1);
    }
    while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
    return trim(header.substr(p, e - p));
}

std::vector<uint64_t> parseShape(const std::string& shape, const std::string& path) {
    std::vector<uint64_t> dims;
    std::string inner = shape.substr(1, shape.size() - 2);  // drop ( )
    std::stringstream ss(inner);
    std::string part;
    while (std::getline(ss, part, ',')) {
        part = trim(part);
        if (part.empty()) continue;
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (ec != std::errc() || p != part.data() + part.size())
            throw std::runtime_error(path + ": malformed .npy shape " + shape);
        dims.push_back(v);
    }
    return dims;
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string defaultIndexPath(const std::string& npyPath) {
    return (endsWith(npyPath, ".npy") ? npyPath.substr(0, npyPath.size() - 4) : npyPath) + ".txt";
}

// pandas writes integer column names (",0,1,2,..." or "template,0,1,...") as a header.
bool looksLikeIndexHeader(const std::vector<std::string>& fields) {
    std::string first = trim(fields[0]);
    for (char& c : first) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!first.empty() && first != "template") return false;
    for (int base = 0; base <= 1; ++base) {
        bool seq = true;
        for (size_t i = 1; i < fields.size() && seq; ++i)
            seq = trim(fields[i]) == std::to_string(i - 1 + base);
        if (seq) return true;
    }
    return false;
}

bool hostLittleEndian() {
    const uint16_t one = 1;
    unsigned char b;
    std::memcpy(&b, &one, 1);
    return b == 1;
}

}  // namespace

void VectorFileEmbedder::add(const std::string& templ, const float* values,
                             const std::string& where) {
    const std::string key = trim(templ);
    auto [it, inserted] = index_.emplace(key, static_cast<Eigen::Index>(origin_.size()));
    if (!inserted)
        throw std::runtime_error(where + ": duplicate template \"" + key + "\" (first at " +
                                 origin_[it->second] + ")");
    origin_.push_back(where);
    data_.insert(data_.end(), values, values + dim_);
}

void VectorFileEmbedder::setFallback(std::shared_ptr<const Embedder> fallback) {
    if (fallback && fallback->dim() != dim_)
        throw std::runtime_error(source_ + ": vectors have dimension " + std::to_string(dim_) +
                                 " but the fallback embedder (" + fallback->kind() +
                                 ") has dimension " + std::to_string(fallback->dim()));
    fallback_ = std::move(fallback);
    detail::Fnv64 h;
    h.str("vectors").u64(kFormat).u64(static_cast<uint64_t>(dim_)).u64(origin_.size());
    // Row order does not change any vector, so hash in a canonical (index) order.
    std::vector<std::pair<std::string, Eigen::Index>> rows(index_.begin(), index_.end());
    std::sort(rows.begin(), rows.end());
    for (const auto& [text, row] : rows)
        h.str(text).bytes(data_.data() + row * dim_, sizeof(float) * dim_);
    dataHash_ = h.hex();
}

std::unique_ptr<VectorFileEmbedder> VectorFileEmbedder::loadCsv(
    const std::string& path, std::shared_ptr<const Embedder> fallback) {
    CsvReader::Options opt;
    opt.header = false;  // optional, detected below
    CsvReader csv(path, opt);
    std::unique_ptr<VectorFileEmbedder> e(new VectorFileEmbedder());
    e->source_ = path;
    size_t columns = 0;
    bool first = true;
    std::vector<float> values;
    while (csv.next()) {
        const auto& fields = csv.fields();
        if (first) {
            first = false;
            columns = fields.size();
            if (columns < 2) csv.fail("expected `template,v1,...,vd` (at least 2 columns)");
            e->dim_ = static_cast<int>(columns - 1);
            double v;
            bool numeric = true;
            for (size_t i = 1; i < columns && numeric; ++i) numeric = parseNumber(fields[i], v);
            if (!numeric || looksLikeIndexHeader(fields)) continue;  // header row
        }
        if (fields.size() != columns)
            csv.fail("expected " + std::to_string(columns) + " columns, found " +
                     std::to_string(fields.size()));
        values.assign(columns - 1, 0.f);
        for (size_t i = 1; i < columns; ++i) {
            double v;
            if (!parseNumber(fields[i], v))
                csv.fail("column " + std::to_string(i + 1) + ": \"" + fields[i] +
                         "\" is not a number");
            if (!std::isfinite(v) || std::fabs(v) > 3.0e38)
                csv.fail("column " + std::to_string(i + 1) + ": value is not a finite float");
            values[i - 1] = static_cast<float>(v);
        }
        e->add(fields[0], values.data(), path + ":" + std::to_string(csv.line()));
    }
    if (e->index_.empty()) throw std::runtime_error(path + ": no vectors in file");
    e->setFallback(std::move(fallback));
    return e;
}

std::unique_ptr<VectorFileEmbedder> VectorFileEmbedder::loadNpy(
    const std::string& npyPath, const std::string& indexPath,
    std::shared_ptr<const Embedder> fallback) {
    const std::string bytes = readFile(npyPath);
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        throw std::runtime_error(npyPath + ": not a .npy file (bad magic)");
    const auto u8 = [&](size_t i) {
        return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]));
    };
    const uint32_t major = u8(6);
    size_t headerLen = 0, headerStart = 0;
    if (major == 1) {
        headerLen = u8(8) | (u8(9) << 8);
        headerStart = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw std::runtime_error(npyPath + ": truncated .npy header");
        headerLen = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (u8(11) << 24);
        headerStart = 12;
    } else {
        throw std::runtime_error(npyPath + ": unsupported .npy version " + std::to_string(major));
    }
    if (bytes.size() < headerStart + headerLen)
        throw std::runtime_error(npyPath + ": truncated .npy header");
    const std::string header = bytes.substr(headerStart, headerLen);
    const std::string descr = npyValue(header, "descr", npyPath);
    const std::string fortran = npyValue(header, "fortran_order", npyPath);
    const std::vector<uint64_t> shape = parseShape(npyValue(header, "shape", npyPath), npyPath);
    if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '=') ||
        (descr.substr(1) != "f4" && descr.substr(1) != "f8"))
        throw std::runtime_error(npyPath + ": unsupported dtype '" + descr +
                                 "' (expected float32 or float64)");
    if (shape.size() != 2)
        throw std::runtime_error(npyPath + ": expected a 2-D array, found " +
                                 std::to_string(shape.size()) + " dimension(s)");
    const size_t item = descr[2] == '4' ? 4 : 8;
    const bool swap = (descr[0] == '>') == hostLittleEndian();
    const uint64_t rows = shape[0], cols = shape[1];
    if (cols < 1 || cols > (1u << 20))
        throw std::runtime_error(npyPath + ": unsupported vector dimension " +
                                 std::to_string(cols));
    const size_t dataStart = headerStart + headerLen;
    if (rows > (bytes.size() - dataStart) / (cols * item))
        throw std::runtime_error(npyPath + ": data is shorter than the shape in its header");

    const std::string idxPath = indexPath.empty() ? defaultIndexPath(npyPath) : indexPath;
    std::ifstream idx(idxPath, std::ios::binary);
    if (!idx) throw std::runtime_error(idxPath + ": cannot open index file for " + npyPath);
    std::vector<std::string> names;
    for (std::string line; std::getline(idx, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        names.push_back(line);
    }
    if (names.size() != rows)
        throw std::runtime_error(idxPath + ": has " + std::to_string(names.size()) + " lines but " +
                                 npyPath + " has " + std::to_string(rows) + " rows");

    std::unique_ptr<VectorFileEmbedder> e(new VectorFileEmbedder());
    e->source_ = npyPath;
    e->dim_ = static_cast<int>(cols);
    const bool fortranOrder = fortran == "True";
    auto value = [&](uint64_t r, uint64_t c) -> double {
        const uint64_t flat = fortranOrder ? c * rows + r : r * cols + c;
        unsigned char b[8];
        std::memcpy(b, bytes.data() + dataStart + flat * item, item);
        if (swap)
            for (size_t i = 0; i < item / 2; ++i) std::swap(b[i], b[item - 1 - i]);
        if (item == 4) {
            float f;
            std::memcpy(&f, b, 4);
            return f;
        }
        double d;
        std::memcpy(&d, b, 8);
        return d;
    };
    std::vector<float> values(cols);
    for (uint64_t r = 0; r < rows; ++r) {
        for (uint64_t c = 0; c < cols; ++c) {
            const double v = value(r, c);
            if (!std::isfinite(v) || std::fabs(v) > 3.0e38)
                throw std::runtime_error(npyPath + ": row " + std::to_string(r) + " (" + idxPath +
                                         ":" + std::to_string(r + 1) +
                                         ") holds a value that is not a finite float");
            values[c] = static_cast<float>(v);
        }
        e->add(names[r], values.data(), idxPath + ":" + std::to_string(r + 1));
    }
    if (e->index_.empty()) throw std::runtime_error(npyPath + ": no vectors in file");
    e->setFallback(std::move(fallback));
    return e;
}

std::unique_ptr<VectorFileEmbedder> VectorFileEmbedder::load(
    const std::string& path, std::shared_ptr<const Embedder> fallback) {
    if (endsWith(path, ".npy")) return loadNpy(path, {}, std::move(fallback));
    return loadCsv(path, std::move(fallback));
}

std::string VectorFileEmbedder::version() const {
    detail::Fnv64 h;
    h.str(dataHash_);
    if (fallback_)
        h.str(fallback_->kind()).str(fallback_->version());
    else
        h.str("zeros");
    return std::to_string(kFormat) + "-" + h.hex();
}

bool VectorFileEmbedder::contains(const std::string& templ) const {
    return index_.count(trim(templ)) != 0;
}

Eigen::MatrixXf VectorFileEmbedder::embed(const std::vector<std::string>& templates) const {
    Eigen::MatrixXf out = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(templates.size()), dim_);
    std::vector<std::string> missing;
    std::vector<Eigen::Index> missingRows;
    for (size_t t = 0; t < templates.size(); ++t) {
        auto it = index_.find(trim(templates[t]));
        if (it == index_.end()) {
            missing.push_back(templates[t]);
            missingRows.push_back(static_cast<Eigen::Index>(t));
            continue;
        }
        const float* row = data_.data() + it->second * dim_;
        for (int j = 0; j < dim_; ++j) out(static_cast<Eigen::Index>(t), j) = row[j];
    }
    if (fallback_ && !missing.empty()) {
        const Eigen::MatrixXf fb = fallback_->embed(missing);
        if (fb.rows() != static_cast<Eigen::Index>(missing.size()) || fb.cols() != dim_)
            throw std::runtime_error("fallback embedder (" + fallback_->kind() +
                                     ") returned a matrix of the wrong shape");
        for (size_t i = 0; i < missing.size(); ++i) out.row(missingRows[i]) = fb.row(i);
    }
    return out;
}

}  // namespace mlad::embed
