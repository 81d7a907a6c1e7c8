export { DomainError, DomainErrorCode, assertUnreachable, errorMessage } from './domain-error.js';
export { type LabelPair, parseLabel, parseShape, formatLabels, labelsMatch } from './parsing.js';
export { newId } from './ids.js';
export { SerialQueue } from './serial-queue.js';
export { SharedExclusiveQueue } from './shared-exclusive-queue.js';
export { type BundledModel, BUNDLED_SHAPES, bundledModelPath } from './bundled-models.js';
