// Checks cuda_runtime_min.h against CUDA's own cuda_runtime_api.h (packages/detector/test/native.test.ts
// compiles this with -fsyntax-only against each): every declaration the minimal header makes must
// have the real header's type and value, so an object built with either links to libcudart alike.
#include <cuda_runtime_api.h>

#include <type_traits>

static_assert(std::is_same<cudaStream_t, CUstream_st*>::value, "cudaStream_t");
static_assert(std::is_same<cudaEvent_t, CUevent_st*>::value, "cudaEvent_t");
static_assert(std::is_same<cudaError_t, cudaError>::value, "cudaError_t");
static_assert(std::is_same<decltype(cudaMalloc), cudaError_t(void**, size_t)>::value, "cudaMalloc");
static_assert(std::is_same<decltype(cudaFree), cudaError_t(void*)>::value, "cudaFree");
static_assert(std::is_same<decltype(cudaMemcpyAsync), cudaError_t(void*, const void*, size_t, cudaMemcpyKind, cudaStream_t)>::value, "cudaMemcpyAsync");
static_assert(std::is_same<decltype(cudaStreamCreate), cudaError_t(cudaStream_t*)>::value, "cudaStreamCreate");
static_assert(std::is_same<decltype(cudaStreamSynchronize), cudaError_t(cudaStream_t)>::value, "cudaStreamSynchronize");
static_assert(std::is_same<decltype(cudaStreamDestroy), cudaError_t(cudaStream_t)>::value, "cudaStreamDestroy");
static_assert(std::is_same<decltype(cudaGetErrorString), const char*(cudaError_t)>::value, "cudaGetErrorString");
static_assert(cudaSuccess == 0 && cudaErrorInvalidValue == 1 && cudaErrorMemoryAllocation == 2 && cudaErrorInitializationError == 3, "cudaError values");
static_assert(cudaErrorInsufficientDriver == 35 && cudaErrorNoDevice == 100 && cudaErrorUnknown == 999 && cudaErrorApiFailureBase == 10000, "cudaError values");
static_assert(cudaMemcpyHostToHost == 0 && cudaMemcpyHostToDevice == 1 && cudaMemcpyDeviceToHost == 2 && cudaMemcpyDeviceToDevice == 3 && cudaMemcpyDefault == 4, "cudaMemcpyKind values");
