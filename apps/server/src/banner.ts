import { redactUrl } from '@cctv/capture';
import type { ServerState } from './state.ts';

/** The startup banner: where the API, the stream and Socket.IO answer, and what is not built yet. */
export function banner(state: ServerState, origin: string, tui: boolean): string {
  const { host, port } = state.config.server;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${shown}:${port}`;
  const lines = [
    '',
    '🎥 CCTV stream server',
    `   API:     ${base}/api`,
    `   Stream:  ${base}/api/stream/video`,
    `   WS:      ws://${shown}:${port}/socket.io/`,
    `   Camera:  ${redactUrl(state.config.camera_url)} @ ${state.config.target_fps} fps, JPEG q${state.config.jpeg_quality}`,
    `   Config:  ${origin}`,
    `   Listen:  ${host}:${port}`,
  ];
  for (const [feature, why] of Object.entries(state.pendingFeatures())) lines.push(`   ${feature}: ${why}`);
  if (tui) lines.push('   --tui: terminal dashboard not available yet; logging to stderr instead');
  lines.push('');
  return lines.join('\n');
}
