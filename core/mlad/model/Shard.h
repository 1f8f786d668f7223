#pragma once
// Data-parallel training, as the model sees it: while a ShardScope is active on a thread, the
// batch that the model is given is rows [rowOffset, rowOffset + rows) of a global batch of
// globalRows sequences spread over several processes (ranks), and the model computes its part
// of the global batch's loss (the parts sum to the loss of the whole batch):
//   - dropout (CPU) and MLAD's random masking draw each entry as the single process drawing
//     the whole batch would (counter-based dropout at the global element index; the mask's
//     uniform keys drawn for all globalRows rows and sliced), so the ranks reproduce the
//     single-process batch bit for bit;
//   - batch statistics (MLAD's mixture: sum gamma, sum gamma z, the scatter) are summed over the
//     ranks inside the forward pass, through allReduceSum, whose gradient is the sum of the
//     ranks' gradients: with per-rank statistics, 2 x 256 would not be 512;
//   - the ranks' batches are padded to the global batch's longest sequence (globalMax).
// The collective itself is given by the caller (train/Distributed.h, over c10d), so that the
// model code knows nothing about process groups. Without a scope every function here is the
// identity and the model is the single-process model.
#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace mlad::model {

/// The data-parallel group the calling thread trains in (set by the run manager for a run).
struct RankGroup {
    int rank = 0, world = 1;
    /// In-place sum over the ranks (every rank calls it in the same order).
    std::function<void(torch::Tensor&)> allReduceSum;
    /// In-place maximum over the ranks.
    std::function<void(torch::Tensor&)> allReduceMax;
};

/// Makes `group` the calling thread's group for its lifetime (scopes do not nest).
class GroupScope {
  public:
    explicit GroupScope(const RankGroup& group);
    ~GroupScope();
    GroupScope(const GroupScope&) = delete;
    GroupScope& operator=(const GroupScope&) = delete;
};
/// The calling thread's group, or nullptr (a single process).
const RankGroup* activeGroup();

/// This rank's part of one global batch.
struct BatchShard {
    int64_t rowOffset = 0;   ///< first global row of this rank's part
    int64_t globalRows = 0;  ///< rows of the global batch
    int world = 1;           ///< number of ranks
};

/// The shard of the calling thread, or nullptr outside a ShardScope.
const BatchShard* activeShard();

/// Within a group: this rank's contiguous part of the global batch `rows` (rank r of W gets
/// rows [r*n/W, (r+1)*n/W) in integer arithmetic, so rank 0 holds the batch's first rows) and
/// the shard for the scope's lifetime. Without a group: rows() is `rows` and nothing is set.
/// Scopes do not nest.
class ShardScope {
  public:
    explicit ShardScope(const torch::Tensor& rows);
    ~ShardScope();
    ShardScope(const ShardScope&) = delete;
    ShardScope& operator=(const ShardScope&) = delete;
    const torch::Tensor& rows() const { return rows_; }

  private:
    torch::Tensor rows_;
    BatchShard shard_;
    bool active_ = false;
};

/// Sum over the ranks; differentiable (the gradient reaching each rank's input is the sum of
/// the ranks' output gradients). The identity without a shard.
torch::Tensor allReduceSum(const torch::Tensor& x);
/// Sum over the ranks of a value that carries no gradient (counts). The identity without a shard.
torch::Tensor allReduceSumNoGrad(const torch::Tensor& x);
/// The largest value over the ranks (e.g. the global batch's longest sequence).
int64_t globalMax(int64_t local);

/// Uniform [0,1) keys of shape [rows, cols] for this rank's rows: drawn for the whole global
/// batch and sliced, so the default generator advances as in the single process.
torch::Tensor shardRand(int64_t rows, int64_t cols, const torch::TensorOptions& options);

}  // namespace mlad::model
