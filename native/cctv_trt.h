/*
 * cctv_trt: the C ABI that packages/detector/src/tensorrt-backend.ts calls through bun:ffi.
 *
 * Two implementations build from this one header:
 *   tensorrt_shim.cpp     TensorRT's C++ runtime (10.x / 11.x): engine file in, CUDA buffers, enqueueV3.
 *   onnxruntime_shim.c    ONNX Runtime's C API on the CPU, where the "engine" is ONNX bytes. It exists
 *                         so the whole FFI path can be run and tested on a machine with no GPU.
 *
 * Every function but cctv_trt_abi_version and cctv_trt_last_error returns a status: 0 is success,
 * anything else a failure whose description cctv_trt_last_error() gives (per thread, until the next
 * failing call on that thread). Strings handed out stay valid as long as their engine (or, for
 * runtime_info, the library) does. An engine is used by one thread at a time.
 */
#ifndef CCTV_TRT_H
#define CCTV_TRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CCTV_TRT_ABI_VERSION 1
#define CCTV_TRT_MAX_DIMS 8

/* Status codes. */
#define CCTV_TRT_OK 0
#define CCTV_TRT_E_ARGUMENT 1 /* a bad argument: index out of range, wrong input size, null pointer */
#define CCTV_TRT_E_RUNTIME 2  /* the runtime refused: engine does not deserialize, enqueue failed */
#define CCTV_TRT_E_CUDA 3     /* a CUDA call failed (no device, out of device memory, ...) */
#define CCTV_TRT_E_MEMORY 4   /* out of host memory */
#define CCTV_TRT_E_SHAPE 5    /* a shape is unknown: set the input shape first, or the output is data-dependent */

/* Element types: TensorRT's nvinfer1::DataType values, which both 10.3 and 11.1 share. */
#define CCTV_TRT_FLOAT 0
#define CCTV_TRT_HALF 1
#define CCTV_TRT_INT8 2
#define CCTV_TRT_INT32 3
#define CCTV_TRT_BOOL 4
#define CCTV_TRT_UINT8 5
#define CCTV_TRT_FP8 6
#define CCTV_TRT_BF16 7
#define CCTV_TRT_INT64 8
#define CCTV_TRT_OTHER 99 /* anything else (the ONNX Runtime implementation's doubles, strings, ...) */

typedef struct cctv_trt_engine cctv_trt_engine;

/** CCTV_TRT_ABI_VERSION of the library, to refuse a stale build. */
int32_t cctv_trt_abi_version(void);

/** What the last failing call on this thread said; "" when none has failed. */
const char* cctv_trt_last_error(void);

/** The runtime's name and version ("TensorRT 10.3.0") and where it computes ("cuda" or "cpu"). */
int32_t cctv_trt_runtime_info(const char** name, const char** device);

/**
 * Deserializes an engine (the bytes after any Ultralytics metadata header), creates its execution
 * context and CUDA stream, and allocates device and host buffers for every tensor whose shape is
 * known. threads and spin_wait tune CPU implementations; TensorRT ignores them.
 */
int32_t cctv_trt_create(const void* data, uint64_t size, int32_t threads, int32_t spin_wait, cctv_trt_engine** out);

/** Frees the buffers, stream, context, engine and runtime. A null engine is fine. */
int32_t cctv_trt_destroy(cctv_trt_engine* engine);

/** Number of input and output tensors. */
int32_t cctv_trt_tensor_count(const cctv_trt_engine* engine, int32_t* count);

/**
 * One tensor: its name, whether it is an input (1) or output (0), its element type and its current
 * shape (CCTV_TRT_MAX_DIMS entries; -1 where not yet known).
 */
int32_t cctv_trt_tensor_info(const cctv_trt_engine* engine, int32_t index, const char** name, int32_t* is_input,
                             int32_t* dtype, int32_t* nb_dims, int64_t* dims);

/** Sets a dynamic input's shape for the following runs (a no-op when it is already that shape). */
int32_t cctv_trt_set_input_shape(cctv_trt_engine* engine, int32_t index, const int64_t* dims, int32_t nb_dims);

/**
 * One inference: copies input_bytes from host memory `input` to the (single) input's device buffer,
 * enqueues the engine on its stream, copies every output back to its host buffer and waits.
 */
int32_t cctv_trt_run(cctv_trt_engine* engine, const void* input, uint64_t input_bytes);

/** The host copy of an output from the latest run: valid until the next run or destroy. */
int32_t cctv_trt_output(const cctv_trt_engine* engine, int32_t index, void** data, uint64_t* bytes);

#ifdef __cplusplus
}
#endif

#endif /* CCTV_TRT_H */
