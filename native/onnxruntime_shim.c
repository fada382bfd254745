/*
 * The cctv_trt C ABI (cctv_trt.h) over ONNX Runtime's C API, on the CPU: the "engine" bytes are an
 * ONNX model. It stands in for TensorRT where there is no GPU, so that tests and benchmarks run the
 * TensorRT backend's whole path (bun:ffi binding, engine-file header, buffers, FP16 handling,
 * decoding) for real. It mirrors tensorrt_shim.cpp: each output is copied into a host buffer the
 * shim owns, which stays put between runs unless the output grows.
 *
 * Session settings match packages/detector's onnxruntime-node backend (intra-op threads, one
 * inter-op thread, sequential, all graph optimisations, spin-waiting on or off), so the two can be
 * compared run for run.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "cctv_trt.h"
#include "ort_api_min.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[2048];
static const OrtApi* ort;

static int32_t fail(int32_t status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

/* An OrtStatus as a failure (its message kept, the status released), or OK for none. */
static int32_t check(OrtStatus* status, const char* what) {
  if (!status) return CCTV_TRT_OK;
  int32_t result = fail(CCTV_TRT_E_RUNTIME, "%s failed: %s", what, ort->GetErrorMessage(status));
  ort->ReleaseStatus(status);
  return result;
}

#define CHECK(call, what)                       \
  do {                                          \
    int32_t status_ = check((call), (what));    \
    if (status_ != CCTV_TRT_OK) return status_; \
  } while (0)

static int32_t load_api(void) {
  if (ort) return CCTV_TRT_OK;
  const OrtApiBase* base = OrtGetApiBase();
  ort = base ? base->GetApi(CCTV_ORT_API_VERSION) : NULL;
  if (!ort) {
    return fail(CCTV_TRT_E_RUNTIME, "libonnxruntime %s does not offer C API version %d (onnxruntime 1.%d or later is needed)",
                base ? base->GetVersionString() : "?", CCTV_ORT_API_VERSION, CCTV_ORT_API_VERSION);
  }
  return CCTV_TRT_OK;
}

typedef struct {
  char* name;
  int32_t is_input;
  ONNXTensorElementDataType onnx_type;
  int32_t nb_dims;
  int64_t dims[CCTV_TRT_MAX_DIMS]; /* declared, then as set (inputs) or as last computed (outputs) */
  void* host;                      /* outputs: the copy the caller reads */
  size_t bytes;
  size_t capacity;
} tensor_t;

struct cctv_trt_engine {
  OrtEnv* env;
  OrtSession* session;
  OrtMemoryInfo* cpu;
  int32_t count;
  int32_t outputs;
  tensor_t* tensors; /* inputs first, then outputs, each in the model's order */
  const char** output_names;
  OrtValue** output_values;
};

static int32_t trt_type(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return CCTV_TRT_FLOAT;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return CCTV_TRT_HALF;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return CCTV_TRT_INT8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return CCTV_TRT_INT32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return CCTV_TRT_BOOL;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return CCTV_TRT_UINT8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return CCTV_TRT_BF16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return CCTV_TRT_INT64;
    default: return CCTV_TRT_OTHER;
  }
}

static size_t element_size(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return 2;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return 1;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return 8;
    default:
      return 0;
  }
}

static void destroy(cctv_trt_engine* engine) {
  if (!engine) return;
  for (int32_t i = 0; i < engine->count; i++) {
    free(engine->tensors[i].name);
    free(engine->tensors[i].host);
  }
  free(engine->tensors);
  free(engine->output_names);
  free(engine->output_values);
  if (engine->cpu) ort->ReleaseMemoryInfo(engine->cpu);
  if (engine->session) ort->ReleaseSession(engine->session);
  if (engine->env) ort->ReleaseEnv(engine->env);
  free(engine);
}

/* Name, type and declared shape (-1 for symbolic dimensions) of one input or output. */
static int32_t describe(cctv_trt_engine* engine, size_t index, int is_input, OrtAllocator* allocator, tensor_t* tensor) {
  char* name = NULL;
  CHECK(is_input ? ort->SessionGetInputName(engine->session, index, allocator, &name) : ort->SessionGetOutputName(engine->session, index, allocator, &name), "reading a tensor name");
  tensor->name = strdup(name);
  OrtStatus* freed = ort->AllocatorFree(allocator, name);
  if (freed) ort->ReleaseStatus(freed);
  if (!tensor->name) return fail(CCTV_TRT_E_MEMORY, "out of host memory");
  tensor->is_input = is_input;

  OrtTypeInfo* info = NULL;
  CHECK(is_input ? ort->SessionGetInputTypeInfo(engine->session, index, &info) : ort->SessionGetOutputTypeInfo(engine->session, index, &info), "reading a tensor type");
  const OrtTensorTypeAndShapeInfo* shape = NULL;
  size_t nb_dims = 0;
  int32_t status = check(ort->CastTypeInfoToTensorInfo(info, &shape), "reading a tensor type");
  if (status == CCTV_TRT_OK && !shape) status = fail(CCTV_TRT_E_ARGUMENT, "\"%s\" is not a tensor", tensor->name);
  if (status == CCTV_TRT_OK) status = check(ort->GetTensorElementType(shape, &tensor->onnx_type), "reading a tensor type");
  if (status == CCTV_TRT_OK) status = check(ort->GetDimensionsCount(shape, &nb_dims), "reading a tensor shape");
  if (status == CCTV_TRT_OK && nb_dims > CCTV_TRT_MAX_DIMS) status = fail(CCTV_TRT_E_ARGUMENT, "\"%s\" has %zu dimensions; at most %d are supported", tensor->name, nb_dims, CCTV_TRT_MAX_DIMS);
  if (status == CCTV_TRT_OK) status = check(ort->GetDimensions(shape, tensor->dims, nb_dims), "reading a tensor shape");
  ort->ReleaseTypeInfo(info);
  tensor->nb_dims = (int32_t)nb_dims;
  return status;
}

int32_t cctv_trt_abi_version(void) { return CCTV_TRT_ABI_VERSION; }

const char* cctv_trt_last_error(void) { return last_error; }

int32_t cctv_trt_runtime_info(const char** name, const char** device) {
  static char version[64];
  int32_t status = load_api();
  if (status != CCTV_TRT_OK) return status;
  if (!version[0]) snprintf(version, sizeof version, "ONNX Runtime %s", OrtGetApiBase()->GetVersionString());
  if (name) *name = version;
  if (device) *device = "cpu";
  return CCTV_TRT_OK;
}

static int32_t create(const void* data, uint64_t size, int32_t threads, int32_t spin_wait, cctv_trt_engine* engine) {
  CHECK(ort->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "cctv_trt", &engine->env), "CreateEnv");
  OrtSessionOptions* options = NULL;
  CHECK(ort->CreateSessionOptions(&options), "CreateSessionOptions");
  int32_t status = check(ort->SetIntraOpNumThreads(options, threads > 0 ? threads : 1), "SetIntraOpNumThreads");
  if (status == CCTV_TRT_OK) status = check(ort->SetInterOpNumThreads(options, 1), "SetInterOpNumThreads");
  if (status == CCTV_TRT_OK) status = check(ort->SetSessionExecutionMode(options, ORT_SEQUENTIAL), "SetSessionExecutionMode");
  if (status == CCTV_TRT_OK) status = check(ort->SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL), "SetSessionGraphOptimizationLevel");
  if (status == CCTV_TRT_OK) status = check(ort->AddSessionConfigEntry(options, "session.intra_op.allow_spinning", spin_wait ? "1" : "0"), "AddSessionConfigEntry");
  if (status == CCTV_TRT_OK) status = check(ort->CreateSessionFromArray(engine->env, data, (size_t)size, options, &engine->session), "CreateSessionFromArray");
  ort->ReleaseSessionOptions(options);
  if (status != CCTV_TRT_OK) return status;
  CHECK(ort->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &engine->cpu), "CreateCpuMemoryInfo");

  size_t inputs = 0, outputs = 0;
  CHECK(ort->SessionGetInputCount(engine->session, &inputs), "SessionGetInputCount");
  CHECK(ort->SessionGetOutputCount(engine->session, &outputs), "SessionGetOutputCount");
  engine->count = (int32_t)(inputs + outputs);
  engine->outputs = (int32_t)outputs;
  engine->tensors = calloc(inputs + outputs, sizeof *engine->tensors);
  engine->output_names = calloc(outputs ? outputs : 1, sizeof *engine->output_names);
  engine->output_values = calloc(outputs ? outputs : 1, sizeof *engine->output_values);
  if (!engine->tensors || !engine->output_names || !engine->output_values) {
    engine->count = 0;
    return fail(CCTV_TRT_E_MEMORY, "out of host memory");
  }
  OrtAllocator* allocator = NULL;
  CHECK(ort->GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions");
  for (size_t i = 0; i < inputs + outputs; i++) {
    int is_input = i < inputs;
    status = describe(engine, is_input ? i : i - inputs, is_input, allocator, &engine->tensors[i]);
    if (status != CCTV_TRT_OK) return status;
    if (!is_input) engine->output_names[i - inputs] = engine->tensors[i].name;
  }
  return CCTV_TRT_OK;
}

int32_t cctv_trt_create(const void* data, uint64_t size, int32_t threads, int32_t spin_wait, cctv_trt_engine** out) {
  int32_t status = load_api();
  if (status != CCTV_TRT_OK) return status;
  if (!data || !size || !out) return fail(CCTV_TRT_E_ARGUMENT, "cctv_trt_create needs the engine bytes and an out pointer");
  *out = NULL;
  cctv_trt_engine* engine = calloc(1, sizeof *engine);
  if (!engine) return fail(CCTV_TRT_E_MEMORY, "out of host memory");
  status = create(data, size, threads, spin_wait, engine);
  if (status != CCTV_TRT_OK) {
    destroy(engine);
    return status;
  }
  *out = engine;
  return CCTV_TRT_OK;
}

int32_t cctv_trt_destroy(cctv_trt_engine* engine) {
  destroy(engine);
  return CCTV_TRT_OK;
}

int32_t cctv_trt_tensor_count(const cctv_trt_engine* engine, int32_t* count) {
  if (!engine || !count) return fail(CCTV_TRT_E_ARGUMENT, "engine and count must not be null");
  *count = engine->count;
  return CCTV_TRT_OK;
}

static int32_t check_index(const cctv_trt_engine* engine, int32_t index) {
  if (!engine) return fail(CCTV_TRT_E_ARGUMENT, "engine is null");
  if (index < 0 || index >= engine->count) return fail(CCTV_TRT_E_ARGUMENT, "tensor index %d is out of range (the engine has %d)", index, engine->count);
  return CCTV_TRT_OK;
}

int32_t cctv_trt_tensor_info(const cctv_trt_engine* engine, int32_t index, const char** name, int32_t* is_input, int32_t* dtype, int32_t* nb_dims, int64_t* dims) {
  int32_t status = check_index(engine, index);
  if (status != CCTV_TRT_OK) return status;
  const tensor_t* tensor = &engine->tensors[index];
  if (name) *name = tensor->name;
  if (is_input) *is_input = tensor->is_input;
  if (dtype) *dtype = trt_type(tensor->onnx_type);
  if (nb_dims) *nb_dims = tensor->nb_dims;
  if (dims) {
    for (int32_t i = 0; i < CCTV_TRT_MAX_DIMS; i++) dims[i] = i < tensor->nb_dims ? tensor->dims[i] : 0;
  }
  return CCTV_TRT_OK;
}

int32_t cctv_trt_set_input_shape(cctv_trt_engine* engine, int32_t index, const int64_t* dims, int32_t nb_dims) {
  int32_t status = check_index(engine, index);
  if (status != CCTV_TRT_OK) return status;
  tensor_t* tensor = &engine->tensors[index];
  if (!tensor->is_input) return fail(CCTV_TRT_E_ARGUMENT, "\"%s\" is an output; only inputs take a shape", tensor->name);
  if (!dims || nb_dims != tensor->nb_dims) return fail(CCTV_TRT_E_SHAPE, "input \"%s\" has %d dimensions, not %d", tensor->name, tensor->nb_dims, nb_dims);
  for (int32_t i = 0; i < nb_dims; i++) {
    if (dims[i] < 0) return fail(CCTV_TRT_E_SHAPE, "input \"%s\": dimension %d is %lld", tensor->name, i, (long long)dims[i]);
    tensor->dims[i] = dims[i];
  }
  return CCTV_TRT_OK;
}

/* Copies one computed output into the tensor's own host buffer, growing it when needed. */
static int32_t keep_output(tensor_t* tensor, OrtValue* value) {
  OrtTensorTypeAndShapeInfo* shape = NULL;
  CHECK(ort->GetTensorTypeAndShape(value, &shape), "reading an output shape");
  size_t nb_dims = 0;
  int32_t status = check(ort->GetDimensionsCount(shape, &nb_dims), "reading an output shape");
  if (status == CCTV_TRT_OK && nb_dims > CCTV_TRT_MAX_DIMS) status = fail(CCTV_TRT_E_SHAPE, "output \"%s\" has %zu dimensions", tensor->name, nb_dims);
  if (status == CCTV_TRT_OK) status = check(ort->GetDimensions(shape, tensor->dims, nb_dims), "reading an output shape");
  ort->ReleaseTensorTypeAndShapeInfo(shape);
  if (status != CCTV_TRT_OK) return status;
  tensor->nb_dims = (int32_t)nb_dims;
  size_t count = 1;
  for (size_t i = 0; i < nb_dims; i++) count *= (size_t)tensor->dims[i];
  size_t size = element_size(tensor->onnx_type);
  if (!size) return fail(CCTV_TRT_E_ARGUMENT, "output \"%s\" has an element type (ONNX %d) this shim cannot copy", tensor->name, (int)tensor->onnx_type);
  tensor->bytes = count * size;
  if (tensor->bytes > tensor->capacity) {
    void* grown = realloc(tensor->host, tensor->bytes);
    if (!grown) return fail(CCTV_TRT_E_MEMORY, "out of host memory for output \"%s\" (%zu bytes)", tensor->name, tensor->bytes);
    tensor->host = grown;
    tensor->capacity = tensor->bytes;
  }
  void* data = NULL;
  CHECK(ort->GetTensorMutableData(value, &data), "reading an output");
  if (tensor->bytes) memcpy(tensor->host, data, tensor->bytes);
  return CCTV_TRT_OK;
}

int32_t cctv_trt_run(cctv_trt_engine* engine, const void* input, uint64_t input_bytes) {
  if (!engine || !input) return fail(CCTV_TRT_E_ARGUMENT, "engine and input must not be null");
  int32_t inputs = engine->count - engine->outputs;
  if (inputs != 1) return fail(CCTV_TRT_E_ARGUMENT, "the engine has %d inputs; cctv_trt_run feeds one", inputs);
  tensor_t* in = &engine->tensors[0];
  size_t count = 1;
  for (int32_t i = 0; i < in->nb_dims; i++) {
    if (in->dims[i] < 0) return fail(CCTV_TRT_E_SHAPE, "input \"%s\" has a dynamic shape: set it with cctv_trt_set_input_shape first", in->name);
    count *= (size_t)in->dims[i];
  }
  size_t bytes = count * element_size(in->onnx_type);
  if (!bytes || input_bytes != bytes) return fail(CCTV_TRT_E_ARGUMENT, "input \"%s\" takes %zu bytes, got %llu", in->name, bytes, (unsigned long long)input_bytes);

  /* The caller's memory is the input tensor: no copy (the CPU has no device to copy it to). */
  OrtValue* value = NULL;
  CHECK(ort->CreateTensorWithDataAsOrtValue(engine->cpu, (void*)input, bytes, in->dims, (size_t)in->nb_dims, in->onnx_type, &value), "creating the input tensor");
  const char* input_name = in->name;
  const OrtValue* const feeds[1] = {value};
  for (int32_t i = 0; i < engine->outputs; i++) engine->output_values[i] = NULL;
  int32_t status = check(ort->Run(engine->session, NULL, &input_name, feeds, 1, engine->output_names, (size_t)engine->outputs, engine->output_values), "Run");
  ort->ReleaseValue(value);
  for (int32_t i = 0; i < engine->outputs; i++) {
    if (status == CCTV_TRT_OK) status = keep_output(&engine->tensors[inputs + i], engine->output_values[i]);
    if (engine->output_values[i]) ort->ReleaseValue(engine->output_values[i]);
    engine->output_values[i] = NULL;
  }
  return status;
}

int32_t cctv_trt_output(const cctv_trt_engine* engine, int32_t index, void** data, uint64_t* bytes) {
  int32_t status = check_index(engine, index);
  if (status != CCTV_TRT_OK) return status;
  const tensor_t* tensor = &engine->tensors[index];
  if (tensor->is_input) return fail(CCTV_TRT_E_ARGUMENT, "\"%s\" is an input", tensor->name);
  if (!data || !bytes) return fail(CCTV_TRT_E_ARGUMENT, "data and bytes must not be null");
  *data = tensor->host;
  *bytes = tensor->bytes;
  return CCTV_TRT_OK;
}
