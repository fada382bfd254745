export { backendForModel, loadDetector, onnxBeside } from './detector.ts';
export type { BackendChoice, DetectOverrides, DetectTimings, Detector, DetectorOptions } from './detector.ts';
export type { BackendLoader, BackendOptions, InferenceBackend, OutputTensor, TensorInfo } from './backend.ts';
export { loadOnnxRuntimeBackend } from './onnxruntime-backend.ts';
export {
  createTensorRtBackendLoader,
  DEFAULT_TENSORRT_SHIM,
  loadTensorRtBackend,
  tensorRtShimPath,
  tensorRtShimProblem,
  TensorRtUnavailableError,
} from './tensorrt-backend.ts';
export type { TensorRtBackendOptions } from './tensorrt-backend.ts';
export { parseEngineFile, writeEngineFile } from './engine-file.ts';
export type { EngineFile } from './engine-file.ts';
export { DetectorError, ModelNotFoundError } from './errors.ts';
export type { OutputLayout } from './decode.ts';
export type { InputConvention } from './letterbox.ts';
export { COCO_CLASSES } from './class-names.ts';
export { intersectionOverUnion, nonMaxSuppression } from './nms.ts';
export { classColour, drawDetections } from './overlay.ts';
export type { Detection, RgbImage } from '@cctv/frame-buffer';
