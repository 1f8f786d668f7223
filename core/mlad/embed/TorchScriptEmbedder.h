#pragma once
// Pretrained sentence encoder exported to TorchScript (tools/export_sentence_encoder.py):
// WordPiece-tokenise in C++, run the encoder, mean-pool the token vectors under the attention
// mask. The header stays free of LibTorch so that callers do not pay for its includes.
#include "mlad/embed/Embedder.h"
#include "mlad/embed/WordPiece.h"

#include <memory>
#include <string>
#include <vector>

namespace mlad::embed {

class TorchScriptEmbedder : public Embedder {
  public:
    /// `dir` holds model.pt (TorchScript; forward(input_ids [B,L] int64, attention_mask [B,L]
    /// int64) returns token embeddings [B,L,H], or a tuple/list/dict whose first element is
    /// that; a dict's "token_embeddings" or "last_hidden_state" entry is preferred) and
    /// vocab.txt. Texts are truncated to maxLen tokens including [CLS]/[SEP]. Runs on the CPU.
    /// Throws std::runtime_error naming the file on a missing/invalid model or vocabulary.
    static std::unique_ptr<TorchScriptEmbedder> load(const std::string& dir, int maxLen = 128);
    ~TorchScriptEmbedder() override;

    std::string kind() const override { return "torchscript"; }
    /// Hash of model.pt and vocab.txt bytes, maxLen and a format number.
    std::string version() const override { return version_; }
    int dim() const override { return dim_; }
    /// Texts go through the encoder in batches of batchSize() (sorted by length to limit
    /// padding); output row i belongs to templates[i].
    Eigen::MatrixXf embed(const std::vector<std::string>& templates) const override;

    const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
    int maxLen() const { return maxLen_; }
    int batchSize() const { return batchSize_; }
    void setBatchSize(int n) { batchSize_ = n < 1 ? 1 : n; }

  private:
    struct Impl;  // holds the torch::jit::Module
    TorchScriptEmbedder(std::unique_ptr<Impl> impl, WordPieceTokenizer tok, int maxLen);
    Eigen::MatrixXf runBatch(const std::vector<std::vector<int64_t>>& ids) const;

    std::unique_ptr<Impl> impl_;
    WordPieceTokenizer tokenizer_;
    int maxLen_;
    int dim_ = 0;
    int batchSize_ = 32;
    std::string version_;
};

}  // namespace mlad::embed
