/**
 * Private: a small, safe layer over h5wasm (the HDF5 C library compiled to
 * WebAssembly) for reading and writing HDF5 files held in memory.
 *
 * h5wasm works on Emscripten's in-memory file system, so bytes are copied in with `FS.writeFile`
 * and out with `FS.readFile`: no Node-specific mounting, which keeps it working under `deno run`,
 * in notebooks and in `deno bundle` output (h5wasm's ESM build embeds its WASM binary). While a
 * callback runs, HDF5's error stack is turned into a thrown {@link Hdf5Error} instead of being
 * printed to stderr.
 *
 * @module
 */
import h5wasm from "h5wasm";

/** An open HDF5 file. */
export type H5File = InstanceType<typeof h5wasm.File>;
/** A group of an HDF5 file. */
export type H5Group = InstanceType<typeof h5wasm.Group>;
/** A dataset of an HDF5 file. */
export type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** The HDF5 library refused the file or an object in it; `message` is HDF5's own reason. */
export class Hdf5Error extends Error {
  /** HDF5's whole error stack, for debugging. */
  readonly diagnostics: string;
  constructor(message: string, diagnostics: string) {
    super(message);
    this.name = "Hdf5Error";
    this.diagnostics = diagnostics;
  }
}

/** The 8-byte signature at the start of an HDF5 file without a user block. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** True when `bytes` starts with the HDF5 signature (at 0, 512, 1024, … as HDF5 allows). */
export function isHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
    if (at >= 1 << 20) break;
  }
  return false;
}

let serial = 0;

/**
 * Opens HDF5 `bytes` read-only, runs `read` on the file and closes it. `read`
 * is synchronous so that no other h5wasm user runs while HDF5 errors throw.
 */
export async function readHdf5<T>(bytes: Uint8Array, read: (file: H5File) => T): Promise<T> {
  const module = await h5wasm.ready;
  const path = `/_keras_import_${serial++}.h5`;
  module.FS.writeFile(path, bytes);
  module.activate_throwing_error_handler();
  let file: H5File | undefined;
  try {
    file = new h5wasm.File(path, "r");
    return read(file);
  } catch (error) {
    throw toHdf5Error(error);
  } finally {
    try {
      file?.close();
    } catch {
      // The file was damaged; closing what HDF5 could open is best effort.
    }
    module.deactivate_throwing_error_handler();
    module.FS.unlink(path);
  }
}

/** Builds a new HDF5 file with `write` and returns its bytes. */
export async function writeHdf5(write: (file: H5File) => void): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const path = `/_keras_export_${serial++}.h5`;
  module.activate_throwing_error_handler();
  try {
    const file = new h5wasm.File(path, "w");
    try {
      write(file);
    } finally {
      file.close();
    }
    return module.FS.readFile(path);
  } catch (error) {
    throw toHdf5Error(error);
  } finally {
    module.deactivate_throwing_error_handler();
    try {
      module.FS.unlink(path);
    } catch {
      // Nothing was written.
    }
  }
}

/** True when `entity` is an HDF5 group. */
export function isGroup(entity: unknown): entity is H5Group {
  return entity instanceof h5wasm.Group;
}

/** True when `entity` is an HDF5 dataset. */
export function isDataset(entity: unknown): entity is H5Dataset {
  return entity instanceof h5wasm.Dataset;
}

/** Reads a scalar string attribute, or `undefined` when absent or not a string. */
export function stringAttr(obj: H5Group, name: string): string | undefined {
  const value = obj.attrs[name]?.value;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return undefined;
}

/** Reads a 1D string array attribute, such as Keras' `weight_names`; `undefined` if absent. */
export function stringListAttr(obj: H5Group, name: string): string[] | undefined {
  const value = obj.attrs[name]?.value;
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.map((v) => String(v));
  // h5py writes an empty list as an empty float64 array.
  if (ArrayBuffer.isView(value) && (value as unknown as { length: number }).length === 0) return [];
  return undefined;
}

/** Reads a float dataset as float32 values with its shape; `null` when it holds no floats. */
export function readFloatDataset(ds: H5Dataset): { shape: number[]; values: Float32Array } | null {
  const shape = ds.shape ?? [];
  const value = ds.value;
  if (value instanceof Float32Array) return { shape, values: value };
  if (value instanceof Float64Array) return { shape, values: Float32Array.from(value) };
  if (typeof value === "number" && shape.length === 0) {
    return { shape, values: Float32Array.of(value) };
  }
  return null;
}

function toHdf5Error(error: unknown): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (!text.includes("HDF5-DIAG")) return error;
  // The deepest frame of HDF5's error stack says what went wrong, e.g.
  // "truncated file: eof = 1419160, …" or "file signature not found".
  const frames = [...text.matchAll(/#\d+: .* in ([\w]+)\(\): (.*)$/gm)];
  const last = frames.at(-1);
  return new Hdf5Error(last ? last[2].trim() : text.split("\n")[0], text);
}
