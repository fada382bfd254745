/** Real peers the testbed's own tests talk to: ffmpeg-made JPEGs and a Bun.serve multipart server. */

/** One JPEG of ffmpeg's test pattern, as a camera would send it. */
export async function ffmpegJpeg(size: string): Promise<Uint8Array<ArrayBuffer>> {
  const proc = Bun.spawn(['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'], { stdout: 'pipe' });
  const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  if ((await proc.exited) !== 0) throw new Error(`ffmpeg could not make a ${size} JPEG`);
  return bytes;
}

const encoder = new TextEncoder();

/** The bytes of one part as the project's MJPEG writer sends it; `length` lies about the size when given. */
export function partBytes(body: Uint8Array, length = body.byteLength): Uint8Array[] {
  return [encoder.encode(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`), body, encoder.encode('\r\n')];
}

export interface TestServer {
  url: string;
  stop(): void;
}

/** A Bun server whose every response is `body()`, streamed (so Bun sends it chunked). */
export function serve(body: () => ReadableStream<Uint8Array> | string, headers: Record<string, string> = { 'Content-Type': 'multipart/x-mixed-replace; boundary=b' }): TestServer {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response(body(), { headers }) });
  return { url: `http://127.0.0.1:${server.port}/`, stop: () => void server.stop(true) };
}

/** A multipart stream of exactly these parts, then the end of the response. */
export function finiteParts(parts: Array<{ body: Uint8Array; length?: number }>): () => ReadableStream<Uint8Array> {
  return () =>
    new ReadableStream({
      start(controller) {
        for (const part of parts) for (const bytes of partBytes(part.body, part.length)) controller.enqueue(bytes);
        controller.close();
      },
    });
}
