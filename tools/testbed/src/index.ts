export { startRtspCamera, freeLoopbackPort } from './rtsp-camera.ts';
export type { RtspCamera, RtspCameraOptions } from './rtsp-camera.ts';
export { readMjpegParts } from './mjpeg-reader.ts';
export type { MjpegPart, MjpegReadOptions, MjpegReadResult } from './mjpeg-reader.ts';
export { jpegSize } from './jpeg.ts';
export { fixturePath, fixturesDir } from './fixtures.ts';
export { childProcesses, listProcesses, processesMatching } from './processes.ts';
export type { ProcessInfo } from './processes.ts';
