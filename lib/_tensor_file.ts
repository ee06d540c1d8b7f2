// One self-describing binary file for a header and a list of float32 arrays:
//   8 bytes magic "RZCKPT01", u32 header length, header JSON (UTF-8), then the
//   arrays back to back (little-endian float32), lengths listed in the header.
// One file, so that a rename replaces a whole checkpoint at once.

const MAGIC = "RZCKPT01";

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
  const headerEnd = align4(12 + json.length);
  const out = new Uint8Array(headerEnd + floats * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const body = new Float32Array(out.buffer, headerEnd, floats);
  let offset = 0;
  for (const a of arrays) {
    body.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** Unpacks a buffer made by {@link encodeTensorFile}; throws a plain message if it is damaged. */
export function decodeTensorFile(
  bytes: Uint8Array,
): { header: Record<string, unknown>; arrays: Float32Array[] } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error("not a checkpoint file (bad magic number)");
  }
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new Error("truncated checkpoint (header)");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)));
  const lengths = header.arrayLengths as number[];
  const headerEnd = align4(12 + jsonLength);
  const floats = lengths.reduce((s, n) => s + n, 0);
  if (bytes.length !== headerEnd + floats * 4) {
    throw new Error(
      `truncated checkpoint: ${bytes.length} bytes, expected ${headerEnd + floats * 4}`,
    );
  }
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
