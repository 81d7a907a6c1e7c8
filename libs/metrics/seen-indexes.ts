/**
 * Which timed iterations of a task were already observed live. Progress reports arrive in order, so this
 * keeps a count of the contiguous prefix seen and a set only for the few that came ahead of it: a task
 * streaming a million samples holds a number, not a million set entries (the set was most of the
 * coordinator's memory at a thousand streaming agents).
 */
export class SeenIndexes {
  /** Every index below this was seen. */
  private prefix = 0;
  private readonly ahead = new Set<number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(index: number): boolean {
    return index < this.prefix || this.ahead.has(index);
  }

  /** False when it was seen already. */
  add(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || this.has(index)) {
      return false;
    }
    this.count += 1;
    if (index !== this.prefix) {
      this.ahead.add(index);
      return true;
    }
    this.prefix += 1;
    while (this.ahead.delete(this.prefix)) {
      this.prefix += 1;
    }
    return true;
  }
}
