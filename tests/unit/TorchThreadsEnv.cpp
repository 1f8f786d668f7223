// Every unit test process sets LibTorch's thread count the way the product does (Debian's
// LibTorch defaults to one thread): 2, or MLAD_TEST_THREADS (scripts/sanitize.sh tsan sets 1,
// so that no OpenMP worker runs: libgomp is not instrumented and its hand-offs look racy).
#include <gtest/gtest.h>

#include <cstdlib>

#include "mlad/train/Trainer.h"

namespace {

class TorchThreads : public ::testing::Environment {
  public:
    void SetUp() override {
        const char* env = std::getenv("MLAD_TEST_THREADS");
        const int n = env ? std::atoi(env) : 0;
        mlad::configureTorchThreads(n >= 1 && n <= 64 ? n : 2);
    }
};

const ::testing::Environment* const kThreadsEnv =
    ::testing::AddGlobalTestEnvironment(new TorchThreads);

}  // namespace
