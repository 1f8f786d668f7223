#pragma once
// The code version recorded in run manifests and printed by `mlad --version`: `git describe
// --always --dirty` of the source tree at build time ("unknown" outside a git checkout). It is
// written into a generated source at every build (core/GitVersion.cmake) and only that source
// recompiles when it changes, so a commit does not rebuild the tree and a manifest never
// records the version of an earlier configure. MLAD_VERSION (the release) is a compile
// definition.
namespace mlad {

const char* codeVersion();

}  // namespace mlad
