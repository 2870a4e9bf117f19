# Optional MPI (OpenMPI from Debian: libopenmpi-dev): the distributed streaming fit, src/dist/.
# When found, the library links MPI's C API (MPI::MPI_CXX) and is compiled with LMM_HAVE_MPI=1; src/dist/ compiles
# to the single-process fallback otherwise. Included after the `lmm` target is defined.
option(LMM_ENABLE_MPI "Build MPI support (mpirun -np K lmmgpu fit) when MPI is found" ON)
set(LMM_HAVE_MPI OFF)
if(LMM_ENABLE_MPI)
  # The project's language is C++: MPI's C API through the CXX component, without the (deprecated)
  # C++ bindings.
  set(MPI_CXX_SKIP_MPICXX TRUE)
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(LMM_HAVE_MPI ON)
    target_link_libraries(lmm PUBLIC MPI::MPI_CXX)
    target_compile_definitions(lmm PUBLIC LMM_HAVE_MPI=1)
    message(STATUS "lmmgpu: MPI ${MPI_CXX_VERSION} found: distributed fits enabled")
  else()
    message(STATUS "lmmgpu: MPI not found: no distributed fits")
  endif()
endif()
