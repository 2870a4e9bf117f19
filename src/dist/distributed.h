// Running a streaming fit in one process or across MPI ranks (`mpirun -np K lmmgpu fit ...`).
#pragma once

#include <functional>

#include "scale/collective.h"

namespace lmm::dist {

// True when the environment says an MPI launcher started this process as one of several ranks
// (OpenMPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE / PMIX_SIZE, above 1).
bool LaunchedAsManyRanks();

// Whether this build has MPI support (LMM_HAVE_MPI).
bool HaveMpi();

// Runs `body` with this process' collective: MPI_COMM_WORLD when launched as several ranks (MPI
// initialized before and finalized after), else the single-process Collective. Under MPI an
// lmm::Error thrown on any rank is printed with its rank and aborts every rank with its exit
// code (the others would otherwise wait in a collective). Throws lmm::Error(kUsage) when launched
// as several ranks by a build without MPI.
int RunWithCollective(const std::function<int(scale::Collective&)>& body);

}  // namespace lmm::dist
