import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import serverPackage from '../../package.json' with { type: 'json' };

/** What this program is made of, for `--version`. */
export interface BuildInfo {
  /** The server's own version (apps/server/package.json). */
  version: string;
  /** Only in a compiled executable: what it was built for, when, and from which commit. */
  executable?: { target: string; builtAt: string; commit: string };
  /** The native parts and their versions: the image encoder and the neural network runtime. */
  components: BuildComponent[];
}

export interface BuildComponent {
  name: string;
  version: string;
  /** What else is worth saying, e.g. `libvips 8.18.7`. */
  detail?: string;
}

/**
 * Read from the installed packages when run from source. The compiled executable carries a copy
 * frozen at build time, from the very files it embeds (apps/server/scripts/binary-plugin.ts
 * swaps this module for it).
 */
export function buildInfo(): BuildInfo {
  return { version: serverPackage.version, components: [onnxRuntime(), sharp()].filter((c): c is BuildComponent => c !== undefined) };
}

const fromHere = createRequire(import.meta.url);

function packageJson(require: NodeJS.Require, specifier: string): { path: string; json: Record<string, any> } | undefined {
  try {
    const path = require.resolve(specifier);
    return { path, json: JSON.parse(readFileSync(path, 'utf8')) };
  } catch {
    return undefined;
  }
}

/** onnxruntime-node, as @cctv/detector resolves it (the server reaches it only through that package). */
function onnxRuntime(): BuildComponent | undefined {
  let detector: string;
  try {
    detector = fromHere.resolve('@cctv/detector');
  } catch {
    return undefined;
  }
  const ort = packageJson(createRequire(detector), 'onnxruntime-node/package.json');
  return ort && { name: 'onnxruntime-node', version: ort.json.version };
}

/** sharp, and the libvips of its prebuilt package for this platform. */
function sharp(): BuildComponent | undefined {
  let sharpEntry: string;
  try {
    sharpEntry = fromHere.resolve('sharp');
  } catch {
    return undefined;
  }
  const sharpPackage = packageJson(createRequire(sharpEntry), '../package.json');
  if (!sharpPackage) return undefined;
  const platform = `${process.platform}-${process.arch}`;
  const prebuilt = packageJson(createRequire(sharpPackage.path), `@img/sharp-${platform}/package`);
  const libvips = prebuilt && packageJson(createRequire(prebuilt.path), `@img/sharp-libvips-${platform}/versions`);
  return { name: 'sharp', version: sharpPackage.json.version, detail: libvips ? `libvips ${libvips.json.vips}` : undefined };
}
