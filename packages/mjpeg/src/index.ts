export { MjpegClient, mjpegResponse, partHeader, MJPEG_BOUNDARY, MJPEG_HEADERS } from './mjpeg.ts';
export type { FrameSource, MjpegClientOptions, MjpegClientStats } from './mjpeg.ts';
