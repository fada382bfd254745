import { dlopen, FFIType, ptr } from 'bun:ffi';
import { closeSync, readFileSync } from 'node:fs';
import type { FromFrameReader, ToFrameReader } from './frame-pipe-reader.ts';
import type { RawFrameAssembler } from './ffmpeg.ts';

/**
 * Where a decoder child writes its raw frames, and how they are read. Bun's own pipe is read as a
 * stream of fresh ~200 kB chunks, each page-faulted in, copied into the frame and given back to
 * the kernel: most of the CPU a camera costs (docs/BENCHMARKS.md, "Many cameras"). Where libc
 * can be reached, the pipe is ours instead (pipe2, enlarged to hold a frame or as much as the
 * system allows) and a thread of its own reads it with blocking reads straight into reused frame
 * buffers. Those reads cannot go to Bun's thread pool: a few cameras waiting on their pipes would
 * hold every thread of it, and every file operation of the process would wait.
 */
export interface FrameOutput {
  /** What Bun.spawn gets in stdio at the frames' index. */
  readonly stdio: number | 'pipe';
  /** The child has been spawned: Bun's end of its output at that index (a stream, or an fd for index ≥ 3) when `stdio` was 'pipe'. */
  spawned(bunOutput: ReadableStream<Uint8Array> | number | undefined): void;
  /** Reads whole frames into `assembler` until the child's end of the pipe closes. */
  read(assembler: RawFrameAssembler): Promise<void>;
  /** Closes whatever of ours is still open; call once the child has exited and `read` has ended (or never started). */
  close(): void;
}

/** Our own pipe where it can be made, else Bun's. */
export function openFrameOutput(): FrameOutput {
  return openOwnPipe() ?? bunPipe();
}

function bunPipe(): FrameOutput {
  let output: ReadableStream<Uint8Array> | number | undefined;
  return {
    stdio: 'pipe',
    spawned(bunOutput) {
      output = bunOutput;
    },
    async read(assembler) {
      if (output === undefined) return;
      for await (const chunk of typeof output === 'number' ? Bun.file(output).stream() : output) assembler.push(chunk);
    },
    close() {
      // An fd Bun gave us for index ≥ 3 is ours to close: Bun does not, and each session would leak it.
      if (typeof output === 'number') closeSync(output);
      output = undefined;
    },
  };
}

const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
/** Enough for a 1080p RGB frame in one write; capped by /proc/sys/fs/pipe-max-size. */
const WANTED_PIPE_BYTES = 8 << 20;

interface Libc {
  pipe2(fds: Int32Array): number;
  setPipeSize(fd: number, bytes: number): number;
}

let libc: Libc | null | undefined;

/** libc's pipe2 and fcntl through bun:ffi, or null where there is no glibc (the stream path is used). */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') return (libc = null);
  try {
    const { symbols } = dlopen('libc.so.6', {
      pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    });
    libc = {
      pipe2: (fds) => symbols.pipe2(ptr(fds), O_CLOEXEC),
      setPipeSize: (fd, bytes) => symbols.fcntl(fd, F_SETPIPE_SZ, bytes),
    };
  } catch {
    libc = null;
  }
  return libc;
}

let pipeBytes: number | undefined;

/** The size asked for each frames pipe, read from the system once. */
function wantedPipeBytes(): number {
  if (pipeBytes !== undefined) return pipeBytes;
  let max = 1 << 20;
  try {
    max = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8').trim()) || max;
  } catch {
    // Not Linux's /proc: the common default maximum.
  }
  return (pipeBytes = Math.min(WANTED_PIPE_BYTES, max));
}

function openOwnPipe(): FrameOutput | undefined {
  const c = loadLibc();
  if (!c) return undefined;
  const fds = new Int32Array(2);
  if (c.pipe2(fds) !== 0) return undefined;
  const [readFd, writeFd] = [fds[0]!, fds[1]!];
  // Best effort: a pipe left at 64 kB still works, with more wake-ups a frame.
  c.setPipeSize(readFd, wantedPipeBytes());
  const open = new Set([readFd, writeFd]);
  const closeFd = (fd: number) => {
    if (open.delete(fd)) closeSync(fd);
  };
  return {
    stdio: writeFd,
    // The child has its own copy now; ours closed, the child's exit reads as the end of the pipe.
    spawned: () => closeFd(writeFd),
    close() {
      closeFd(writeFd);
      closeFd(readFd);
    },
    read(assembler) {
      const reader = new Worker(new URL('./frame-pipe-reader.ts', import.meta.url), { smol: true });
      return new Promise<void>((resolve) => {
        const end = () => {
          void reader.terminate();
          resolve();
        };
        reader.onmessage = (event: MessageEvent<FromFrameReader>) => {
          const message = event.data;
          if (message.type === 'end') return end();
          const giveBack = () => reader.postMessage({ type: 'buffer', buffer: message.buffer } satisfies ToFrameReader, [message.buffer]);
          assembler.pushFrame(new Uint8Array(message.buffer), message.at, giveBack);
        };
        reader.onerror = end;
        reader.postMessage({ type: 'start', fd: readFd, frameBytes: assembler.inputBytes } satisfies ToFrameReader);
      });
    },
  };
}
