// The cctv_trt C ABI (cctv_trt.h) over TensorRT's C++ runtime, for bun:ffi.
//
// Uses only what TensorRT 10.3 (JetPack 6) and 11.1 share: createInferRuntime,
// IRuntime::deserializeCudaEngine(blob, size), the name-based I/O tensor API (getNbIOTensors,
// getIOTensorName, getTensorIOMode, getTensorDataType, getTensorShape), setInputShape,
// setTensorAddress and enqueueV3; objects are released with delete (destroy() is gone since 10.0).
// CUDA: cudaMalloc/cudaFree, cudaMemcpyAsync, cudaStreamCreate/Synchronize/Destroy, cudaGetErrorString.
#include "cctv_trt.h"

#include <NvInferRuntime.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace {

thread_local std::string lastError;

int32_t fail(int32_t status, std::string message) {
  lastError = std::move(message);
  return status;
}

// TensorRT says why a call failed through its logger, not its return value: the errors and
// warnings logged since the operation began are kept and added to the failure's message.
class Logger : public nvinfer1::ILogger {
 public:
  void log(Severity severity, nvinfer1::AsciiChar const* message) noexcept override {
    if (severity > Severity::kWARNING) return;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!recent_.empty()) recent_ += "; ";
      recent_ += message;
      if (recent_.size() > 4000) recent_.erase(0, recent_.size() - 4000);
    } catch (...) {
      // A message lost to a failed allocation is not worth failing inference for.
    }
  }

  /** The messages logged since the last call, emptied. */
  std::string take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    out.swap(recent_);
    return out;
  }

 private:
  std::mutex mutex_;
  std::string recent_;
};

std::string withLog(std::string message, Logger& logger) {
  std::string logged = logger.take();
  if (!logged.empty()) message += " (TensorRT: " + logged + ")";
  return message;
}

std::string cudaFailure(const char* what, cudaError_t error) {
  return std::string(what) + " failed: " + cudaGetErrorString(error) + " (CUDA error " + std::to_string(static_cast<int>(error)) + ")";
}

// Bytes per element; 0 for types this shim does not move (sub-byte INT4/FP4 and later additions).
size_t elementSize(nvinfer1::DataType type) {
  switch (type) {
    case nvinfer1::DataType::kFLOAT:
    case nvinfer1::DataType::kINT32:
      return 4;
    case nvinfer1::DataType::kHALF:
    case nvinfer1::DataType::kBF16:
      return 2;
    case nvinfer1::DataType::kINT8:
    case nvinfer1::DataType::kBOOL:
    case nvinfer1::DataType::kUINT8:
    case nvinfer1::DataType::kFP8:
      return 1;
    case nvinfer1::DataType::kINT64:
      return 8;
    default:
      return 0;
  }
}

std::string shapeText(nvinfer1::Dims const& dims) {
  std::string text = "[";
  for (int32_t i = 0; i < dims.nbDims; i++) text += (i ? "," : "") + std::to_string(dims.d[i]);
  return text + "]";
}

struct Tensor {
  std::string name;
  bool isInput = false;
  nvinfer1::DataType type = nvinfer1::DataType::kFLOAT;
  size_t bytes = 0;     // of the current shape
  size_t capacity = 0;  // of the buffers below
  void* device = nullptr;
  std::vector<unsigned char> host;  // outputs only: the copy the caller reads
};

}  // namespace

struct cctv_trt_engine {
  Logger logger;
  nvinfer1::IRuntime* runtime = nullptr;
  nvinfer1::ICudaEngine* engine = nullptr;
  nvinfer1::IExecutionContext* context = nullptr;
  cudaStream_t stream = nullptr;
  std::vector<Tensor> tensors;

  ~cctv_trt_engine() {
    for (Tensor& tensor : tensors) {
      if (tensor.device) cudaFree(tensor.device);
    }
    if (stream) cudaStreamDestroy(stream);
    delete context;
    delete engine;
    delete runtime;
  }

  /** Sizes every buffer to its tensor's current shape; fails when a shape is still unknown. */
  int32_t ensureBuffers() {
    for (Tensor& tensor : tensors) {
      nvinfer1::Dims dims = context->getTensorShape(tensor.name.c_str());
      size_t count = 1;
      for (int32_t i = 0; i < dims.nbDims; i++) {
        if (dims.d[i] < 0) {
          return fail(CCTV_TRT_E_SHAPE, tensor.isInput ? "input \"" + tensor.name + "\" has a dynamic shape " + shapeText(dims) + ": set it with cctv_trt_set_input_shape first"
                                                       : "output \"" + tensor.name + "\" has a data-dependent shape " + shapeText(dims) + ", which this shim does not support");
        }
        count *= static_cast<size_t>(dims.d[i]);
      }
      size_t size = elementSize(tensor.type);
      if (size == 0) return fail(CCTV_TRT_E_ARGUMENT, "tensor \"" + tensor.name + "\" has an element type (" + std::to_string(static_cast<int>(tensor.type)) + ") this shim cannot copy");
      tensor.bytes = count * size;
      if (tensor.bytes > tensor.capacity || !tensor.device) {
        if (tensor.device) cudaFree(tensor.device);
        tensor.device = nullptr;
        tensor.capacity = 0;
        cudaError_t error = cudaMalloc(&tensor.device, tensor.bytes ? tensor.bytes : 1);
        if (error != cudaSuccess) return fail(CCTV_TRT_E_CUDA, cudaFailure(("cudaMalloc of " + std::to_string(tensor.bytes) + " bytes for \"" + tensor.name + "\"").c_str(), error));
        tensor.capacity = tensor.bytes;
        if (!context->setTensorAddress(tensor.name.c_str(), tensor.device)) return fail(CCTV_TRT_E_RUNTIME, withLog("setTensorAddress(\"" + tensor.name + "\") failed", logger));
      }
      if (!tensor.isInput) tensor.host.resize(tensor.bytes);
    }
    return CCTV_TRT_OK;
  }
};

namespace {

template <typename Body>
int32_t guarded(Body body) noexcept {
  try {
    return body();
  } catch (std::bad_alloc const&) {
    return fail(CCTV_TRT_E_MEMORY, "out of host memory");
  } catch (std::exception const& error) {
    return fail(CCTV_TRT_E_RUNTIME, error.what());
  } catch (...) {
    return fail(CCTV_TRT_E_RUNTIME, "unknown C++ exception");
  }
}

int32_t checkIndex(const cctv_trt_engine* engine, int32_t index) {
  if (!engine) return fail(CCTV_TRT_E_ARGUMENT, "engine is null");
  if (index < 0 || static_cast<size_t>(index) >= engine->tensors.size()) {
    return fail(CCTV_TRT_E_ARGUMENT, "tensor index " + std::to_string(index) + " is out of range (the engine has " + std::to_string(engine->tensors.size()) + ")");
  }
  return CCTV_TRT_OK;
}

}  // namespace

extern "C" {

int32_t cctv_trt_abi_version(void) { return CCTV_TRT_ABI_VERSION; }

const char* cctv_trt_last_error(void) { return lastError.c_str(); }

int32_t cctv_trt_runtime_info(const char** name, const char** device) {
  return guarded([&]() -> int32_t {
    static std::string const version = "TensorRT " + std::to_string(getInferLibMajorVersion()) + "." + std::to_string(getInferLibMinorVersion()) + "." + std::to_string(getInferLibPatchVersion());
    if (name) *name = version.c_str();
    if (device) *device = "cuda";
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_create(const void* data, uint64_t size, int32_t /*threads*/, int32_t /*spin_wait*/, cctv_trt_engine** out) {
  return guarded([&]() -> int32_t {
    if (!data || !size || !out) return fail(CCTV_TRT_E_ARGUMENT, "cctv_trt_create needs the engine bytes and an out pointer");
    *out = nullptr;
    auto* shim = new cctv_trt_engine();
    auto failWith = [&](int32_t status, std::string message) {
      delete shim;
      return fail(status, std::move(message));
    };
    shim->runtime = nvinfer1::createInferRuntime(shim->logger);
    if (!shim->runtime) return failWith(CCTV_TRT_E_RUNTIME, withLog("createInferRuntime failed", shim->logger));
    shim->engine = shim->runtime->deserializeCudaEngine(data, static_cast<size_t>(size));
    if (!shim->engine) return failWith(CCTV_TRT_E_RUNTIME, withLog("deserializeCudaEngine failed: the file is no engine this TensorRT and GPU can run (engines are tied to the TensorRT version and GPU they were built with)", shim->logger));
    shim->context = shim->engine->createExecutionContext();
    if (!shim->context) return failWith(CCTV_TRT_E_RUNTIME, withLog("createExecutionContext failed", shim->logger));
    cudaError_t error = cudaStreamCreate(&shim->stream);
    if (error != cudaSuccess) return failWith(CCTV_TRT_E_CUDA, cudaFailure("cudaStreamCreate", error));

    bool shapesKnown = true;
    int32_t count = shim->engine->getNbIOTensors();
    for (int32_t i = 0; i < count; i++) {
      Tensor tensor;
      tensor.name = shim->engine->getIOTensorName(i);
      tensor.isInput = shim->engine->getTensorIOMode(tensor.name.c_str()) == nvinfer1::TensorIOMode::kINPUT;
      tensor.type = shim->engine->getTensorDataType(tensor.name.c_str());
      nvinfer1::Dims dims = shim->context->getTensorShape(tensor.name.c_str());
      for (int32_t d = 0; d < dims.nbDims; d++) shapesKnown = shapesKnown && (!tensor.isInput || dims.d[d] >= 0);
      shim->tensors.push_back(std::move(tensor));
    }
    // Static shapes: allocate now, so a GPU without room fails the load rather than the first frame.
    if (shapesKnown) {
      int32_t status = shim->ensureBuffers();
      if (status != CCTV_TRT_OK) {
        std::string message = lastError;
        return failWith(status, message);
      }
    }
    shim->logger.take();
    *out = shim;
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_destroy(cctv_trt_engine* engine) {
  return guarded([&]() -> int32_t {
    delete engine;
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_tensor_count(const cctv_trt_engine* engine, int32_t* count) {
  if (!engine || !count) return fail(CCTV_TRT_E_ARGUMENT, "engine and count must not be null");
  *count = static_cast<int32_t>(engine->tensors.size());
  return CCTV_TRT_OK;
}

int32_t cctv_trt_tensor_info(const cctv_trt_engine* engine, int32_t index, const char** name, int32_t* is_input, int32_t* dtype, int32_t* nb_dims, int64_t* dims) {
  return guarded([&]() -> int32_t {
    int32_t status = checkIndex(engine, index);
    if (status != CCTV_TRT_OK) return status;
    Tensor const& tensor = engine->tensors[static_cast<size_t>(index)];
    if (name) *name = tensor.name.c_str();
    if (is_input) *is_input = tensor.isInput ? 1 : 0;
    if (dtype) *dtype = static_cast<int32_t>(tensor.type);
    nvinfer1::Dims shape = engine->context->getTensorShape(tensor.name.c_str());
    if (nb_dims) *nb_dims = shape.nbDims;
    if (dims) {
      for (int32_t i = 0; i < CCTV_TRT_MAX_DIMS; i++) dims[i] = i < shape.nbDims ? shape.d[i] : 0;
    }
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_set_input_shape(cctv_trt_engine* engine, int32_t index, const int64_t* dims, int32_t nb_dims) {
  return guarded([&]() -> int32_t {
    int32_t status = checkIndex(engine, index);
    if (status != CCTV_TRT_OK) return status;
    Tensor const& tensor = engine->tensors[static_cast<size_t>(index)];
    if (!tensor.isInput) return fail(CCTV_TRT_E_ARGUMENT, "\"" + tensor.name + "\" is an output; only inputs take a shape");
    if (!dims || nb_dims < 0 || nb_dims > CCTV_TRT_MAX_DIMS) return fail(CCTV_TRT_E_ARGUMENT, "a shape has 0 to 8 dimensions");
    nvinfer1::Dims shape{};
    shape.nbDims = nb_dims;
    for (int32_t i = 0; i < nb_dims; i++) shape.d[i] = dims[i];
    engine->logger.take();
    if (!engine->context->setInputShape(tensor.name.c_str(), shape)) {
      return fail(CCTV_TRT_E_SHAPE, withLog("setInputShape(\"" + tensor.name + "\", " + shapeText(shape) + ") was refused: outside the engine's optimization profile?", engine->logger));
    }
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_run(cctv_trt_engine* engine, const void* input, uint64_t input_bytes) {
  return guarded([&]() -> int32_t {
    if (!engine || !input) return fail(CCTV_TRT_E_ARGUMENT, "engine and input must not be null");
    Tensor* in = nullptr;
    for (Tensor& tensor : engine->tensors) {
      if (!tensor.isInput) continue;
      if (in) return fail(CCTV_TRT_E_ARGUMENT, "the engine has more than one input (\"" + in->name + "\", \"" + tensor.name + "\"); cctv_trt_run feeds one");
      in = &tensor;
    }
    if (!in) return fail(CCTV_TRT_E_ARGUMENT, "the engine has no input");
    engine->logger.take();
    int32_t status = engine->ensureBuffers();
    if (status != CCTV_TRT_OK) return status;
    if (input_bytes != in->bytes) {
      return fail(CCTV_TRT_E_ARGUMENT, "input \"" + in->name + "\" takes " + std::to_string(in->bytes) + " bytes, got " + std::to_string(input_bytes));
    }
    cudaError_t error = cudaMemcpyAsync(in->device, input, in->bytes, cudaMemcpyHostToDevice, engine->stream);
    if (error != cudaSuccess) return fail(CCTV_TRT_E_CUDA, cudaFailure("cudaMemcpyAsync (input to device)", error));
    if (!engine->context->enqueueV3(engine->stream)) {
      cudaStreamSynchronize(engine->stream);
      return fail(CCTV_TRT_E_RUNTIME, withLog("enqueueV3 failed", engine->logger));
    }
    for (Tensor& tensor : engine->tensors) {
      if (tensor.isInput || !tensor.bytes) continue;
      error = cudaMemcpyAsync(tensor.host.data(), tensor.device, tensor.bytes, cudaMemcpyDeviceToHost, engine->stream);
      if (error != cudaSuccess) {
        cudaStreamSynchronize(engine->stream);
        return fail(CCTV_TRT_E_CUDA, cudaFailure(("cudaMemcpyAsync (\"" + tensor.name + "\" to host)").c_str(), error));
      }
    }
    error = cudaStreamSynchronize(engine->stream);
    if (error != cudaSuccess) return fail(CCTV_TRT_E_CUDA, cudaFailure("cudaStreamSynchronize", error));
    return CCTV_TRT_OK;
  });
}

int32_t cctv_trt_output(const cctv_trt_engine* engine, int32_t index, void** data, uint64_t* bytes) {
  return guarded([&]() -> int32_t {
    int32_t status = checkIndex(engine, index);
    if (status != CCTV_TRT_OK) return status;
    Tensor const& tensor = engine->tensors[static_cast<size_t>(index)];
    if (tensor.isInput) return fail(CCTV_TRT_E_ARGUMENT, "\"" + tensor.name + "\" is an input");
    if (!data || !bytes) return fail(CCTV_TRT_E_ARGUMENT, "data and bytes must not be null");
    *data = const_cast<unsigned char*>(tensor.host.data());
    *bytes = tensor.host.size();
    return CCTV_TRT_OK;
  });
}

}  // extern "C"
