import { resolve } from 'node:path';
import { freeLoopbackPort, launchCameraProcess, stopCameraProcess } from './rtsp-camera.ts';

const SCRIPT = resolve(import.meta.dirname, '../camera/rtsp-clips.py');
const PYTHON = process.env.TESTBED_PYTHON ?? '/usr/bin/python3';

export interface RtspCamerasOptions {
  /** How many cameras (mounts /cam1 … /camN). */
  count: number;
  /** An MP4 with H.264 video (e.g. fixturePath('video/people-720p.mp4')): served as it is, looped, never re-encoded. */
  video: string;
  /** Loopback port; a free one is picked when omitted. */
  port?: number;
}

export interface RtspCameras {
  /** One URL per camera, rtsp://127.0.0.1:PORT/camN. */
  urls: string[];
  port: number;
  /** Kills the server (SIGTERM, SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Many cheap RTSP cameras from one GStreamer RTSP server process: a pre-encoded clip, read into
 * memory once and looped, one mount per camera, each starting at another keyframe. No camera
 * encodes, so 16 of them cost the machine little more than one (for many-camera benchmarks).
 */
export async function startRtspCameras(options: RtspCamerasOptions): Promise<RtspCameras> {
  const port = options.port ?? (await freeLoopbackPort());
  const proc = await launchCameraProcess([PYTHON, SCRIPT, '--port', String(port), '--count', String(options.count), '--video', options.video], () => {});
  return {
    urls: Array.from({ length: options.count }, (_, i) => `rtsp://127.0.0.1:${port}/cam${i + 1}`),
    port,
    stop: () => stopCameraProcess(proc),
  };
}
