export { MjpegClient, mjpegResponse, partHeader, MJPEG_BOUNDARY, MJPEG_HEADERS } from './mjpeg.ts';
export type { FrameSource, MjpegClientOptions, MjpegClientStats } from './mjpeg.ts';
export { createJpegEncoder, TURBOJPEG_LIBRARY } from './jpeg-encoder.ts';
export type { CreatedJpegEncoder, JpegEncoder, JpegEncoderChoice, JpegEncoderOptions } from './jpeg-encoder.ts';
