import { existsSync } from 'node:fs';
import { redactUrl } from '@cctv/redact';
import { backendForModel, ModelNotFoundError, onnxBeside, tensorRtShimPath, tensorRtShimProblem } from '@cctv/detector';
import { integrationLines } from './integrations.ts';
import { securityStatus } from './auth.ts';
import { DOCS_PATH } from './openapi.ts';
import { redactSecrets } from './redact.ts';
import type { CameraConfig } from './config.ts';
import type { ServerState } from './state.ts';

/** The address people open: localhost when listening on every interface. */
export function baseUrl(state: ServerState): string {
  const { host, port } = state.config.server;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** The startup banner: where the dashboard, the API, the streams and Socket.IO answer, and what each camera runs. */
export function banner(state: ServerState, origin: string): string {
  const { host, port } = state.config.server;
  const base = baseUrl(state);
  const lines = [
    '',
    '🎥 CCTV stream server',
    `   Web:     ${base}/  (dashboard)`,
    `   API:     ${base}/api`,
    `   Stream:  ${base}/api/stream/video${state.cameras.length > 1 ? `  (${state.primary.id}; each camera at /api/cameras/<id>/stream/video)` : ''}`,
    `   WS:      ${base.replace('http://', 'ws://')}/socket.io/`,
    ...cameraLines(state),
    `   Config:  ${origin}`,
    `   Listen:  ${host}:${port}`,
    ...securityLines(state, base),
  ];
  lines.push(...integrationLines(state.config, state.integrations));
  lines.push('');
  return redactSecrets(lines.join('\n'));
}

/** Whether a token is needed, and a plain warning when anyone who can reach the port can watch. */
function securityLines(state: ServerState, base: string): string[] {
  const security = securityStatus(state.config);
  const { server } = state.config;
  const tokens = server.auth.tokens.length;
  const lines = [
    security.auth
      ? `   Auth:    on (${tokens} token${tokens === 1 ? '' : 's'}): log in at ${base}/login, or send a token as a Bearer header or a token query parameter`
      : security.warning
        ? `   Auth:    OFF: ${security.warning}`
        : `   Auth:    off (listening on ${server.host} only: this machine)`,
  ];
  if (server.openapi) lines.push(`   Docs:    ${base}${DOCS_PATH}  (OpenAPI: ${base}/api/openapi.json)`);
  return lines;
}

/** The seed's one camera in two lines (source, detection); many cameras a line each. */
function cameraLines(state: ServerState): string[] {
  const source = (camera: CameraConfig) => `${redactUrl(camera.camera_url)} @ ${camera.target_fps} fps, JPEG q${camera.jpeg_quality}`;
  if (!state.config.cameras) {
    const camera = state.primary.config;
    return [`   Camera:  ${source(camera)}`, `   Detect:  ${detectionLine(camera)}`];
  }
  const width = Math.max(...state.cameras.map((camera) => camera.id.length));
  return [
    `   Cameras: ${state.cameras.length} (GET /api/cameras)`,
    ...state.cameras.map(({ config: camera }) => `     ${camera.id.padEnd(width)}  ${source(camera)}; detect: ${detectionLine(camera)}`),
  ];
}

/** Off, or the model and whether it can be loaded: a missing file is said here, a bad one in the log as it loads. */
function detectionLine(camera: CameraConfig): string {
  const { detection_enabled: enabled, model_path: model } = camera;
  if (!enabled) return 'off (detection_enabled: false)';
  if (!existsSync(model)) return `FAILED: ${new ModelNotFoundError(model).message} (the video runs without detection; see /api/status)`;
  if (backendForModel(model, camera.detection.backend) === 'tensorrt') {
    // Only whether the shim is built: whether TensorRT and a GPU can run the engine shows as it loads.
    const shim = tensorRtShimPath();
    const problem = tensorRtShimProblem(shim);
    if (!problem) return `${model} with TensorRT (${shim}), loading (its state is logged and in /api/status)`;
    const onnx = onnxBeside(model);
    if (existsSync(onnx)) return `${model}: ${problem}; falling back to ${onnx} (see /api/status)`;
    return `FAILED: ${problem} (the video runs without detection; see /api/status)`;
  }
  return `${model}, loading (its state is logged and in /api/status)`;
}
