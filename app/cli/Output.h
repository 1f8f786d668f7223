#pragma once
// Terminal progress bar and small JSON writing helpers for the CLI.
#include <string>

#include "mlad/task/Task.h"

namespace mlad::cli {

/// A progress callback that draws a bar on stderr when it is a terminal, and prints nothing
/// otherwise (logs stay clean in CI).
TaskContext::ProgressFn terminalProgress();
void endProgressLine();

std::string jsonString(const std::string& s);
std::string jsonNumber(double v);  ///< NaN/inf -> null

}  // namespace mlad::cli
