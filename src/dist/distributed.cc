#include "dist/distributed.h"

#include <cstdlib>
#include <iostream>
#include <string>

#include "lmm/error.h"

#if LMM_HAVE_MPI
#include <mpi.h>

#include "dist/mpi_collective.h"
#endif

namespace lmm::dist {

bool LaunchedAsManyRanks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && std::atoi(value) > 1) return true;
  }
  return false;
}

bool HaveMpi() {
#if LMM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int RunWithCollective(const std::function<int(scale::Collective&)>& body) {
  if (!LaunchedAsManyRanks()) {
    scale::Collective single;
    return body(single);
  }
#if LMM_HAVE_MPI
  MPI_Init(nullptr, nullptr);
  MpiCollective collective(MPI_COMM_WORLD);
  int code = 0;
  try {
    code = body(collective);
  } catch (const Error& e) {
    std::cerr << "lmmgpu (rank " << collective.rank() << "): " << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, e.exit_code());
  } catch (const std::exception& e) {
    std::cerr << "lmmgpu (rank " << collective.rank() << "): internal error: " << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return code;
#else
  throw UsageError(
      "started by mpirun as several ranks, but this build has no MPI support "
      "(install libopenmpi-dev and rebuild)");
#endif
}

}  // namespace lmm::dist
