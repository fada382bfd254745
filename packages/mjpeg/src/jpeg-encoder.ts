import { dlopen, FFIType, ptr, type Pointer } from 'bun:ffi';

/**
 * JPEG encoding of packed RGB frames: the one encode every served frame costs. libjpeg-turbo
 * through `bun:ffi` when the system has it (measured on 720p camera frames at q65: 2.1 ms, against
 * 8.6 ms for sharp's default mozjpeg settings and 4.5 ms with its optimiseCoding off; see
 * docs/BENCHMARKS.md), else sharp, which every install has.
 */
export interface JpegEncoder {
  /** What encodes, for status and logs: "libjpeg-turbo (libturbojpeg.so.0)" or "sharp 0.35.5 (libvips 8.18.7)". */
  readonly name: string;
  /**
   * JPEG bytes of one packed RGB frame (3 bytes a pixel, no row padding): the whole of an
   * ArrayBuffer of their own, which the caller may keep or transfer.
   */
  encode(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array>;
  close(): void;
}

export type JpegEncoderChoice = 'auto' | 'libjpeg-turbo' | 'sharp';

export interface JpegEncoderOptions {
  /** 1–100. */
  quality: number;
  /** 'auto' (default): libjpeg-turbo when it loads, else sharp. A named one fails when it cannot load. */
  encoder?: JpegEncoderChoice;
}

export interface CreatedJpegEncoder {
  encoder: JpegEncoder;
  /** Set when 'auto' could not use libjpeg-turbo: why, for the logs. */
  fallbackReason?: string;
}

/** The TurboJPEG library: `TURBOJPEG_PATH` or Debian's `libturbojpeg0` (`libjpeg-turbo8` on Ubuntu ships the same soname). */
export const TURBOJPEG_LIBRARY = process.env.TURBOJPEG_PATH ?? 'libturbojpeg.so.0';

export async function createJpegEncoder(options: JpegEncoderOptions): Promise<CreatedJpegEncoder> {
  const { quality, encoder = 'auto' } = options;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`JPEG quality ${quality}: expected an integer from 1 to 100`);
  if (encoder === 'sharp') return { encoder: await SharpJpegEncoder.create(quality) };
  let turboError: Error;
  try {
    return { encoder: new TurboJpegEncoder(quality) };
  } catch (error) {
    if (encoder === 'libjpeg-turbo') throw error;
    turboError = error as Error;
  }
  try {
    return { encoder: await SharpJpegEncoder.create(quality), fallbackReason: turboError.message };
  } catch (error) {
    throw new Error(`no JPEG encoder can run here: ${turboError.message}; sharp: ${(error as Error).message}`);
  }
}

// turbojpeg.h (the 2.x API, which libjpeg-turbo 3 keeps).
const TJPF_RGB = 0;
const TJSAMP_420 = 2;
const TJFLAG_NOREALLOC = 1024;

type TurboJpegLibrary = ReturnType<typeof openTurboJpeg>;
let turboJpeg: TurboJpegLibrary | undefined;

function openTurboJpeg() {
  return dlopen(TURBOJPEG_LIBRARY, {
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

/**
 * libjpeg-turbo's TurboJPEG API: 4:2:0 and the accurate DCT, as libvips encodes below q90, into
 * one output buffer reused from frame to frame (sized for the worst case, so it never reallocates).
 */
class TurboJpegEncoder implements JpegEncoder {
  readonly name = `libjpeg-turbo (${TURBOJPEG_LIBRARY})`;
  readonly #library: TurboJpegLibrary;
  readonly #handle: Pointer;
  readonly #quality: number;
  #output = new Uint8Array(0);
  #outputWidth = 0;
  #outputHeight = 0;
  readonly #outputPointer = new BigUint64Array(1);
  readonly #size = new BigUint64Array(1);
  #closed = false;

  constructor(quality: number) {
    try {
      turboJpeg ??= openTurboJpeg();
    } catch (error) {
      throw new Error(`libjpeg-turbo: cannot load ${TURBOJPEG_LIBRARY} (Debian/Ubuntu: apt-get install libturbojpeg0): ${(error as Error).message}`);
    }
    this.#library = turboJpeg;
    const handle = this.#library.symbols.tjInitCompress();
    if (!handle) throw new Error('libjpeg-turbo: tjInitCompress failed');
    this.#handle = handle as Pointer;
    this.#quality = quality;
  }

  async encode(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    if (this.#closed) throw new Error('libjpeg-turbo: the encoder is closed');
    if (rgb.byteLength !== width * height * 3) throw new Error(`libjpeg-turbo: ${rgb.byteLength} bytes for a ${width}x${height} RGB frame (expected ${width * height * 3})`);
    if (width !== this.#outputWidth || height !== this.#outputHeight) {
      this.#output = new Uint8Array(Number(this.#library.symbols.tjBufSize(width, height, TJSAMP_420)));
      this.#outputPointer[0] = BigInt(ptr(this.#output));
      this.#outputWidth = width;
      this.#outputHeight = height;
    }
    this.#size[0] = BigInt(this.#output.byteLength);
    const { symbols } = this.#library;
    const rc = symbols.tjCompress2(this.#handle, rgb, width, 0, height, TJPF_RGB, this.#outputPointer, this.#size, TJSAMP_420, this.#quality, TJFLAG_NOREALLOC);
    if (rc !== 0) throw new Error(`libjpeg-turbo: ${symbols.tjGetErrorStr2(this.#handle)}`);
    // A copy of its own (~70 kB at 720p, microseconds): the output buffer is reused by the next frame.
    return this.#output.slice(0, Number(this.#size[0]));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#library.symbols.tjDestroy(this.#handle);
  }
}

type Sharp = typeof import('sharp').default;

/** sharp (libvips with mozjpeg), loaded only when it encodes: its import alone costs ~10 MB. */
class SharpJpegEncoder implements JpegEncoder {
  private constructor(
    readonly name: string,
    private readonly sharp: Sharp,
    private readonly quality: number,
  ) {}

  static async create(quality: number): Promise<SharpJpegEncoder> {
    const sharp = (await import('sharp')).default;
    // Every input is a new frame, so libvips' operation cache never hits: off, it saves ~8 MB.
    sharp.cache(false);
    return new SharpJpegEncoder(`sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`, sharp, quality);
  }

  async encode(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    const jpeg = await this.sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: this.quality }).toBuffer();
    // sharp's output lives in native memory that cannot be transferred: a plain copy can.
    return new Uint8Array(jpeg);
  }

  close(): void {}
}
