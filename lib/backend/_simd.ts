/**
 * The SIMD kernels of the plans and of the Adamax update (`_simd_kernels.wat`) and the
 * WebAssembly memory they work in.
 *
 * A {@link SimdArena} is one memory holding every array a pass touches: the kernels address them
 * by byte offset, and the BLAS reads and writes the same arrays through FFI as it does any
 * Float32Array. {@link SimdArena.create} returns null where the runtime has no WebAssembly SIMD;
 * the plan then runs its JavaScript loops.
 *
 * @module
 */
import { SIMD_KERNELS_WASM } from "./_simd_kernels_wasm.ts";

/** The module's exports: each kernel takes byte offsets and counts (see the .wat). */
type KernelName = "pairRelu" | "pairReluBackward" | "winogradInput" | "winogradOutput" | "adamax";
type SimdExports = Record<KernelName, (...args: number[]) => void>;

const WASM_PAGE_BYTES = 65_536;
/** Arrays start on 64-byte boundaries (a cache line; v128 loads need only 16). */
const ALIGN_BYTES = 64;

let compiled: WebAssembly.Module | null | undefined;

/** The kernels' module, compiled once; null where WebAssembly SIMD is missing. */
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Uint8Array.from(atob(SIMD_KERNELS_WASM), (c) => c.charCodeAt(0));
    compiled = typeof WebAssembly === "object" && WebAssembly.validate(bytes)
      ? new WebAssembly.Module(bytes)
      : null;
  }
  return compiled;
}

/** Whether this runtime runs the SIMD kernels. */
export function simdAvailable(): boolean {
  return simdModule() !== null;
}

/**
 * One arena kept between calls, for work that runs to its end before the next starts: each call
 * hands it back emptied, replaced by a larger one when it is too small; null without SIMD.
 */
export class ReusedArena {
  #arena: SimdArena | null = null;

  /** The arena, emptied, holding at least `floats` floats in `arrays` arrays. */
  emptied(floats: number, arrays: number): SimdArena | null {
    if (!this.#arena || this.#arena.capacity < floats * 4 + arrays * ALIGN_BYTES) {
      this.#arena = SimdArena.create(floats, arrays);
    }
    this.#arena?.reset();
    return this.#arena;
  }
}

/** One WebAssembly memory of a fixed size, handed out as Float32Arrays, and the kernels over it. */
export class SimdArena {
  #memory: WebAssembly.Memory;
  #kernels: SimdExports;
  #next = 0;

  private constructor(module: WebAssembly.Module, bytes: number) {
    this.#memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / WASM_PAGE_BYTES) });
    const instance = new WebAssembly.Instance(module, { plan: { memory: this.#memory } });
    this.#kernels = instance.exports as unknown as SimdExports;
  }

  /** An arena of at least `floats` floats (allowing for alignment), or null without SIMD. */
  static create(floats: number, arrays: number): SimdArena | null {
    const module = simdModule();
    return module && new SimdArena(module, floats * 4 + arrays * ALIGN_BYTES);
  }

  /** Bytes the arena holds. */
  get capacity(): number {
    return this.#memory.buffer.byteLength;
  }

  /** Hands every array back: later {@link alloc} calls reuse the memory from its start. */
  reset(): void {
    this.#next = 0;
  }

  /** A new array of `floats` floats (zeros the first time the memory is used, else stale). */
  alloc(floats: number): Float32Array {
    const begin = Math.ceil(this.#next / ALIGN_BYTES) * ALIGN_BYTES;
    if (begin + floats * 4 > this.capacity) {
      throw new RangeError(`arena of ${this.capacity} bytes cannot hold ${floats} more floats`);
    }
    this.#next = begin + floats * 4;
    return new Float32Array(this.#memory.buffer, begin, floats);
  }

  /** A new array of `doubles` float64 values, as {@link alloc}. */
  allocFloat64(doubles: number): Float64Array {
    const floats = this.alloc(2 * doubles);
    return new Float64Array(floats.buffer, floats.byteOffset, doubles);
  }

  /** Whether `a` is an array of this arena. */
  holds(a: Float32Array | Float64Array): boolean {
    return a.buffer === this.#memory.buffer;
  }

  /**
   * Runs a kernel of `_simd_kernels.wat` (whose comments give each one's arguments), each array
   * passed as its byte offset in the arena.
   */
  run(kernel: KernelName, ...args: (number | Float32Array | Float64Array)[]): void {
    this.#kernels[kernel](...args.map((a) => {
      if (typeof a === "number") return a;
      if (!this.holds(a)) throw new Error(`${kernel}: an array is not in the kernel's arena`);
      return a.byteOffset;
    }));
  }
}
