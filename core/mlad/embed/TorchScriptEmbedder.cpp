#include "mlad/embed/TorchScriptEmbedder.h"

#include <torch/script.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace mlad::embed {

namespace {

constexpr uint32_t kFormat = 1;

void hashFile(detail::Fnv64& h, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open file");
    std::vector<char> buf(1 << 16);
    uint64_t total = 0;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<size_t>(in.gcount());
        h.bytes(buf.data(), n);
        total += n;
    }
    h.u64(total);
}

// The token embeddings: the output itself, or the first element of a tuple/list, or the
// "token_embeddings" / "last_hidden_state" entry (else the first entry) of a dict.
torch::Tensor tokenEmbeddings(const torch::jit::IValue& out) {
    if (out.isTensor()) return out.toTensor();
    if (out.isTuple()) {
        const auto tuple = out.toTuple();
        if (!tuple->elements().empty()) return tokenEmbeddings(tuple->elements()[0]);
    } else if (out.isTensorList()) {
        const auto list = out.toTensorList();
        if (list.size() > 0) return list.get(0);
    } else if (out.isList()) {
        const auto list = out.toList();
        if (list.size() > 0) return tokenEmbeddings(list.get(0));
    } else if (out.isGenericDict()) {
        const auto dict = out.toGenericDict();
        for (const char* key : {"token_embeddings", "last_hidden_state"})
            for (const auto& kv : dict)
                if (kv.key().isString() && kv.key().toStringRef() == key)
                    return tokenEmbeddings(kv.value());
        if (dict.size() > 0) return tokenEmbeddings(dict.begin()->value());
    }
    throw std::runtime_error("model output is not a tensor (or tuple/list/dict holding one): " +
                             out.tagKind());
}

}  // namespace

struct TorchScriptEmbedder::Impl {
    torch::jit::Module module;
    std::string path;
};

TorchScriptEmbedder::TorchScriptEmbedder(std::unique_ptr<Impl> impl, WordPieceTokenizer tok,
                                         int maxLen)
    : impl_(std::move(impl)), tokenizer_(std::move(tok)), maxLen_(maxLen) {}

TorchScriptEmbedder::~TorchScriptEmbedder() = default;

std::unique_ptr<TorchScriptEmbedder> TorchScriptEmbedder::load(const std::string& dir, int maxLen) {
    if (maxLen < 2) throw std::invalid_argument("TorchScriptEmbedder: maxLen must be >= 2");
    const std::string modelPath = dir + "/model.pt";
    const std::string vocabPath = dir + "/vocab.txt";
    if (!std::ifstream(modelPath, std::ios::binary))
        throw std::runtime_error(modelPath + ": cannot open TorchScript model");
    WordPieceTokenizer tok = WordPieceTokenizer::fromVocabFile(vocabPath);
    if (tok.clsId() < 0 || tok.sepId() < 0)
        throw std::runtime_error(vocabPath + ": vocabulary lacks [CLS] or [SEP]");

    auto impl = std::make_unique<Impl>();
    impl->path = modelPath;
    try {
        impl->module = torch::jit::load(modelPath, torch::kCPU);
    } catch (const c10::Error& e) {
        throw std::runtime_error(modelPath +
                                 ": cannot load TorchScript model: " + e.what_without_backtrace());
    }
    impl->module.eval();
    std::unique_ptr<TorchScriptEmbedder> e(
        new TorchScriptEmbedder(std::move(impl), std::move(tok), maxLen));
    // One probe run tells the hidden size and checks the model's signature early.
    e->dim_ = static_cast<int>(e->runBatch({e->tokenizer_.encode("", maxLen)}).cols());

    detail::Fnv64 h;
    h.str("torchscript").u64(kFormat).u64(static_cast<uint64_t>(maxLen));
    hashFile(h, modelPath);
    hashFile(h, vocabPath);
    e->version_ = std::to_string(kFormat) + "-" + h.hex();
    return e;
}

Eigen::MatrixXf TorchScriptEmbedder::runBatch(const std::vector<std::vector<int64_t>>& ids) const {
    const int64_t batch = static_cast<int64_t>(ids.size());
    int64_t len = 0;
    for (const auto& v : ids) len = std::max<int64_t>(len, static_cast<int64_t>(v.size()));
    torch::Tensor input = torch::full({batch, len}, tokenizer_.padId(), torch::kLong);
    torch::Tensor mask = torch::zeros({batch, len}, torch::kLong);
    auto ia = input.accessor<int64_t, 2>();
    auto ma = mask.accessor<int64_t, 2>();
    for (int64_t b = 0; b < batch; ++b)
        for (size_t t = 0; t < ids[b].size(); ++t) {
            ia[b][static_cast<int64_t>(t)] = ids[b][t];
            ma[b][static_cast<int64_t>(t)] = 1;
        }

    torch::Tensor pooled;
    try {
        torch::NoGradGuard noGrad;
        std::vector<torch::jit::IValue> inputs{input, mask};
        torch::Tensor tokens = tokenEmbeddings(impl_->module.forward(inputs));
        if (!tokens.is_floating_point())
            throw std::runtime_error("model output has a non-floating dtype");
        tokens = tokens.to(torch::kCPU, torch::kFloat);
        if (tokens.dim() == 3 && tokens.size(0) == batch && tokens.size(1) == len) {
            const torch::Tensor m = mask.unsqueeze(-1).to(torch::kFloat);
            pooled = (tokens * m).sum(1) / m.sum(1).clamp_min(1e-9);
        } else if (tokens.dim() == 2 && tokens.size(0) == batch) {
            pooled = tokens;  // the model pools itself
        } else {
            throw std::runtime_error("model output has shape " + c10::str(tokens.sizes()) +
                                     ", expected [" + std::to_string(batch) + ", " +
                                     std::to_string(len) + ", H]");
        }
        pooled = pooled.contiguous();
    } catch (const c10::Error& e) {
        throw std::runtime_error(impl_->path + ": model failed: " + e.what_without_backtrace());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(impl_->path + ": " + e.what());
    }
    const auto pa = pooled.accessor<float, 2>();
    Eigen::MatrixXf out(batch, pooled.size(1));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t j = 0; j < pooled.size(1); ++j) out(b, j) = pa[b][j];
    return out;
}

Eigen::MatrixXf TorchScriptEmbedder::embed(const std::vector<std::string>& templates) const {
    const size_t n = templates.size();
    Eigen::MatrixXf out(static_cast<Eigen::Index>(n), dim_);
    std::vector<std::vector<int64_t>> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = tokenizer_.encode(templates[i], maxLen_);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
    for (size_t start = 0; start < n; start += static_cast<size_t>(batchSize_)) {
        const size_t end = std::min(n, start + static_cast<size_t>(batchSize_));
        std::vector<std::vector<int64_t>> batch;
        for (size_t k = start; k < end; ++k) batch.push_back(ids[order[k]]);
        const Eigen::MatrixXf pooled = runBatch(batch);
        if (pooled.cols() != dim_)
            throw std::runtime_error(impl_->path + ": model output width changed from " +
                                     std::to_string(dim_) + " to " + std::to_string(pooled.cols()));
        for (size_t k = start; k < end; ++k)
            out.row(static_cast<Eigen::Index>(order[k])) =
                pooled.row(static_cast<Eigen::Index>(k - start));
    }
    return out;
}

}  // namespace mlad::embed
