#pragma once
// The step / validate / state interface through which the run manager (train/Trainer.cpp)
// trains any torch detector, in the shape of pytorch/examples' train() / test(): the manager
// owns the optimiser, the epoch loop, seeding, mixed precision, gradient clipping, the NaN
// check, early stopping, checkpoints and resume; the detector owns its module, its batches and
// its loss. Includes LibTorch: only detector and run-manager sources include it.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace mlad {

/// Named loss terms of one step; the first one ("loss") is what the optimiser minimises, the
/// others are reported (e.g. mse, energy, cov). Scalars.
using LossTerms = std::vector<std::pair<std::string, torch::Tensor>>;

class TorchTrainable {
  public:
    virtual ~TorchTrainable() = default;
    /// Creates the module on `device` (the manager has seeded torch's generator just before,
    /// so initial weights follow the run's seed).
    virtual void build(torch::Device device) = 0;
    /// The module whose parameters are trained, checkpointed and restored.
    virtual torch::nn::Module& module() = 0;
    /// Number of training sequences (loss averages are weighted by batch size over this).
    virtual int64_t trainSize() const = 0;
    /// One epoch's batches as row indices into the training data, drawn with torch's generator
    /// (seeded per epoch by the manager, so a resumed run continues identically).
    virtual std::vector<torch::Tensor> epochBatches(int64_t batchSize) = 0;
    /// Forward pass and loss of one batch in training mode (the manager has called
    /// module().train() and set up autocast).
    virtual LossTerms trainStep(const torch::Tensor& rows) = 0;
    /// Mean validation loss (eval mode and no-grad set by the manager; autocast when `amp`).
    virtual double validationLoss(int64_t batchSize, bool amp) = 0;
    /// Whether the detector trains data-parallel on its own terms (model/Shard.h): its
    /// trainStep returns this rank's part of the global batch's loss and its validationLoss
    /// splits the batches over the ranks. Otherwise the manager weights each rank's loss (a
    /// mean over its rows) by the rank's share of the batch, and every rank computes the whole
    /// validation loss.
    virtual bool shardAware() const { return false; }
    /// After the last epoch, with the best epoch's weights restored, in eval mode: e.g.
    /// re-estimating a mixture over the whole training set.
    virtual void finishTraining(int64_t batchSize) { (void)batchSize; }
};

}  // namespace mlad
