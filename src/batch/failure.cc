#include "batch/failure.h"

#include <exception>
#include <new>

#include "lmm/error.h"

namespace lmm::batch {

Failure CurrentFailure() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.exit_code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {static_cast<int>(ErrorKind::kInternal), "out of memory"};
  } catch (const std::exception& e) {
    return {static_cast<int>(ErrorKind::kInternal), std::string("internal error: ") + e.what()};
  } catch (...) {
    return {static_cast<int>(ErrorKind::kInternal), "internal error: unknown exception"};
  }
}

}  // namespace lmm::batch
