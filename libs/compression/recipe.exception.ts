import { DomainError, DomainErrorCode } from '#common';

/** A recipe that cannot be used; `path` is the offending key, e.g. `op_type_configs.Conv.palettize.nbits`. */
export class RecipeError extends DomainError {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly source = 'recipe',
  ) {
    super(DomainErrorCode.INVALID_REQUEST, `${source}: ${path || '<root>'}: ${detail}`);
    this.name = 'RecipeError';
  }
}
