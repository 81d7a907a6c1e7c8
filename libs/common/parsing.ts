import { DomainError, DomainErrorCode } from './domain-error.js';

export interface LabelPair {
  key: string;
  value: string;
}

const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9._/-]{0,62}$/;
const LABEL_VALUE = /^[a-zA-Z0-9._/:-]{0,63}$/;

/** `gpu=h200` -> { key: 'gpu', value: 'h200' }. */
export function parseLabel(text: string): LabelPair {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (eq < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
    throw new DomainError(
      DomainErrorCode.INVALID_REQUEST,
      `bad label '${text}': expected key=value (letters, digits, . _ / - ; value may also hold :)`,
    );
  }
  return { key, value };
}

/** `x=1x3x640x640` -> { input: 'x', dims: [1, 3, 640, 640] }. */
export function parseShape(text: string): { input: string; dims: number[] } {
  const eq = text.lastIndexOf('=');
  const input = text.slice(0, eq);
  const dimsText = text.slice(eq + 1);
  const dims = dimsText.split(/[x,]/).map((d) => Number(d));
  if (eq <= 0 || dimsText === '' || dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
    throw new DomainError(
      DomainErrorCode.INVALID_REQUEST,
      `bad shape '${text}': expected input=DIMS with positive integers, e.g. x=1x3x640x640`,
    );
  }
  return { input, dims };
}

export function formatLabels(labels: LabelPair[]): string {
  return labels.length === 0 ? '(none)' : labels.map((l) => `${l.key}=${l.value}`).join(',');
}

export function labelsMatch(have: LabelPair[], want: LabelPair[]): boolean {
  return want.every((w) => have.some((h) => h.key === w.key && h.value === w.value));
}
