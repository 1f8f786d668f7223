#pragma once
// Terminal progress bar and number formatting for the CLI.
#include <string>

#include "mlad/task/Task.h"

namespace mlad::cli {

/// A progress callback that draws a bar on stderr when it is a terminal, and prints nothing
/// otherwise (logs stay clean in CI).
TaskContext::ProgressFn terminalProgress();
void endProgressLine();

/// A number for text output (%.10g); "nan" / "inf" as such.
std::string fmtNumber(double v);

}  // namespace mlad::cli
