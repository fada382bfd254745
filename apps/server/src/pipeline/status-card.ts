import type { CaptureStatus } from '@cctv/capture';
import { drawText, fillRect, measureText, type RgbImage } from '@cctv/frame-buffer';

/**
 * The picture viewers see while the camera has never sent a frame: the state, ffmpeg's reason
 * and the source (password hidden), so a blank <img> never leaves people guessing.
 */
export function renderStatusCard(status: CaptureStatus, width: number, height: number, now = Date.now()): RgbImage {
  const img: RgbImage = { data: new Uint8Array(width * height * 3), width, height };
  fillRect(img, 0, 0, width, height, [24, 26, 32]);
  const scale = Math.max(1, Math.floor(height / 360));
  const columns = Math.max(10, Math.floor((width - 32 * scale) / measureText('x', scale).width));
  const lines = [
    `Camera ${status.state.toLowerCase()}`,
    '',
    ...wrap(status.reason ?? (status.state === 'Connecting' || status.state === 'Connected' ? 'waiting for the first frame' : ''), columns),
    '',
    ...wrap(status.source, columns),
    new Date(now).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
  ];
  const lineHeight = measureText('x', scale).height + 6 * scale;
  let y = Math.max(8, Math.round((height - lines.length * lineHeight) / 2));
  for (const [i, line] of lines.entries()) {
    const color = i === 0 ? ([240, 190, 60] as const) : ([220, 220, 220] as const);
    const x = Math.round((width - measureText(line, scale).width) / 2);
    drawText(img, Math.max(8, x), y, line, color, { scale });
    y += lineHeight;
  }
  return img;
}

function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let rest = word; rest; ) {
      const room = line ? columns - line.length - 1 : columns;
      if (rest.length <= room) {
        line = line ? `${line} ${rest}` : rest;
        rest = '';
      } else if (line) {
        lines.push(line);
        line = '';
      } else {
        lines.push(rest.slice(0, columns));
        rest = rest.slice(columns);
      }
    }
  }
  if (line) lines.push(line);
  return lines;
}
