/** A tensor seen as [pre, len, post] around one axis: element (p, i, q) is at (p * len + i) * post + q. */
export interface AxisView {
  pre: number;
  len: number;
  post: number;
}

export function axisView(dims: readonly number[], axis: number): AxisView {
  let pre = 1;
  let post = 1;
  dims.forEach((d, i) => {
    if (i < axis) {
      pre *= d;
    } else if (i > axis) {
      post *= d;
    }
  });
  return { pre, len: dims[axis] ?? 1, post };
}

/** Negative axes count from the end, as in ONNX; scalars and 1-D tensors use axis 0. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank === 0) {
    return 0;
  }
  if (a < 0 || a >= rank) {
    throw new RangeError(`axis ${axis} is out of range for a rank-${rank} tensor`);
  }
  return a;
}

/** Calls visit(elementIndex, i) for every element, i its coordinate along the axis. */
export function forEachAlong(view: AxisView, visit: (element: number, i: number) => void): void {
  const { pre, len, post } = view;
  for (let p = 0; p < pre; p += 1) {
    for (let i = 0; i < len; i += 1) {
      const base = (p * len + i) * post;
      for (let q = 0; q < post; q += 1) {
        visit(base + q, i);
      }
    }
  }
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
