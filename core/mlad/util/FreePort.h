#pragma once
// A TCP port on the loopback interface that was free a moment ago (bound to port 0, then
// closed): the rendezvous port of data-parallel ranks on one machine (`mlad launch`, the
// workbench), like torchrun's --standalone. Throws std::runtime_error with the reason.

namespace mlad {

int freeLoopbackPort();

}  // namespace mlad
