import { BenchError } from './bench.exception.js';
import { createPrng, hashString } from './prng.util.js';

/**
 * Plain data, not an ORT Tensor: the runner child wraps it with the Tensor class of whichever runtime it
 * loaded, and the values depend only on (seed, input name, type, dims), never on the runtime version.
 */
export interface SyntheticTensor {
  type: string;
  data: SyntheticData;
}

type SyntheticData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function tensor(type: string, data: SyntheticData): SyntheticTensor {
  return { type, data };
}

/** Values drawn for integer inputs lie in [0, INT_RANGE). */
const INT_RANGE = 10;

/**
 * Seeded synthetic tensor. Floats are uniform [0, 1): the range of normalised images and masks,
 * finite, free of denormals and not all-zero, so kernels take their ordinary paths (zeros or huge
 * values can hit fast paths or NaN slow paths and skew timing). Integers are small and non-negative
 * because integer inputs are usually ids, indices or lengths, which must be valid for any vocabulary
 * or axis.
 */
export function syntheticTensor(
  name: string,
  elemType: string,
  dims: number[],
  seed: number,
): SyntheticTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const random = createPrng((seed ^ hashString(name)) >>> 0);
  const int = (): number => Math.floor(random() * INT_RANGE);
  switch (elemType) {
    case 'float32':
      return tensor('float32', Float32Array.from({ length: size }, random));
    case 'float64':
      return tensor('float64', Float64Array.from({ length: size }, random));
    case 'float16':
      return tensor(
        'float16',
        Uint16Array.from({ length: size }, () => toFloat16Bits(random())),
      );
    case 'int8':
      return tensor('int8', Int8Array.from({ length: size }, int));
    case 'uint8':
      return tensor('uint8', Uint8Array.from({ length: size }, int));
    case 'int16':
      return tensor('int16', Int16Array.from({ length: size }, int));
    case 'uint16':
      return tensor('uint16', Uint16Array.from({ length: size }, int));
    case 'int32':
      return tensor('int32', Int32Array.from({ length: size }, int));
    case 'uint32':
      return tensor('uint32', Uint32Array.from({ length: size }, int));
    case 'int64':
      return tensor(
        'int64',
        BigInt64Array.from({ length: size }, () => BigInt(int())),
      );
    case 'uint64':
      return tensor(
        'uint64',
        BigUint64Array.from({ length: size }, () => BigInt(int())),
      );
    case 'bool':
      return tensor(
        'bool',
        Uint8Array.from({ length: size }, () => (random() < 0.5 ? 0 : 1)),
      );
    default:
      throw new BenchError(
        'INVALID_INPUT',
        `input '${name}' has element type ${elemType}, which has no synthetic data; give a file for it`,
      );
  }
}

/** IEEE half bits for a value in [0, 1) (no overflow/NaN handling needed in that range). */
function toFloat16Bits(v: number): number {
  if (v < 2 ** -24) {
    return 0;
  }
  const exp = Math.floor(Math.log2(v));
  if (exp < -14) {
    return Math.round(v / 2 ** -24);
  }
  const mantissa = Math.round((v / 2 ** exp - 1) * 1024);
  // Rounding can carry into the exponent (mantissa 1024), which the bit layout absorbs.
  return ((exp + 15) << 10) + mantissa;
}
