// One self-describing binary file for a header and a list of float32 arrays:
//   8 bytes magic "RZCKPT02", u32 header length, u32 CRC-32 of everything
//   after these 16 bytes, header JSON (UTF-8), then the arrays back to back
//   (little-endian float32), lengths listed in the header.
// One file, so that a rename replaces a whole checkpoint at once; the CRC-32
// catches a damaged file (a flipped bit, a bad sector) before a run resumes
// from it.

const MAGIC = "RZCKPT02";
const OLD_MAGIC = "RZCKPT01";
const PREFIX = 16;

/** Packs `header` and `arrays` into one buffer. */
export function encodeTensorFile(
  header: Record<string, unknown>,
  arrays: Float32Array[],
): Uint8Array {
  const json = new TextEncoder().encode(
    JSON.stringify({ ...header, arrayLengths: arrays.map((a) => a.length) }),
  );
  const floats = arrays.reduce((s, a) => s + a.length, 0);
  // Pad the header so that the floats start on a 4-byte boundary.
  const headerEnd = align4(PREFIX + json.length);
  const out = new Uint8Array(headerEnd + floats * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, json.length, true);
  out.set(json, PREFIX);
  const body = new Float32Array(out.buffer, headerEnd, floats);
  let offset = 0;
  for (const a of arrays) {
    body.set(a, offset);
    offset += a.length;
  }
  view.setUint32(12, crc32(out.subarray(PREFIX)), true);
  return out;
}

/** Unpacks a buffer made by {@link encodeTensorFile}; throws a plain message if it is damaged. */
export function decodeTensorFile(
  bytes: Uint8Array,
): { header: Record<string, unknown>; arrays: Float32Array[] } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic === OLD_MAGIC) {
    throw new Error("a checkpoint from an older version, without a checksum");
  }
  if (bytes.length < PREFIX || magic !== MAGIC) {
    throw new Error("not a checkpoint file (bad magic number)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  if (PREFIX + jsonLength > bytes.length) throw new Error("truncated checkpoint (header)");
  let header: Record<string, unknown> | null = null;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + jsonLength)));
  } catch { /* reported below: the checksum cannot match either */ }
  const lengths = header?.arrayLengths as number[] | undefined;
  const valid = Array.isArray(lengths) && lengths.every((n) => Number.isInteger(n) && n >= 0);
  const headerEnd = align4(PREFIX + jsonLength);
  const floats = valid ? lengths.reduce((s, n) => s + n, 0) : 0;
  // A wrong length says more than a wrong checksum: the file was cut short (or grew).
  if (valid && bytes.length !== headerEnd + floats * 4) {
    throw new Error(
      `truncated checkpoint: ${bytes.length} bytes, expected ${headerEnd + floats * 4}`,
    );
  }
  if (crc32(bytes.subarray(PREFIX)) !== view.getUint32(12, true)) {
    throw new Error("damaged checkpoint: its CRC-32 does not match its content");
  }
  if (!header || !valid) throw new Error("damaged checkpoint: its header is not readable");
  const copy = bytes.slice(headerEnd); // aligned copy of the body
  const body = new Float32Array(copy.buffer, 0, floats);
  let offset = 0;
  const arrays = lengths.map((n) => {
    const a = body.slice(offset, offset + n);
    offset += n;
    return a;
  });
  return { header, arrays };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the one of zip and PNG) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
