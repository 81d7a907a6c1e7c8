import { InvalidArgumentError } from 'commander';
import { type Shape } from '#contracts';
import { type LabelPair, DomainError, DomainErrorCode, parseLabel, parseShape } from '#common';

// commander collects repeatable options through these; a bad value ends in exit code 2 with one line.
function wrap<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => {
    try {
      return [...(previous ?? []), parse(text)];
    } catch (error) {
      throw new InvalidArgumentError(error instanceof DomainError ? error.message : String(error));
    }
  };
}

export const collectShape = wrap<Shape>((text) => {
  const { input, dims } = parseShape(text);
  return { input, dims: dims.map(String) };
});

export const collectLabel = wrap<LabelPair>(parseLabel);

export const collectString = wrap<string>((text) => text);

export const collectInputFile = wrap<{ input: string; path: string }>((text) => {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw new DomainError(
      DomainErrorCode.INVALID_REQUEST,
      `bad input file '${text}': expected input=PATH (.npy or .pb)`,
    );
  }
  return { input: text.slice(0, eq), path: text.slice(eq + 1) };
});

/** Counts and durations: 0 would mean "the default" on the wire, so it is refused rather than ignored. */
export function positiveInt(name: string): (text: string) => number {
  return integerAtLeast(name, 1, 'a positive integer');
}

/** Thread counts and seeds, where 0 is meaningful ("ONNX Runtime decides", seed 0). */
export function nonNegativeInt(name: string): (text: string) => number {
  return integerAtLeast(name, 0, 'a non-negative integer');
}

function integerAtLeast(name: string, min: number, what: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be ${what}, got '${text}'`);
    }
    return n;
  };
}
