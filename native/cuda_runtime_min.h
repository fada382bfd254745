/*
 * The few CUDA runtime declarations tensorrt_shim.cpp and TensorRT's headers use, for building
 * where the CUDA toolkit's cuda_runtime_api.h is not installed (TensorRT's NvInferRuntimeBase.h
 * includes <cuda_runtime_api.h>; native/build.ts then points that include here). Written from the
 * CUDA runtime API reference: the names, values and signatures below are the documented ones
 * (libcudart exports them as C symbols), so an object built with this header links and runs
 * against the real libcudart. Where the real header is installed, it is used instead.
 */
#ifndef CCTV_CUDA_RUNTIME_MIN_H
#define CCTV_CUDA_RUNTIME_MIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles, as driver_types.h declares them. */
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;

/* A few of the documented values; the shim only tests for cudaSuccess and prints the rest with
 * cudaGetErrorString. The last one keeps every value the runtime returns inside the enum's range. */
typedef enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorUnknown = 999,
  cudaErrorApiFailureBase = 10000
} cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};

cudaError_t cudaMalloc(void** devPtr, size_t size);
cudaError_t cudaFree(void* devPtr);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaStreamCreate(cudaStream_t* pStream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
const char* cudaGetErrorString(cudaError_t error);

#ifdef __cplusplus
}
#endif

#endif /* CCTV_CUDA_RUNTIME_MIN_H */
