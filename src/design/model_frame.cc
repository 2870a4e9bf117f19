// Placeholder until the design module lands.
#include "lmm/error.h"
#include "lmm/model_frame.h"
namespace lmm {
ModelFrame BuildModelFrame(const Formula&, const DataFrame&) {
  throw Error(ErrorKind::kInternal, "design not built yet");
}
}  // namespace lmm
