/**
 * A native BLAS through Deno's FFI: OpenBLAS on Linux (Debian and Ubuntu: `apt-get install
 * libopenblas0-pthread`; Fedora: `dnf install openblas-threads`), Accelerate on macOS, or the
 * library `$REDSHIFT_BLAS` names. {@link openBlas} never throws: it returns a {@link Blas} or a
 * {@link BlasUnavailable} whose `reason` says why not.
 *
 * @module
 */

import { readEnv } from "../_env.ts";

/** Row-major storage, transposition flags of CBLAS. */
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Environment variable naming a BLAS library to open instead of the usual ones. */
const BLAS_ENV = "REDSHIFT_BLAS";

/** An open BLAS library. */
export interface Blas {
  readonly available: true;
  /** Which library, e.g. `OpenBLAS 0.3.21` or `Accelerate`. */
  readonly name: string;
  /** The file that was opened. */
  readonly path: string;
  /** One product, C = op(A) · op(B) + beta · C (see {@link Gemm}). */
  sgemm(product: Gemm): void;
  /** Threads BLAS uses for one call (1 where the library offers no control). */
  getThreads(): number;
  /** Sets the threads of later calls; a no-op where the library offers no control. */
  setThreads(threads: number): void;
  /** True when {@link Blas.setThreads} has an effect. */
  readonly threadControl: boolean;
}

/**
 * One matrix product of {@link Blas.sgemm}, row-major: C = op(A) · op(B) + beta · C with op(A) m×k,
 * op(B) k×n and C m×n. Views (`subarray`) are honoured: element 0 of each is its matrix's origin.
 */
export interface Gemm {
  m: number;
  n: number;
  k: number;
  /** A as stored: m×k, or k×m with `transposeA` (op(A) = Aᵀ). */
  a: Float32Array;
  /** B as stored: k×n, or n×k with `transposeB`. */
  b: Float32Array;
  c: Float32Array;
  transposeA?: boolean;
  transposeB?: boolean;
  /** Row strides of A, B and C as stored; by default their widths (rows packed). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** 0 (the default) overwrites C; 1 adds the product to it. */
  beta?: number;
}

/** Why no BLAS could be opened. */
export interface BlasUnavailable {
  readonly available: false;
  /** `not available: <reason>`. */
  readonly reason: string;
}

// cblas_sgemm's arguments: order, transposes, m, n, k (i32); alpha, A, lda, B, ldb, beta, C, ldc.
const I32X6 = ["i32", "i32", "i32", "i32", "i32", "i32"] as const;
const SGEMM = {
  parameters: [...I32X6, "f32", "buffer", "i32", "buffer", "i32", "f32", "buffer", "i32"],
  result: "void",
} as const;

const OPENBLAS_SYMBOLS = {
  cblas_sgemm: SGEMM,
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  openblas_get_corename: { parameters: [], result: "pointer" },
} as const;

/** Where OpenBLAS lives on common Linux distributions, most specific first. */
const OPENBLAS_CANDIDATES: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib64/libopenblasp.so.0", // Fedora's pthread build
  "/usr/lib64/libopenblas.so.0",
  "/usr/lib/libopenblas.so.0",
  "/usr/local/lib/libopenblas.so.0",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "libopenblas.so.0", // by soname, through the loader's search path
];

const ACCELERATE = "/System/Library/Frameworks/Accelerate.framework/Accelerate";

let cached: Blas | BlasUnavailable | undefined;

/**
 * Opens the native BLAS once (later calls return the same object). Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBlas } from "./blas.ts";
 * const blas = openBlas();
 * if (blas.available) {
 *   const c = new Float32Array(1);
 *   blas.sgemm({ m: 1, n: 1, k: 2, a: Float32Array.of(1, 2), b: Float32Array.of(3, 4), c });
 *   assert.equal(c[0], 11);
 * } else {
 *   assert.match(blas.reason, /^not available: /);
 * }
 * ```
 */
export function openBlas(): Blas | BlasUnavailable {
  cached ??= tryOpen();
  return cached;
}

function unavailable(reason: string): BlasUnavailable {
  return { available: false, reason: `not available: ${reason}` };
}

function tryOpen(): Blas | BlasUnavailable {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno?.dlopen) return unavailable("no Deno FFI in this runtime");
  try {
    const state = deno.permissions.querySync({ name: "ffi" }).state;
    if (state !== "granted") {
      return unavailable("FFI permission missing (run with --allow-ffi or -A)");
    }
  } catch (error) {
    return unavailable(`FFI permission could not be queried (${(error as Error).message})`);
  }
  const override = readEnv(BLAS_ENV);
  const candidates = override
    ? [override]
    : deno.build.os === "darwin"
    ? [ACCELERATE, ...OPENBLAS_CANDIDATES.filter((p) => p.endsWith(".dylib"))]
    : deno.build.os === "linux"
    ? [...OPENBLAS_CANDIDATES.filter((p) => !p.endsWith(".dylib"))]
    : [];
  if (candidates.length === 0) return unavailable(`no known BLAS on ${deno.build.os}`);
  const failures: string[] = [];
  for (const path of candidates) {
    if (path.startsWith("/") && !exists(deno, path)) continue;
    const opened = openOne(deno, path);
    if (opened.available) return opened;
    failures.push(opened.reason);
  }
  const hint = deno.build.os === "linux"
    ? "install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; " +
      "Fedora: dnf install openblas-threads)"
    : `set ${BLAS_ENV} to a library exporting cblas_sgemm`;
  return unavailable(failures.length > 0 ? failures.join("; ") : `no BLAS library found; ${hint}`);
}

function exists(deno: typeof Deno, path: string): boolean {
  try {
    return deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function openOne(deno: typeof Deno, path: string): Blas | BlasUnavailable {
  // OpenBLAS first (thread control and a version string); else any library with cblas_sgemm.
  try {
    const lib = deno.dlopen(path, OPENBLAS_SYMBOLS);
    const s = lib.symbols;
    const config = s.openblas_get_config();
    const text = config ? Deno.UnsafePointerView.getCString(config) : "OpenBLAS";
    const version = /^OpenBLAS\s+[\d.]+/.exec(text)?.[0] ?? "OpenBLAS";
    // The kernel set it chose for this CPU (OPENBLAS_CORETYPE overrides): sums, and so a run's
    // bits, depend on it, so run records name it.
    const core = s.openblas_get_corename();
    const name = core ? `${version} ${Deno.UnsafePointerView.getCString(core)}` : version;
    return makeBlas(name, path, s.cblas_sgemm as unknown as RawSgemm, {
      get: () => s.openblas_get_num_threads(),
      set: (n) => s.openblas_set_num_threads(n),
    });
  } catch {
    // not OpenBLAS, or not loadable; try the plain CBLAS symbol below
  }
  try {
    const lib = deno.dlopen(path, { cblas_sgemm: SGEMM });
    const name = path === ACCELERATE ? "Accelerate" : path.replace(/^.*\//, "");
    return makeBlas(name, path, lib.symbols.cblas_sgemm as unknown as RawSgemm, null);
  } catch (error) {
    return unavailable(`${path}: ${(error as Error).message.split("\n")[0]}`);
  }
}

// cblas_sgemm as FFI calls it (see SGEMM).
type RawSgemm = (...args: (number | Float32Array)[]) => void;

function makeBlas(
  name: string,
  path: string,
  raw: RawSgemm,
  threads: { get(): number; set(n: number): void } | null,
): Blas {
  return {
    available: true,
    name,
    path,
    threadControl: threads !== null,
    getThreads: () => threads?.get() ?? 1,
    setThreads: (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`threads must be >= 1, got ${n}`);
      threads?.set(n);
    },
    sgemm({ m, n, k, a, b, c, transposeA = false, transposeB = false, beta = 0, ...strides }) {
      const lda = strides.lda ?? (transposeA ? m : k), ldb = strides.ldb ?? (transposeB ? k : n);
      const ldc = strides.ldc ?? n;
      if (m === 0 || n === 0) return;
      checkMatrix("A", a, transposeA ? k : m, transposeA ? m : k, lda);
      checkMatrix("B", b, transposeB ? n : k, transposeB ? k : n, ldb);
      checkMatrix("C", c, m, n, ldc);
      if (k === 0) {
        // BLAS would only scale C by beta; keep the same semantics without a call.
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) c[i * ldc + j] = beta === 0 ? 0 : beta * c[i * ldc + j];
        }
        return;
      }
      const [opA, opB] = [transposeA, transposeB].map((t) => t ? TRANS : NO_TRANS);
      raw(ROW_MAJOR, opA, opB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
    },
  };
}

function checkMatrix(label: string, x: Float32Array, rows: number, cols: number, ld: number) {
  if (ld < Math.max(1, cols)) {
    throw new RangeError(`sgemm: ld${label.toLowerCase()} ${ld} < ${cols} columns`);
  }
  const needed = rows === 0 ? 0 : (rows - 1) * ld + cols;
  if (x.length < needed) {
    throw new RangeError(`sgemm: ${label} holds ${x.length} floats, needs ${needed}`);
  }
}

/** One line for logs, e.g. `OpenBLAS 0.3.21, 2 threads`. */
export function describeBlas(blas: Blas | BlasUnavailable): string {
  if (!blas.available) return blas.reason;
  const t = blas.getThreads();
  return blas.threadControl ? `${blas.name}, ${t} thread${t === 1 ? "" : "s"}` : blas.name;
}
