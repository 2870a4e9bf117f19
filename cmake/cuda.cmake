# CUDA is enabled when a toolkit is found and LMM_ENABLE_CUDA is ON. Sets LMM_HAVE_CUDA and builds
# the lmm_gpu static library from kernels/ and src/likelihood/gpu/ (host dispatch).
set(LMM_HAVE_CUDA OFF)
if(LMM_ENABLE_CUDA)
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)  # H100/H200 (sm_90); override with -DCMAKE_CUDA_ARCHITECTURES
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(LMM_HAVE_CUDA ON)
    message(STATUS "lmmgpu: CUDA backend enabled (nvcc ${CMAKE_CUDA_COMPILER_VERSION})")
  else()
    message(STATUS "lmmgpu: no CUDA toolkit found; building the CPU backend only")
  endif()
else()
  message(STATUS "lmmgpu: CUDA backend disabled (LMM_ENABLE_CUDA=OFF)")
endif()

if(LMM_HAVE_CUDA)
  set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no C++20 flags for nvcc 13
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  file(GLOB LMM_GPU_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/*.cu
       ${CMAKE_SOURCE_DIR}/src/likelihood/gpu/*.cc)
  add_library(lmm_gpu STATIC ${LMM_GPU_SOURCES})
  target_include_directories(lmm_gpu PUBLIC ${CMAKE_SOURCE_DIR}/include PRIVATE ${CMAKE_SOURCE_DIR}/src
                             ${CMAKE_SOURCE_DIR}/kernels)
  # lmm_gpu's host code (src/likelihood/gpu/) derives from lmm's Evaluator and reuses its
  # cross-products, and lmm's factory creates the GPU evaluator: a cycle of two static libraries,
  # which CMake links by repeating them.
  # cuSOLVER (dense potrf of the Schur complement of multi-term models) and cuBLAS, which it uses.
  target_link_libraries(lmm_gpu PUBLIC CUDA::cudart_static CUDA::cusolver CUDA::cublas PRIVATE lmm)
  target_compile_options(lmm_gpu PRIVATE
                         "$<$<COMPILE_LANGUAGE:CXX>:-Wall;-Wextra;-Wpedantic;-Wshadow;-Wno-unused-parameter>")
  set_target_properties(lmm_gpu PROPERTIES CUDA_SEPARABLE_COMPILATION OFF POSITION_INDEPENDENT_CODE ON)
  if(LMM_WARNINGS_AS_ERRORS)
    target_compile_options(lmm_gpu PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>
                           $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endif()
