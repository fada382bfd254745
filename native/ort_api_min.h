/*
 * The part of ONNX Runtime's C API that onnxruntime_shim.c calls, declared here because the npm
 * package onnxruntime-node ships libonnxruntime.so.1 but not its header, and Debian 12 packages
 * no onnxruntime. Written for ORT_API_VERSION 30 (onnxruntime 1.30, the version onnxruntime-node
 * 1.30.0 ships).
 *
 * OrtApi is a struct of function pointers whose order never changes between releases (new
 * functions are only appended), so a prefix of it, with every member up to the last one used in
 * the real header's order, has the real layout. Members this shim does not call are kept as
 * untyped slots under their real names, so the order can be checked against
 * include/onnxruntime/core/session/onnxruntime_c_api.h (struct OrtApi) member by member; the
 * numbers are the members' indices. Checked against the 1.30 header text; the tests then run every
 * member used here on real models.
 */
#ifndef CCTV_ORT_API_MIN_H
#define CCTV_ORT_API_MIN_H

#include <stddef.h>
#include <stdint.h>

#define CCTV_ORT_API_VERSION 30

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtAllocator OrtAllocator;

/* Enum values as the header defines them. */
typedef enum ONNXTensorElementDataType {
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED = 0,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 = 2,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 = 3,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 = 4,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 = 5,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 = 6,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 = 7,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING = 8,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL = 9,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 = 10,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE = 11,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 = 12,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 = 13,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64 = 14,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128 = 15,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 = 16
} ONNXTensorElementDataType;

typedef enum OrtLoggingLevel {
  ORT_LOGGING_LEVEL_VERBOSE = 0,
  ORT_LOGGING_LEVEL_INFO = 1,
  ORT_LOGGING_LEVEL_WARNING = 2,
  ORT_LOGGING_LEVEL_ERROR = 3,
  ORT_LOGGING_LEVEL_FATAL = 4
} OrtLoggingLevel;

typedef enum GraphOptimizationLevel { ORT_DISABLE_ALL = 0, ORT_ENABLE_BASIC = 1, ORT_ENABLE_EXTENDED = 2, ORT_ENABLE_ALL = 99 } GraphOptimizationLevel;
typedef enum ExecutionMode { ORT_SEQUENTIAL = 0, ORT_PARALLEL = 1 } ExecutionMode;
typedef enum OrtAllocatorType { OrtInvalidAllocator = -1, OrtDeviceAllocator = 0, OrtArenaAllocator = 1 } OrtAllocatorType;
typedef enum OrtMemType { OrtMemTypeCPUInput = -2, OrtMemTypeCPUOutput = -1, OrtMemTypeDefault = 0 } OrtMemType;

/* A member this shim never calls: only its size (one function pointer) matters. */
typedef void (*OrtUnusedFn)(void);

typedef struct OrtApi {
  /*   0 */ OrtUnusedFn CreateStatus;
  /*   1 */ OrtUnusedFn GetErrorCode;
  /*   2 */ const char* (*GetErrorMessage)(const OrtStatus* status);
  /*   3 */ OrtStatus* (*CreateEnv)(OrtLoggingLevel log_severity_level, const char* logid, OrtEnv** out);
  /*   4 */ OrtUnusedFn CreateEnvWithCustomLogger;
  /*   5 */ OrtUnusedFn EnableTelemetryEvents;
  /*   6 */ OrtUnusedFn DisableTelemetryEvents;
  /*   7 */ OrtUnusedFn CreateSession;
  /*   8 */ OrtStatus* (*CreateSessionFromArray)(const OrtEnv* env, const void* model_data, size_t model_data_length, const OrtSessionOptions* options, OrtSession** out);
  /*   9 */ OrtStatus* (*Run)(OrtSession* session, const OrtRunOptions* run_options, const char* const* input_names, const OrtValue* const* inputs, size_t input_len, const char* const* output_names, size_t output_names_len, OrtValue** outputs);
  /*  10 */ OrtStatus* (*CreateSessionOptions)(OrtSessionOptions** options);
  /*  11 */ OrtUnusedFn SetOptimizedModelFilePath;
  /*  12 */ OrtUnusedFn CloneSessionOptions;
  /*  13 */ OrtStatus* (*SetSessionExecutionMode)(OrtSessionOptions* options, ExecutionMode execution_mode);
  /*  14 */ OrtUnusedFn EnableProfiling;
  /*  15 */ OrtUnusedFn DisableProfiling;
  /*  16 */ OrtUnusedFn EnableMemPattern;
  /*  17 */ OrtUnusedFn DisableMemPattern;
  /*  18 */ OrtUnusedFn EnableCpuMemArena;
  /*  19 */ OrtUnusedFn DisableCpuMemArena;
  /*  20 */ OrtUnusedFn SetSessionLogId;
  /*  21 */ OrtUnusedFn SetSessionLogVerbosityLevel;
  /*  22 */ OrtUnusedFn SetSessionLogSeverityLevel;
  /*  23 */ OrtStatus* (*SetSessionGraphOptimizationLevel)(OrtSessionOptions* options, GraphOptimizationLevel graph_optimization_level);
  /*  24 */ OrtStatus* (*SetIntraOpNumThreads)(OrtSessionOptions* options, int intra_op_num_threads);
  /*  25 */ OrtStatus* (*SetInterOpNumThreads)(OrtSessionOptions* options, int inter_op_num_threads);
  /*  26 */ OrtUnusedFn CreateCustomOpDomain;
  /*  27 */ OrtUnusedFn CustomOpDomain_Add;
  /*  28 */ OrtUnusedFn AddCustomOpDomain;
  /*  29 */ OrtUnusedFn RegisterCustomOpsLibrary;
  /*  30 */ OrtStatus* (*SessionGetInputCount)(const OrtSession* session, size_t* out);
  /*  31 */ OrtStatus* (*SessionGetOutputCount)(const OrtSession* session, size_t* out);
  /*  32 */ OrtUnusedFn SessionGetOverridableInitializerCount;
  /*  33 */ OrtStatus* (*SessionGetInputTypeInfo)(const OrtSession* session, size_t index, OrtTypeInfo** type_info);
  /*  34 */ OrtStatus* (*SessionGetOutputTypeInfo)(const OrtSession* session, size_t index, OrtTypeInfo** type_info);
  /*  35 */ OrtUnusedFn SessionGetOverridableInitializerTypeInfo;
  /*  36 */ OrtStatus* (*SessionGetInputName)(const OrtSession* session, size_t index, OrtAllocator* allocator, char** value);
  /*  37 */ OrtStatus* (*SessionGetOutputName)(const OrtSession* session, size_t index, OrtAllocator* allocator, char** value);
  /*  38 */ OrtUnusedFn SessionGetOverridableInitializerName;
  /*  39 */ OrtUnusedFn CreateRunOptions;
  /*  40 */ OrtUnusedFn RunOptionsSetRunLogVerbosityLevel;
  /*  41 */ OrtUnusedFn RunOptionsSetRunLogSeverityLevel;
  /*  42 */ OrtUnusedFn RunOptionsSetRunTag;
  /*  43 */ OrtUnusedFn RunOptionsGetRunLogVerbosityLevel;
  /*  44 */ OrtUnusedFn RunOptionsGetRunLogSeverityLevel;
  /*  45 */ OrtUnusedFn RunOptionsGetRunTag;
  /*  46 */ OrtUnusedFn RunOptionsSetTerminate;
  /*  47 */ OrtUnusedFn RunOptionsUnsetTerminate;
  /*  48 */ OrtUnusedFn CreateTensorAsOrtValue;
  /*  49 */ OrtStatus* (*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo* info, void* p_data, size_t p_data_len, const int64_t* shape, size_t shape_len, ONNXTensorElementDataType type, OrtValue** out);
  /*  50 */ OrtUnusedFn IsTensor;
  /*  51 */ OrtStatus* (*GetTensorMutableData)(OrtValue* value, void** out);
  /*  52 */ OrtUnusedFn FillStringTensor;
  /*  53 */ OrtUnusedFn GetStringTensorDataLength;
  /*  54 */ OrtUnusedFn GetStringTensorContent;
  /*  55 */ OrtStatus* (*CastTypeInfoToTensorInfo)(const OrtTypeInfo* type_info, const OrtTensorTypeAndShapeInfo** out);
  /*  56 */ OrtUnusedFn GetOnnxTypeFromTypeInfo;
  /*  57 */ OrtUnusedFn CreateTensorTypeAndShapeInfo;
  /*  58 */ OrtUnusedFn SetTensorElementType;
  /*  59 */ OrtUnusedFn SetDimensions;
  /*  60 */ OrtStatus* (*GetTensorElementType)(const OrtTensorTypeAndShapeInfo* info, ONNXTensorElementDataType* out);
  /*  61 */ OrtStatus* (*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo* info, size_t* out);
  /*  62 */ OrtStatus* (*GetDimensions)(const OrtTensorTypeAndShapeInfo* info, int64_t* dim_values, size_t dim_values_length);
  /*  63 */ OrtUnusedFn GetSymbolicDimensions;
  /*  64 */ OrtUnusedFn GetTensorShapeElementCount;
  /*  65 */ OrtStatus* (*GetTensorTypeAndShape)(const OrtValue* value, OrtTensorTypeAndShapeInfo** out);
  /*  66 */ OrtUnusedFn GetTypeInfo;
  /*  67 */ OrtUnusedFn GetValueType;
  /*  68 */ OrtUnusedFn CreateMemoryInfo;
  /*  69 */ OrtStatus* (*CreateCpuMemoryInfo)(OrtAllocatorType type, OrtMemType mem_type, OrtMemoryInfo** out);
  /*  70 */ OrtUnusedFn CompareMemoryInfo;
  /*  71 */ OrtUnusedFn MemoryInfoGetName;
  /*  72 */ OrtUnusedFn MemoryInfoGetId;
  /*  73 */ OrtUnusedFn MemoryInfoGetMemType;
  /*  74 */ OrtUnusedFn MemoryInfoGetType;
  /*  75 */ OrtUnusedFn AllocatorAlloc;
  /*  76 */ OrtStatus* (*AllocatorFree)(OrtAllocator* ort_allocator, void* p);
  /*  77 */ OrtUnusedFn AllocatorGetInfo;
  /*  78 */ OrtStatus* (*GetAllocatorWithDefaultOptions)(OrtAllocator** out);
  /*  79 */ OrtUnusedFn AddFreeDimensionOverride;
  /*  80 */ OrtUnusedFn GetValue;
  /*  81 */ OrtUnusedFn GetValueCount;
  /*  82 */ OrtUnusedFn CreateValue;
  /*  83 */ OrtUnusedFn CreateOpaqueValue;
  /*  84 */ OrtUnusedFn GetOpaqueValue;
  /*  85 */ OrtUnusedFn KernelInfoGetAttribute_float;
  /*  86 */ OrtUnusedFn KernelInfoGetAttribute_int64;
  /*  87 */ OrtUnusedFn KernelInfoGetAttribute_string;
  /*  88 */ OrtUnusedFn KernelContext_GetInputCount;
  /*  89 */ OrtUnusedFn KernelContext_GetOutputCount;
  /*  90 */ OrtUnusedFn KernelContext_GetInput;
  /*  91 */ OrtUnusedFn KernelContext_GetOutput;
  /*  92 */ void (*ReleaseEnv)(OrtEnv* input);
  /*  93 */ void (*ReleaseStatus)(OrtStatus* input);
  /*  94 */ void (*ReleaseMemoryInfo)(OrtMemoryInfo* input);
  /*  95 */ void (*ReleaseSession)(OrtSession* input);
  /*  96 */ void (*ReleaseValue)(OrtValue* input);
  /*  97 */ OrtUnusedFn ReleaseRunOptions;
  /*  98 */ void (*ReleaseTypeInfo)(OrtTypeInfo* input);
  /*  99 */ void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo* input);
  /* 100 */ void (*ReleaseSessionOptions)(OrtSessionOptions* input);
  /* 101 */ OrtUnusedFn ReleaseCustomOpDomain;
  /* 102 */ OrtUnusedFn GetDenotationFromTypeInfo;
  /* 103 */ OrtUnusedFn CastTypeInfoToMapTypeInfo;
  /* 104 */ OrtUnusedFn CastTypeInfoToSequenceTypeInfo;
  /* 105 */ OrtUnusedFn GetMapKeyType;
  /* 106 */ OrtUnusedFn GetMapValueType;
  /* 107 */ OrtUnusedFn GetSequenceElementType;
  /* 108 */ OrtUnusedFn ReleaseMapTypeInfo;
  /* 109 */ OrtUnusedFn ReleaseSequenceTypeInfo;
  /* 110 */ OrtUnusedFn SessionEndProfiling;
  /* 111 */ OrtUnusedFn SessionGetModelMetadata;
  /* 112 */ OrtUnusedFn ModelMetadataGetProducerName;
  /* 113 */ OrtUnusedFn ModelMetadataGetGraphName;
  /* 114 */ OrtUnusedFn ModelMetadataGetDomain;
  /* 115 */ OrtUnusedFn ModelMetadataGetDescription;
  /* 116 */ OrtUnusedFn ModelMetadataLookupCustomMetadataMap;
  /* 117 */ OrtUnusedFn ModelMetadataGetVersion;
  /* 118 */ OrtUnusedFn ReleaseModelMetadata;
  /* 119 */ OrtUnusedFn CreateEnvWithGlobalThreadPools;
  /* 120 */ OrtUnusedFn DisablePerSessionThreads;
  /* 121 */ OrtUnusedFn CreateThreadingOptions;
  /* 122 */ OrtUnusedFn ReleaseThreadingOptions;
  /* 123 */ OrtUnusedFn ModelMetadataGetCustomMetadataMapKeys;
  /* 124 */ OrtUnusedFn AddFreeDimensionOverrideByName;
  /* 125 */ OrtUnusedFn GetAvailableProviders;
  /* 126 */ OrtUnusedFn ReleaseAvailableProviders;
  /* 127 */ OrtUnusedFn GetStringTensorElementLength;
  /* 128 */ OrtUnusedFn GetStringTensorElement;
  /* 129 */ OrtUnusedFn FillStringTensorElement;
  /* 130 */ OrtStatus* (*AddSessionConfigEntry)(OrtSessionOptions* options, const char* config_key, const char* config_value);
  /* ... members 131 and later are not declared: this struct is only ever used through a pointer. */
} OrtApi;

typedef struct OrtApiBase {
  const OrtApi* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)(void);
} OrtApiBase;

const OrtApiBase* OrtGetApiBase(void);

#endif /* CCTV_ORT_API_MIN_H */
