/** Past this many separate stretches, indexes that would open another one are refused (see add). */
const MAX_STRETCHES = 4096;

/**
 * Which timed iterations of a task were already observed live, as sorted, disjoint stretches
 * [start, end). Progress arrives in order, so a task streaming a million samples holds one stretch; a
 * progress message dropped under pressure leaves a gap and costs one more, not a set entry per later
 * sample (a set was most of the coordinator's memory, and most of its time, at a thousand streaming agents).
 */
export class SeenIndexes {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(index: number): boolean {
    const k = this.stretchAtOrBefore(index);
    return k >= 0 && index < this.ends[k]!;
  }

  /** False when it was seen already (or is not an index, or would open one stretch too many). */
  add(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && this.addRun(index, 1);
  }

  /**
   * Adds `count` indexes from `first` at once when none of them was seen: true. False, adding nothing,
   * when any was (the caller then adds them one by one), or when they would open a stretch past
   * MAX_STRETCHES: a hostile agent cannot make this grow without bound, and what is not observed live
   * the result brings.
   */
  addRun(first: number, count: number): boolean {
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(count) || count < 1) {
      return false;
    }
    const end = first + count;
    const last = this.starts.length - 1;
    // The usual case: the next indexes after everything seen so far.
    if (last >= 0 && first === this.ends[last]) {
      this.ends[last] = end;
      this.count += count;
      return true;
    }
    const k = this.stretchAtOrBefore(first);
    if (k >= 0 && first < this.ends[k]!) {
      return false;
    }
    const next = k + 1;
    if (next < this.starts.length && end > this.starts[next]!) {
      return false;
    }
    const joinsPrevious = k >= 0 && this.ends[k] === first;
    const joinsNext = next < this.starts.length && this.starts[next] === end;
    if (joinsPrevious && joinsNext) {
      this.ends[k] = this.ends[next]!;
      this.starts.splice(next, 1);
      this.ends.splice(next, 1);
    } else if (joinsPrevious) {
      this.ends[k] = end;
    } else if (joinsNext) {
      this.starts[next] = first;
    } else if (this.starts.length >= MAX_STRETCHES) {
      return false;
    } else {
      this.starts.splice(next, 0, first);
      this.ends.splice(next, 0, end);
    }
    this.count += count;
    return true;
  }

  /** The last stretch starting at or before `index`, or -1. */
  private stretchAtOrBefore(index: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= index) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }
}
