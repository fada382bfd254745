import { isAbsolute, resolve } from 'node:path';

/** Anything wrong with a model or its options: the message names the file and the problem. */
export class DetectorError extends Error {
  override name = 'DetectorError';
}

/** No file at the model path: the message says where it looked and where to read how to make one. */
export class ModelNotFoundError extends DetectorError {
  override name = 'ModelNotFoundError';
  /** The absolute path that was looked at. */
  readonly resolvedPath: string;

  constructor(readonly modelPath: string) {
    const resolvedPath = resolve(modelPath);
    const relative = isAbsolute(modelPath) ? '' : ' (a relative path is taken from the working directory)';
    super(`model file not found: ${resolvedPath}${relative}; models/README.md says where models go and how to export one`);
    this.resolvedPath = resolvedPath;
  }
}
