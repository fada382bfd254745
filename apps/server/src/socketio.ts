import { Server as Engine } from '@socket.io/bun-engine';
import { Server } from 'socket.io';
import type { ServerState } from './state.ts';

export const SOCKET_IO_PATH = '/socket.io/';

/**
 * Socket.IO on the HTTP server's own port: `status_update` and `stats_update` on connect, every
 * second and on each camera state change; `request_stats` is answered with `stats_update`;
 * `detections_update` (the /api/detections body) with each new detector result.
 */
export class LiveUpdates {
  readonly engine = new Engine({ path: SOCKET_IO_PATH });
  readonly io = new Server();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly state: ServerState,
    private readonly intervalMs = 1000,
  ) {
    this.io.bind(this.engine);
    this.io.on('connection', (socket) => {
      socket.emit('status_update', this.state.status());
      socket.emit('stats_update', this.state.stats());
      socket.on('request_stats', () => socket.emit('stats_update', this.state.stats()));
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.broadcast(), this.intervalMs);
  }

  broadcast(): void {
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('status_update', this.state.status());
    this.io.emit('stats_update', this.state.stats());
  }

  detectionsChanged(): void {
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('detections_update', this.state.detections());
  }

  statusChanged(): void {
    this.io.emit('status_update', this.state.status());
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.io.disconnectSockets(true);
    await this.io.close();
  }
}
