#pragma once
// Imported template vectors computed elsewhere (e.g. with a Python sentence encoder): a table
// template text -> vector; templates missing from the table go to a fallback embedder.
#include "mlad/embed/Embedder.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlad::embed {

class VectorFileEmbedder : public Embedder {
  public:
    /// CSV: `template,v1,...,vd`, read with the shared reader of mlad/io/Csv.h (RFC 4180
    /// quoting: quoted fields may hold commas, doubled quotes and line breaks; CRLF and a UTF-8
    /// BOM tolerated; plain or gzip; errors name file:line), optional header row (detected: its
    /// value columns are not all numbers, or the first column is empty or "template" and the others
    /// are the column numbers 0..d-1 or 1..d, as pandas writes them), blank lines ignored, '.'
    /// decimal point whatever the locale. All rows must have the same number of columns; values
    /// must be finite.
    static std::unique_ptr<VectorFileEmbedder> loadCsv(
        const std::string& path, std::shared_ptr<const Embedder> fallback = nullptr);
    /// .npy: 2-D float32 or float64 array (either byte order, C or Fortran order) + an index
    /// text file with one template per line in row order. indexPath empty: the .npy path with
    /// its extension replaced by ".txt".
    static std::unique_ptr<VectorFileEmbedder> loadNpy(
        const std::string& npyPath, const std::string& indexPath = {},
        std::shared_ptr<const Embedder> fallback = nullptr);
    /// Picks loadNpy for a ".npy" path (default index path), loadCsv otherwise.
    static std::unique_ptr<VectorFileEmbedder> load(
        const std::string& path, std::shared_ptr<const Embedder> fallback = nullptr);

    std::string kind() const override { return "vectors"; }
    /// Hash of the table contents (and of the fallback's version, which decides unknown rows).
    std::string version() const override;
    int dim() const override { return dim_; }
    /// Known templates get their row; unknown ones are embedded by the fallback in one batch,
    /// or get zeros without a fallback. Templates are matched on their text with leading and
    /// trailing whitespace removed.
    Eigen::MatrixXf embed(const std::vector<std::string>& templates) const override;

    bool contains(const std::string& templ) const;
    size_t size() const { return index_.size(); }
    const std::string& source() const { return source_; }

  private:
    VectorFileEmbedder() = default;
    // Adds one row; throws naming `where` (file:line) on duplicates.
    void add(const std::string& templ, const float* values, const std::string& where);
    void setFallback(std::shared_ptr<const Embedder> fallback);

    std::string source_;
    int dim_ = 0;
    std::unordered_map<std::string, Eigen::Index> index_;
    std::vector<std::string> origin_;  // file:line of each row, for duplicate errors
    std::vector<float> data_;          // row-major, size() x dim_
    std::shared_ptr<const Embedder> fallback_;
    std::string dataHash_;
};

}  // namespace mlad::embed
