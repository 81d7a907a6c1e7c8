/** A weight that cannot take the method: it stays as it was and the report says why. */
export class SkipWeight extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipWeight';
  }
}
