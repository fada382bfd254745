// The system's libjpeg-turbo through bun:ffi (Debian: apt-get install libturbojpeg0): the floor a
// JPEG encoder is measured against, and a candidate encoder itself.
import { dlopen, FFIType, ptr, type Pointer } from 'bun:ffi';

/** TurboJPEG's constants (turbojpeg.h). */
const TJPF_RGB = 0;
const TJSAMP = { '4:4:4': 0, '4:2:2': 1, '4:2:0': 2 } as const;
const TJFLAG_NOREALLOC = 1024;
const TJFLAG_FASTDCT = 2048;

const LIBRARY = process.env.TURBOJPEG_PATH ?? 'libturbojpeg.so.0';

type Library = ReturnType<typeof load>;
let library: Library | undefined;

function load() {
  return dlopen(LIBRARY, {
    tjInitCompress: { args: [], returns: FFIType.ptr },
    tjDestroy: { args: [FFIType.ptr], returns: FFIType.i32 },
    tjBufSize: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.u64 },
    tjGetErrorStr2: { args: [FFIType.ptr], returns: FFIType.cstring },
    tjCompress2: {
      // handle, src, width, pitch, height, pixelFormat, jpegBuf**, jpegSize*, subsamp, quality, flags
      args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
  });
}

/** Whether libturbojpeg can be loaded here; the reason when not. */
export function turboJpegAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    library ??= load();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `${LIBRARY} not loadable (apt-get install libturbojpeg0): ${(error as Error).message}` };
  }
}

export interface TurboJpegOptions {
  quality?: number;
  subsampling?: keyof typeof TJSAMP;
  /** The fast integer DCT (slightly less accurate); default: the accurate one, as libvips uses. */
  fastDct?: boolean;
}

/** A TurboJPEG compressor for RGB frames of one size, writing into one reused output buffer. */
export class TurboJpegEncoder {
  readonly #lib: Library;
  readonly #handle: Pointer;
  readonly #out: Uint8Array;
  readonly #outPointer = new BigUint64Array(1);
  readonly #size = new BigUint64Array(1);
  readonly #subsampling: number;
  readonly #quality: number;
  readonly #flags: number;

  constructor(
    readonly width: number,
    readonly height: number,
    options: TurboJpegOptions = {},
  ) {
    const available = turboJpegAvailable();
    if (!available.ok) throw new Error(available.reason);
    this.#lib = library!;
    const handle = this.#lib.symbols.tjInitCompress();
    if (!handle) throw new Error('tjInitCompress failed');
    this.#handle = handle as Pointer;
    this.#subsampling = TJSAMP[options.subsampling ?? '4:2:0'];
    this.#quality = options.quality ?? 65;
    this.#flags = TJFLAG_NOREALLOC | (options.fastDct ? TJFLAG_FASTDCT : 0);
    this.#out = new Uint8Array(Number(this.#lib.symbols.tjBufSize(width, height, this.#subsampling)));
    this.#outPointer[0] = BigInt(ptr(this.#out));
  }

  /** JPEG bytes of one packed RGB frame: a view of the reused buffer, valid until the next call. */
  encode(rgb: Uint8Array): Uint8Array {
    this.#size[0] = BigInt(this.#out.byteLength);
    const rc = this.#lib.symbols.tjCompress2(this.#handle, rgb, this.width, 0, this.height, TJPF_RGB, this.#outPointer, this.#size, this.#subsampling, this.#quality, this.#flags);
    if (rc !== 0) throw new Error(`tjCompress2: ${this.#lib.symbols.tjGetErrorStr2(this.#handle)}`);
    return this.#out.subarray(0, Number(this.#size[0]));
  }

  close(): void {
    this.#lib.symbols.tjDestroy(this.#handle);
  }
}
