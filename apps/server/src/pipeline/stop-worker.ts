/**
 * Asks a Worker to stop (`{ type: 'stop' }`), waits for its `{ type: 'stopped' }` at most
 * timeoutMs, then ends it: a Worker stuck in native code cannot hold up shutdown.
 */
export async function stopWorker(worker: Worker, timeoutMs: number): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    worker.addEventListener('message', (event: MessageEvent<{ type?: string }>) => {
      if (event.data?.type === 'stopped') resolve();
    });
  });
  worker.postMessage({ type: 'stop' });
  await Promise.race([stopped, Bun.sleep(timeoutMs)]);
  worker.terminate();
}
