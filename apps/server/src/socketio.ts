import { Server as Engine } from '@socket.io/bun-engine';
import { Server } from 'socket.io';
import type { Camera } from './camera.ts';
import { redactStrings } from './redact.ts';
import type { ServerState } from './state.ts';
import { publicEvent, type ObjectEvent } from './tracking.ts';

export const SOCKET_IO_PATH = '/socket.io/';

/**
 * Socket.IO on the HTTP server's own port: `status_update` (the first camera's /api/status body,
 * as the seed sends it, plus `cameras`: every camera's status by id) and `stats_update` on
 * connect, every second and on each camera or detector state change; `request_stats` is answered
 * with `stats_update`; `detections_update` (a camera's /api/detections body, naming its camera)
 * with each new detector result.
 */
export class LiveUpdates {
  readonly engine = new Engine({ path: SOCKET_IO_PATH });
  readonly io = new Server();
  #timer: ReturnType<typeof setInterval> | undefined;
  #statusQueued = false;
  #countsQueued = false;

  constructor(
    private readonly state: ServerState,
    private readonly intervalMs = 1000,
  ) {
    this.io.bind(this.engine);
    this.io.on('connection', (socket) => {
      socket.emit('status_update', this.statusUpdate());
      socket.emit('stats_update', this.state.stats());
      socket.on('request_stats', () => socket.emit('stats_update', this.state.stats()));
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.broadcast(), this.intervalMs);
  }

  /** The seed's status_update for the first camera, with every camera's own status beside it. */
  statusUpdate() {
    const cameras = Object.fromEntries(this.state.cameras.map((camera) => [camera.id, redactStrings(camera.status())]));
    return { ...this.state.status(), cameras };
  }

  broadcast(): void {
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('status_update', this.statusUpdate());
    this.io.emit('stats_update', this.state.stats());
  }

  /** Tracked objects' events: `event` { type (new, update, end), change, event } for each. */
  objectEvents(events: readonly ObjectEvent[]): void {
    if (this.io.engine.clientsCount === 0) return;
    for (const event of events) this.io.emit('event', publicEvent(event));
  }

  /** A crossing or a zone changed the counts: `counts_update` (the /api/counts body) and the seed's `stats_update`, once per turn. */
  countsChanged(): void {
    if (this.#countsQueued || this.io.engine.clientsCount === 0) return;
    this.#countsQueued = true;
    queueMicrotask(() => {
      this.#countsQueued = false;
      this.io.emit('counts_update', this.state.counts());
      this.io.emit('stats_update', this.state.stats());
    });
  }

  detectionsChanged(camera: Camera): void {
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('detections_update', camera.detections());
  }

  /** A state change: sent once for all the changes of this turn (a reload may change many cameras at once). */
  statusChanged(): void {
    if (this.#statusQueued || this.io.engine.clientsCount === 0) return;
    this.#statusQueued = true;
    queueMicrotask(() => {
      this.#statusQueued = false;
      this.io.emit('status_update', this.statusUpdate());
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.io.disconnectSockets(true);
    await this.io.close();
  }
}
