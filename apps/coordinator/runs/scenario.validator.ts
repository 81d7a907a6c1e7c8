import { GraphOptimizationLevel, type ModelFacts, type Scenario, type TensorDescription } from '#contracts';
import { DomainError, DomainErrorCode } from '#common';

export const SCENARIO_DEFAULTS = {
  warmupIterations: 5,
  iterations: 50,
  profileIterations: 10,
  timeoutMs: 15 * 60_000,
} as const;

// UNRECOGNIZED (-1) is ts-proto's marker for a value this build does not know; it is rejected too.
const KNOWN_LEVELS = new Set<number>([
  GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_UNSPECIFIED,
  GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_DISABLED,
  GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_BASIC,
  GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_EXTENDED,
  GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_ALL,
]);

const LIMITS: [keyof Scenario, number][] = [
  ['warmupIterations', 100_000],
  ['iterations', 1_000_000],
  ['minDurationMs', 24 * 3_600_000],
  ['intraOpThreads', 1024],
  ['interOpThreads', 1024],
  ['profileIterations', 10_000],
  ['timeoutMs', 24 * 3_600_000],
];

/** Fills defaults and rejects values no agent could honour, naming the field. */
export function normalizeScenario(input: Scenario | undefined): Scenario {
  const s: Scenario = {
    warmupIterations: input?.warmupIterations ?? 0,
    iterations: input?.iterations ?? 0,
    minDurationMs: input?.minDurationMs ?? 0,
    intraOpThreads: input?.intraOpThreads ?? 0,
    interOpThreads: input?.interOpThreads ?? 0,
    graphOptimizationLevel: input?.graphOptimizationLevel ?? 0,
    skipProfile: input?.skipProfile ?? false,
    profileIterations: input?.profileIterations || SCENARIO_DEFAULTS.profileIterations,
    seed: input?.seed ?? 0,
    shapes: input?.shapes ?? [],
    inputFiles: input?.inputFiles ?? [],
    timeoutMs: input?.timeoutMs || SCENARIO_DEFAULTS.timeoutMs,
  };
  if (s.iterations === 0 && s.minDurationMs === 0) {
    s.iterations = SCENARIO_DEFAULTS.iterations;
  }
  if (!input?.warmupIterations) {
    s.warmupIterations = SCENARIO_DEFAULTS.warmupIterations;
  }
  for (const [field, max] of LIMITS) {
    const value = s[field] as number;
    if (value > max) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `scenario.${field}=${value} is above the limit ${max}`,
      );
    }
  }
  if (!KNOWN_LEVELS.has(s.graphOptimizationLevel)) {
    throw new DomainError(
      DomainErrorCode.INVALID_REQUEST,
      `scenario.graphOptimizationLevel=${s.graphOptimizationLevel} is not a known level`,
    );
  }
  const seen = new Set<string>();
  for (const shape of s.shapes) {
    if (seen.has(shape.input)) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, `shape for input '${shape.input}' given twice`);
    }
    seen.add(shape.input);
  }
  return s;
}

function describeDims(t: TensorDescription): string {
  return `[${t.dims.map((d) => (Number(d) < 0 ? '?' : d)).join(',')}]`;
}

/** A shape or input file must name an input of at least one model of the run. */
export function checkInputNames(scenario: Scenario, models: { name: string; facts: ModelFacts }[]): void {
  const known = new Set(models.flatMap((m) => m.facts.inputs.map((i) => i.name)));
  const named = [
    ...scenario.shapes.map((s) => ['shape', s.input]),
    ...scenario.inputFiles.map((f) => ['input file', f.input]),
  ];
  for (const [what, name] of named) {
    if (!known.has(name!)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `${what} given for '${name}', but no model of the run has such an input (inputs: ${[...known].join(', ')})`,
      );
    }
  }
}

/**
 * Checks the scenario against one model before any task exists: every dynamic input needs a shape,
 * every shape and input file must name a real input, and a shape must agree with the fixed dims.
 */
export function checkScenarioAgainstModel(scenario: Scenario, modelName: string, facts: ModelFacts): void {
  const inputs = new Map(facts.inputs.map((i) => [i.name, i]));
  const fromFile = new Set(scenario.inputFiles.map((f) => f.input));
  for (const shape of scenario.shapes) {
    const input = inputs.get(shape.input);
    if (!input) {
      continue; // meant for another model of the run; checkInputNames catches names no model has
    }
    if (input.dims.length > 0 && input.dims.length !== shape.dims.length) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `shape ${shape.dims.join('x')} for input '${shape.input}' of model '${modelName}' has rank ${shape.dims.length}; the model says ${describeDims(input)}`,
      );
    }
    input.dims.forEach((d, i) => {
      if (Number(d) > 0 && Number(d) !== Number(shape.dims[i])) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          `shape ${shape.dims.join('x')} for input '${shape.input}' of model '${modelName}' conflicts with its fixed dimensions ${describeDims(input)}`,
        );
      }
    });
  }
  for (const input of facts.inputs) {
    const dynamic = input.dims.some((d) => Number(d) < 0);
    const given = scenario.shapes.some((s) => s.input === input.name) || fromFile.has(input.name);
    if (dynamic && !given) {
      // A guess that fits image models (batch 1, 640 for spatial dims); the message says it is an example.
      const example = input.dims.map((d, i) => (Number(d) > 0 ? d : i === 0 ? '1' : '640')).join('x');
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `input '${input.name}' of model '${modelName}' has dynamic dimensions ${describeDims(input)}; give its shape with --shape, e.g. --shape ${input.name}=${example}`,
      );
    }
  }
}
