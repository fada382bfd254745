import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const PUBLIC = join(import.meta.dirname, '../../public');

const resolveFrom = createRequire(import.meta.url).resolve;

/**
 * The files the dashboard and the API reference page serve, read from disk on each request, so an
 * edit shows on the next reload. The compiled executable carries them inside and swaps this module
 * for one whose paths point there (apps/server/scripts/binary-plugin.ts; see docs/BINARY.md).
 */
export const DASHBOARD_FILES = {
  index: join(PUBLIC, 'index.html'),
  script: join(PUBLIC, 'dashboard.js'),
  counting: join(PUBLIC, 'counting.js'),
  styles: join(PUBLIC, 'dashboard.css'),
  player: join(PUBLIC, 'player.js'),
  playerStyles: join(PUBLIC, 'player.css'),
  // The browser build that ships inside the socket.io-client package, served by us: no CDN, no internet.
  socketIoClient: join(dirname(resolveFrom('socket.io-client/package.json')), 'dist/socket.io.min.js'),
  // Scalar's standalone browser build, for /api/docs. The package exports neither it nor its
  // package.json, so it is found beside the package's main module (dist/index.js).
  apiReference: join(dirname(resolveFrom('@scalar/api-reference')), 'browser/standalone.js'),
};
