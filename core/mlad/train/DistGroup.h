#pragma once
// A c10d process group for data-parallel training (see Distributed.h): rendezvous through a
// TCPStore served by rank 0, collectives through ProcessGroupGloo. The c10d headers stay in
// Distributed.cpp, which is compiled with them only when the build found them. Every failure
// (no rendezvous, a closed connection, a timeout) is a DistError whose message names this rank
// and what to do.
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "mlad/model/Shard.h"
#include "mlad/train/Distributed.h"

namespace mlad {

class DistError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class DistGroup {
  public:
    /// Joins the group (blocks until every rank has joined, at most the timeout).
    explicit DistGroup(const DistSettings& settings);
    ~DistGroup();
    DistGroup(const DistGroup&) = delete;
    DistGroup& operator=(const DistGroup&) = delete;

    int rank() const { return settings_.rank; }
    int world() const { return settings_.world; }
    /// "gloo"
    std::string backend() const;

    void allReduceSum(torch::Tensor& t);
    void allReduceMax(torch::Tensor& t);
    /// Sums every tensor over the ranks, in buckets of at most `bucketBytes` (the tensors are
    /// copied into one flat buffer per bucket and back: one collective per bucket).
    void allReduceSumBucketed(std::vector<torch::Tensor>& tensors, int64_t bucketBytes = 16 << 20);
    void broadcast(torch::Tensor& t, int root = 0);
    void barrier();
    /// The group as the model sees it (model/Shard.h); valid while this object lives.
    const model::RankGroup& rankGroup() const { return rankGroup_; }

  private:
    DistSettings settings_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    model::RankGroup rankGroup_;
};

}  // namespace mlad
