import { Elysia } from 'elysia';
import { DASHBOARD_FILES } from './dashboard-files.ts';

/** Serves one file; no-cache makes the browser revalidate, so a new version shows on the next reload. */
function file(path: string, type: string) {
  return () => new Response(Bun.file(path), { headers: { 'Content-Type': type, 'Cache-Control': 'no-cache' } });
}

/**
 * The web dashboard at `/`: one HTML page, its JS and CSS, and the Socket.IO browser client.
 * Every URL the page uses is relative, so it also works behind a proxy under a path prefix.
 */
export function dashboardRoutes() {
  return new Elysia({ name: 'dashboard' })
    .get('/', file(DASHBOARD_FILES.index, 'text/html; charset=utf-8'), { detail: { summary: 'The web dashboard: every camera live, status, counts, recent objects, the line and zone editor' } })
    .get('/dashboard.js', file(DASHBOARD_FILES.script, 'text/javascript; charset=utf-8'), { detail: { hide: true } })
    .get('/counting.js', file(DASHBOARD_FILES.counting, 'text/javascript; charset=utf-8'), { detail: { hide: true } })
    .get('/dashboard.css', file(DASHBOARD_FILES.styles, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .get('/player.js', file(DASHBOARD_FILES.player, 'text/javascript; charset=utf-8'), { detail: { hide: true } })
    .get('/player.css', file(DASHBOARD_FILES.playerStyles, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .get('/vendor/socket.io.min.js', file(DASHBOARD_FILES.socketIoClient, 'text/javascript; charset=utf-8'), { detail: { hide: true } });
}
