/** Anything wrong with a model or its options: the message names the file and the problem. */
export class DetectorError extends Error {
  override name = 'DetectorError';
}
