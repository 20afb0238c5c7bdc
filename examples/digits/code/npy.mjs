// Minimal reader/writer for NumPy's .npy format (little-endian float arrays, C order).
// Format spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

const DTYPES = {
  '<f4': { size: 4, Array: Float32Array, get: 'readFloatLE', set: 'writeFloatLE' },
  '<f8': { size: 8, Array: Float64Array, get: 'readDoubleLE', set: 'writeDoubleLE' },
};

/**
 * Writes `data` (a flat, row-major Float32Array or Float64Array) as a version 1.0 .npy file
 * with the given shape. The header is the one np.save produces, byte for byte.
 */
export function writeNpy(path, data, shape) {
  const descr = data instanceof Float64Array ? '<f8' : '<f4';
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`writeNpy: shape (${shape.join(', ')}) does not match ${data.length} values`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads with spaces and a final newline so that the data starts on a 64-byte boundary.
  const preamble = MAGIC.length + 2 + 2;
  const total = Math.ceil((preamble + header.length + 1) / 64) * 64;
  header = header.padEnd(total - preamble - 1, ' ') + '\n';

  const { size, set } = DTYPES[descr];
  const out = Buffer.alloc(total + count * size);
  MAGIC.copy(out, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  out.writeUInt16LE(header.length, 8);
  out.write(header, preamble, 'latin1');
  for (let i = 0; i < count; i++) out[set](data[i], total + i * size);
  writeFileSync(path, out);
}

/** Reads a .npy file of '<f4' or '<f8' values in C order: returns { data, shape, descr }. */
export function readNpy(path) {
  const buf = readFileSync(path);
  if (!buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  // Version 1.x stores the header length in 2 bytes, versions 2.x and 3.x in 4.
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);

  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${path}: malformed .npy header`);
  }
  const dtype = DTYPES[descr];
  if (dtype === undefined) throw new Error(`${path}: unsupported dtype ${descr}`);
  if (fortran === 'True') throw new Error(`${path}: Fortran-ordered arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);

  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const data = new dtype.Array(count);
  for (let i = 0; i < count; i++) data[i] = buf[dtype.get](offset + i * dtype.size);
  return { data, shape, descr };
}
