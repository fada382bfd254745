import type { VideoCodec } from '@cctv/rtsp';
import { GST_FRAMES_FD } from './gstreamer.ts';

/**
 * What follows every access unit on the decoder's stdin: two access unit delimiters. A byte-stream
 * parser (GStreamer's h264parse/h265parse, ffmpeg's) ends an access unit only when it sees the next
 * one begin, and h264parse 1.22 further wants the NAL unit that begins it complete (the start code
 * after it) and 6 bytes past it. The first delimiter ends this access unit at once; the second,
 * whose own end is the next access unit's start code, completes the first. Measured (stamped
 * camera, 720p 15 fps, camera's H.264 out → RGB frame on our pipe, p50): GStreamer 78 ms without
 * them (one frame held), 12 ms with; ffmpeg 5.1 145 ms without, 77 ms with. Decoders ignore AUDs.
 */
const AU_TAIL: Record<VideoCodec, Uint8Array> = {
  // nal_unit_type 9, primary_pic_type 7 (any slice type), stop bit.
  h264: Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x09, 0xf0),
  // nal_unit_type 35, layer 0, temporal id 1; pic_type 2 (any), stop bit.
  h265: Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50, 0, 0, 0, 1, 0x46, 0x01, 0x50),
};

/** One access unit as the decoder child reads it: its Annex-B bytes, then the delimiters that end it. */
export function decoderInput(codec: VideoCodec, data: Uint8Array): Uint8Array[] {
  return [data, AU_TAIL[codec]];
}

/**
 * gst-launch-1.0 arguments that decode an H.264/H.265 byte stream on stdin to packed RGB on fd 3.
 * The caps say what the bytes are (fdsrc says nothing); `max-threads=1`: in a pipeline that is not
 * live, avdec's default frame threading holds a frame per extra thread (measured 145 ms against
 * 12 ms with one thread, 720p).
 */
export function gstreamerDecoderArgs(codec: VideoCodec, width: number, height: number): string[] {
  const [caps, parse, decode] = codec === 'h264' ? ['video/x-h264', 'h264parse', 'avdec_h264'] : ['video/x-h265', 'h265parse', 'avdec_h265'];
  return [
    '-v', '-f', '-X', 'stats',
    'fdsrc', 'fd=0',
    '!', `${caps},stream-format=byte-stream,width=${width},height=${height},framerate=0/1`,
    '!', parse,
    '!', decode, 'max-threads=1',
    '!', 'videoconvert',
    '!', 'video/x-raw,format=RGB',
    '!', 'fdsink', 'name=frames', `fd=${GST_FRAMES_FD}`, 'sync=false',
  ];
}

/**
 * ffmpeg arguments that decode an H.264/H.265 byte stream on stdin to rgb24 on stdout. The probe
 * is cut short: the first access unit is a keyframe with its parameter sets, all ffmpeg needs.
 */
export function ffmpegDecoderArgs(codec: VideoCodec): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'info',
    '-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer', '-flags', 'low_delay',
    '-f', codec === 'h264' ? 'h264' : 'hevc', '-i', 'pipe:0',
    '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

/**
 * The environment a decoder child gets: where programs, libraries and GStreamer plugins are, the
 * locale, and HOME/XDG_CACHE_HOME for GStreamer's plugin registry cache (without it every start
 * rescans the plugins). Never the whole of ours: it holds the server's secrets (CCTV_*).
 */
export function decoderEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (KEPT.has(name) || name.startsWith('LC_') || /^GST_(PLUGIN_PATH|PLUGIN_SYSTEM_PATH|PLUGIN_SCANNER|REGISTRY)/.test(name)) {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}

const KEPT = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'XDG_CACHE_HOME', 'LD_LIBRARY_PATH']);
