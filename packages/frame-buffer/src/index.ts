export { FrameBuffer, FrameBufferClosedError } from './frame-buffer.ts';
export { RateMeter } from './rate-meter.ts';
export { drawStamp, readStamp, stampGeometry, stampSeqDelta, STAMP_MIN_WIDTH, STAMP_SEQ_BITS, STAMP_TIME_BITS } from './stamp.ts';
export type { Stamp, StampImage } from './stamp.ts';
export type { Detection, Frame, FrameInput, FrameBufferOptions, FrameBufferStats } from './frame-buffer.ts';
export { drawLine, drawText, fillCircle, fillRect, FONT_HEIGHT, FONT_WIDTH, measureText, strokeRect } from './raster.ts';
export type { Rgb, RgbImage, TextOptions } from './raster.ts';
