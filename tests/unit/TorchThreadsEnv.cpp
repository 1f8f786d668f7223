// Every unit test process sets LibTorch's thread count the way the product does (Debian's
// LibTorch defaults to one thread).
#include <gtest/gtest.h>

#include "mlad/train/Trainer.h"

namespace {

class TorchThreads : public ::testing::Environment {
  public:
    void SetUp() override { mlad::configureTorchThreads(2); }
};

const ::testing::Environment* const kThreadsEnv =
    ::testing::AddGlobalTestEnvironment(new TorchThreads);

}  // namespace
