#pragma once
// Data-parallel training over LibTorch's own distributed layer (c10d), configured the way
// PyTorch users know from torchrun: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK.
// `mlad launch` (app/cli) starts the local ranks and sets these; `mlad train` reads them.
//
// How a run trains over W ranks (train/Trainer.cpp, model/Shard.h):
//   - --batch-size is per rank, as in PyTorch's DistributedDataParallel: a step consumes one
//     global batch of W x batch_size sequences, drawn by every rank from the same seeded
//     generator; rank r trains on its contiguous part of it;
//   - gradients are summed over the ranks (bucketed all-reduce after backward) so that every
//     rank takes the same optimiser step; MLAD's batch statistics are summed inside the forward
//     pass, dropout and masking draw per global sample: W ranks reproduce one process with the
//     W-times batch up to floating-point rounding (CPU; on CUDA dropout is ATen's, equal in
//     distribution only);
//   - rank 0 alone writes the run record, checkpoints, the model and the scores; every rank
//     reads the project (a shared file system for several machines) and resumes from the
//     run's checkpoint, which does not depend on the number of ranks;
//   - a rank that dies or stops answering ends the run on every rank with a message (a closed
//     connection at once, a silent rank after MLAD_DIST_TIMEOUT seconds, default 300).
// Torch-free: app/ includes it.
#include <functional>
#include <optional>
#include <string>

namespace mlad {

struct DistSettings {
    int rank = 0, world = 1, localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    int timeoutSeconds = 300;
    /// Asked about every half second while waiting for the other ranks to join: a non-empty
    /// answer (the user cancelled, a helper rank's process ended) gives up at once with it,
    /// instead of waiting out the timeout. Optional.
    std::function<std::string()> giveUp;
    bool active() const { return world > 1; }
};

/// The settings from torchrun's variables (and MLAD_DIST_TIMEOUT), or nullopt when WORLD_SIZE
/// is unset or 1. Throws std::invalid_argument naming the variable when one is malformed or
/// missing (RANK without WORLD_SIZE, RANK >= WORLD_SIZE, a port outside 1..65535...).
std::optional<DistSettings> distSettingsFromEnvironment();

/// Whether this build can train data-parallel (LibTorch with c10d and Gloo found at build time).
bool distributedAvailable();

}  // namespace mlad
