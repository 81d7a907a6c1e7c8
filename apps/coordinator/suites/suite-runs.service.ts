import { Injectable } from '@nestjs/common';
import {
  type BaselineEntry,
  type Run,
  type RunSuiteRequest,
  type SubmitGateRequest,
  type SuiteSource,
  VerdictOutcome,
} from '#contracts';
import { DomainError, DomainErrorCode } from '#common';
import { type SuiteSpec, parseSuite, toModelRefs, toRecipes, toScenario, toTarget } from '#suites';
import { agentFitsTarget, canRun, targetRuntimes } from '../runs/agent-matcher.js';
import { RunEventsService } from '../runs/run-events.service.js';
import { type PreparedRun, RunService, isTerminal } from '../runs/run.service.js';
import { expandTasks } from '../runs/task-expansion.js';
import { BaselineRepository } from '../store/baseline.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { type NewTask, RunRepository } from '../store/run.repository.js';
import { VerdictRepository } from '../store/verdict.repository.js';
import { VariantService } from '../variants/variant.service.js';
import { type GateCell, roundTasks } from './gate-plan.js';
import { expectedFingerprintKey, resultFingerprintKey } from './suite-fingerprint.js';

/** "nightly" names the last accepted nightly run of the suite on the same fingerprint. */
export const NIGHTLY_BASELINE = 'nightly';
const BASELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/**
 * Suite runs (nightly series) and CI gates. Both start from a suite the coordinator validates itself,
 * then reuse the checks and storage of plain runs, so a bad suite or baseline leaves nothing behind.
 */
@Injectable()
export class SuiteRunsService {
  constructor(
    private readonly runService: RunService,
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly baselines: BaselineRepository,
    private readonly verdicts: VerdictRepository,
    private readonly variants: VariantService,
    private readonly events: RunEventsService,
  ) {}

  async runSuite(request: RunSuiteRequest, submittedBy: string | null = null): Promise<Run> {
    const { spec, prepared } = await this.load(request.suite);
    const tasks: NewTask[] = [];
    for (const model of prepared.models) {
      const variants = [];
      for (const recipe of prepared.recipes) {
        variants.push(await this.variants.ensure(model.sha256, recipe));
      }
      tasks.push(...expandTasks(model, variants, prepared.placements, targetRuntimes(prepared.target)[0]!));
    }
    return this.runService.create(prepared, request.name || `${spec.suite} nightly`, tasks, {
      kind: 'nightly',
      suite: spec.suite,
      suiteJson: JSON.stringify(spec),
      submittedBy,
    });
  }

  /**
   * Head = the suite's models as sent; base = the baseline's models for each agent's own fingerprint.
   * Agents without such a baseline are left out; with none left the gate is refused (FAILED_PRECONDITION).
   */
  async submitGate(request: SubmitGateRequest, submittedBy: string | null = null): Promise<Run> {
    const baseline = request.baseline.trim();
    if (!BASELINE_NAME.test(baseline)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `baseline '${baseline.slice(0, 100)}' is not a valid name (letters, digits, . _ / -; "nightly" = last accepted nightly)`,
      );
    }
    const { spec, prepared } = await this.load(request.suite);
    if (request.maxRounds > 0) {
      if (request.maxRounds < spec.gate.minRounds) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          `max_rounds ${request.maxRounds} is below the suite's gate.min_rounds ${spec.gate.minRounds}`,
        );
      }
      spec.gate.maxRounds = request.maxRounds;
    }
    const cells: GateCell[] = [];
    const missing: string[] = [];
    for (const placement of prepared.placements) {
      const agents = placement.agentId
        ? prepared.agents.filter((a) => a.id === placement.agentId)
        : prepared.agents.filter(
            (a) => agentFitsTarget(a, prepared.target) && canRun(a, placement.ep, placement.runtime),
          );
      for (const agent of agents) {
        const fingerprint = expectedFingerprintKey(agent, prepared.scenario, placement.runtime);
        const entries = await this.baselines.find(spec.suite, baseline, fingerprint);
        const byModel = new Map(entries.map((e) => [e.model, e]));
        const absent = prepared.models.filter((m) => !byModel.has(m.name));
        if (absent.length > 0) {
          missing.push(`${agent.name} (fingerprint ${fingerprint}): ${absent.map((m) => m.name).join(', ')}`);
          continue;
        }
        for (const model of prepared.models) {
          const base = byModel.get(model.name)!.modelSha256;
          const cell = { model: model.name, agentId: agent.id, ep: placement.ep, runtime: placement.runtime };
          cells.push({
            ...cell,
            variant: 'original',
            base: { modelSha256: base, variantSha256: null },
            head: { modelSha256: model.sha256, variantSha256: null },
          });
          for (const recipe of prepared.recipes) {
            const baseVariant = await this.variants.ensure(base, recipe);
            const headVariant = await this.variants.ensure(model.sha256, recipe);
            cells.push({
              ...cell,
              variant: recipe.name,
              base: { modelSha256: base, variantSha256: baseVariant.variantSha256 },
              head: { modelSha256: model.sha256, variantSha256: headVariant.variantSha256 },
            });
          }
        }
        if (!placement.agentId) {
          break; // "any one agent": the first one with a baseline
        }
      }
    }
    if (cells.length === 0) {
      throw new DomainError(
        DomainErrorCode.FAILED_PRECONDITION,
        `no baseline '${baseline}' of suite '${spec.suite}' for the fingerprint of any matching agent (${missing.join('; ')}); ` +
          `accept one with: mlfarm baseline accept RUN --name ${baseline}`,
      );
    }
    const run = await this.runService.create(
      prepared,
      request.name || `${spec.suite} gate vs ${baseline}`,
      roundTasks(cells, 1, spec.gate.minRounds),
      { kind: 'gate', suite: spec.suite, baseline, suiteJson: JSON.stringify(spec), submittedBy },
    );
    const pending = {
      runId: run.id,
      suite: spec.suite,
      baseline,
      outcome: VerdictOutcome.VERDICT_OUTCOME_PENDING,
      rounds: 0,
      decidedAtMs: '0',
      comparisons: [],
      advice: [],
      errors: [],
      // Agents without a baseline for their fingerprint are not an error of the gate: they are named here.
      summary:
        `PENDING: ${spec.gate.minRounds} round(s) per side queued on ${new Set(cells.map((c) => c.agentId)).size} agent(s)` +
        (missing.length > 0 ? `; left out, no baseline '${baseline}': ${missing.join('; ')}` : ''),
    };
    await this.verdicts.save(pending, Date.now());
    this.events.verdict(run.id, pending);
    return run;
  }

  /** Every (fingerprint, model) the run measured successfully becomes baseline `name` of its suite. */
  async acceptBaseline(runId: string, name: string): Promise<BaselineEntry[]> {
    if (!BASELINE_NAME.test(name)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `baseline name '${name.slice(0, 100)}' is not valid`,
      );
    }
    const row = await this.runs.findRunRow(runId);
    if (!row) {
      throw new DomainError(DomainErrorCode.NOT_FOUND, `run '${runId.slice(0, 80)}' not found`);
    }
    if (!row.suite || row.kind === 'adhoc') {
      throw new DomainError(
        DomainErrorCode.FAILED_PRECONDITION,
        `run ${runId} is not a suite run; only suite runs and gates can become baselines`,
      );
    }
    const run = await this.runs.getRun(runId);
    if (!run || !isTerminal(run)) {
      throw new DomainError(DomainErrorCode.FAILED_PRECONDITION, `run ${runId} has not finished`);
    }
    const entries = await this.entriesOf(runId, row.suite, name, row.kind === 'gate' ? 'head' : undefined);
    if (entries.length === 0) {
      throw new DomainError(
        DomainErrorCode.FAILED_PRECONDITION,
        `run ${runId} has no successful measurement of an original model`,
      );
    }
    await this.baselines.accept(entries, Date.now());
    return entries;
  }

  /** Baseline entries a run supports: one per (fingerprint, model) with a successful original. */
  async entriesOf(runId: string, suite: string, name: string, side?: string): Promise<BaselineEntry[]> {
    const tasks = new Map((await this.runs.listTaskRows(runId)).map((t) => [t.id, t]));
    const entries = new Map<string, BaselineEntry>();
    for (const result of await this.results.listForRun(runId)) {
      const task = tasks.get(result.taskId);
      if (
        !task ||
        task.state !== 'succeeded' ||
        task.variant !== 'original' ||
        (side && task.side !== side)
      ) {
        continue;
      }
      const fingerprint = resultFingerprintKey(result);
      entries.set(`${fingerprint}\u0000${task.model_name}`, {
        suite,
        name,
        fingerprint,
        model: task.model_name,
        modelSha256: task.model_sha256,
        runId,
        acceptedAtMs: '0',
      });
    }
    return [...entries.values()];
  }

  listBaselines(suite: string): Promise<BaselineEntry[]> {
    return this.baselines.list(suite);
  }

  private async load(source: SuiteSource | undefined): Promise<{ spec: SuiteSpec; prepared: PreparedRun }> {
    if (!source?.yaml) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        "suite.yaml is empty: send the suite file's text",
      );
    }
    const spec = parseSuite(source.yaml, source.fileName || 'suite.yaml');
    const request = {
      models: toModelRefs(spec, source.uploaded),
      target: toTarget(spec),
      scenario: toScenario(spec, source.uploaded),
      name: '',
      recipes: toRecipes(spec, (path) => {
        const text = source.files[path];
        if (text === undefined) {
          throw new DomainError(
            DomainErrorCode.INVALID_REQUEST,
            `recipe file '${path}' was not sent with the suite (SuiteSource.files)`,
          );
        }
        return text;
      }),
    };
    return { spec, prepared: await this.runService.prepare(request) };
  }
}
