/**
 * The server's Worker files, each started from a module beside it: an executable lays Worker
 * files and bundled modules out flat at its root, where `./file.ts` still resolves
 * (scripts/build-binary.ts). smol: JavaScriptCore's small heap, as pixels and inference live
 * outside it (measured with detection on: server RSS median 194 → 184 MB, max 211 → 197, encode
 * and detect times unchanged).
 */
export function startPipelineWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { smol: true });
}

export function startDetectionWorker(): Worker {
  return new Worker(new URL('./detection-worker.ts', import.meta.url), { smol: true });
}
