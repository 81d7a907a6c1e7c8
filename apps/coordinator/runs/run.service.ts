import { Injectable, Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import {
  type CancelRunResponse,
  type GetRunResponse,
  type ModelFacts,
  type Recipe,
  type Run,
  type Scenario,
  RunState,
  type SubmitRunRequest,
  type Target,
  type WatchRunResponse,
} from '#contracts';
import { DomainError, DomainErrorCode, newId } from '#common';
import { assertSha256 } from '../artifacts/artifact-store.js';
import { AgentDirectoryService } from '../agents/agent-directory.service.js';
import { type AgentInfo } from '../agents/agent-registry.service.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { type NewTask, type RunOrigin, RunRepository } from '../store/run.repository.js';
import { VariantRepository } from '../store/variant.repository.js';
import { type CheckedRecipe, VariantService } from '../variants/variant.service.js';
import { type Placement, placeTasks, targetRuntimes } from './agent-matcher.js';
import { expandTasks } from './task-expansion.js';
import { RunEventsService } from './run-events.service.js';
import { checkInputNames, checkScenarioAgainstModel, normalizeScenario } from './scenario.validator.js';
import { SchedulerService } from './scheduler.service.js';

const TERMINAL = new Set([
  RunState.RUN_STATE_SUCCEEDED,
  RunState.RUN_STATE_FAILED,
  RunState.RUN_STATE_CANCELLED,
]);

export interface PreparedModel {
  sha256: string;
  name: string;
  facts: ModelFacts;
}

export interface PreparedRun {
  models: PreparedModel[];
  scenario: Scenario;
  target: Target;
  recipes: CheckedRecipe[];
  rawRecipes: Recipe[];
  placements: Placement[];
  /** The connected agents (of every replica) the placements were made from. */
  agents: AgentInfo[];
}

export function isTerminal(run: Run): boolean {
  return TERMINAL.has(run.state);
}

@Injectable()
export class RunService {
  private readonly logger = new Logger(RunService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly directory: AgentDirectoryService,
    private readonly events: RunEventsService,
    private readonly scheduler: SchedulerService,
    private readonly variantBuilder: VariantService,
    private readonly variantRepo: VariantRepository,
  ) {}

  /** Validates everything first, then stores the run with all its tasks at once: a bad request leaves nothing. */
  async submit(request: SubmitRunRequest, submittedBy: string | null = null): Promise<Run> {
    const prepared = await this.prepare(request);
    const tasks: NewTask[] = [];
    for (const model of prepared.models) {
      const variants = [];
      for (const recipe of prepared.recipes) {
        variants.push(await this.variantBuilder.ensure(model.sha256, recipe));
      }
      tasks.push(...expandTasks(model, variants, prepared.placements, targetRuntimes(prepared.target)[0]!));
    }
    return this.create(prepared, request.name, tasks, { kind: 'adhoc', submittedBy });
  }

  /**
   * Every check a run needs before anything is stored: models and input files exist, the scenario fits
   * each model, recipes parse, and connected agents match the target. Suites and gates use it too.
   */
  async prepare(request: SubmitRunRequest): Promise<PreparedRun> {
    if (request.models.length === 0) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'a run needs at least one model');
    }
    const scenario = normalizeScenario(request.scenario);
    const target: Target = {
      labels: request.target?.labels ?? [],
      executionProviders: (request.target?.executionProviders ?? [])
        .map((ep) => ep.trim().toLowerCase())
        .filter(Boolean),
      agents: request.target?.agents ?? [],
      anyOneAgent: request.target?.anyOneAgent ?? false,
      runtimes: request.target?.runtimes ?? [],
    };
    const recipes = request.recipes.map((r) => this.variantBuilder.check(r));
    if (new Set(recipes.map((r) => r.name)).size !== recipes.length) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        'two recipes have the same name; name each variant once',
      );
    }
    const models: PreparedModel[] = [];
    for (const ref of request.models) {
      assertSha256(ref.sha256);
      const artifact = await this.artifacts.find(ref.sha256);
      if (!artifact || artifact.kind !== 'model' || !artifact.facts) {
        throw new DomainError(
          DomainErrorCode.NOT_FOUND,
          `model ${ref.sha256} is not stored; upload it first (UploadModel)`,
        );
      }
      models.push({ sha256: ref.sha256, name: ref.name || artifact.name, facts: artifact.facts });
    }
    checkInputNames(scenario, models);
    for (const model of models) {
      checkScenarioAgainstModel(scenario, model.name, model.facts);
    }
    for (const file of scenario.inputFiles) {
      assertSha256(file.artifactSha256);
      const artifact = await this.artifacts.find(file.artifactSha256);
      if (!artifact || artifact.kind !== 'tensor') {
        throw new DomainError(
          DomainErrorCode.NOT_FOUND,
          `input file ${file.artifactSha256} for '${file.input}' is not stored; upload it first`,
        );
      }
    }
    const agents = await this.directory.connectedAgents();
    const placements = placeTasks(target, agents);
    return { models, scenario, target, recipes, rawRecipes: request.recipes, placements, agents };
  }

  /** Stores the run and its tasks in one transaction, announces it and wakes the scheduler. */
  async create(prepared: PreparedRun, name: string, tasks: NewTask[], origin: RunOrigin): Promise<Run> {
    const id = newId('run');
    const runName = name || prepared.models.map((m) => m.name).join(', ');
    const stored = {
      models: prepared.models.map(({ sha256, name }) => ({ sha256, name })),
      target: prepared.target,
      scenario: prepared.scenario,
      recipes: prepared.rawRecipes,
    };
    await this.runs.createRun(id, runName, stored, tasks, Date.now(), origin);
    this.logger.log(`run ${id} '${runName}' (${origin.kind}): ${tasks.length} task(s)`);
    // The run alone: its tasks and results are not part of the answer (a thousand task rows read and
    // dropped took milliseconds of the thread that dispatches).
    const run = (await this.runs.getRun(id))!;
    this.events.run(run);
    this.scheduler.kick();
    return run;
  }

  async get(runId: string): Promise<GetRunResponse> {
    const run = await this.runs.getRun(runId);
    if (!run) {
      throw new DomainError(DomainErrorCode.NOT_FOUND, `run '${runId.slice(0, 80)}' not found`);
    }
    return {
      run,
      tasks: await this.runs.listTasks(runId),
      results: await this.results.listForRun(runId),
      variants: await this.variantRepo.listForRun(runId),
    };
  }

  list(limit: number): Promise<Run[]> {
    return this.runs.listRuns(Math.min(limit || 50, 1000));
  }

  async cancel(runId: string): Promise<CancelRunResponse> {
    const { run } = await this.get(runId);
    if (isTerminal(run!)) {
      throw new DomainError(DomainErrorCode.RUN_FINISHED, `run ${runId} already finished`);
    }
    await this.scheduler.cancelRun(runId);
    return { run: (await this.get(runId)).run };
  }

  /**
   * Subscribes to live events before reading the snapshot, so nothing that happens in between is lost;
   * events that arrive meanwhile are replayed after it. Completes once the run is finished. With replicas,
   * another replica's events may arrive after the run's end (they travel separately), so the end is
   * followed by one last read of the store that sends every result not sent yet.
   */
  watch(runId: string): Observable<WatchRunResponse> {
    return new Observable<WatchRunResponse>((subscriber) => {
      const buffered: WatchRunResponse[] = [];
      const sentResults = new Set<string>();
      const sentTaskStates = new Map<string, string>();
      let live = false;
      let ending = false;
      const stopWatching = this.events.watching(runId);
      const send = (event: WatchRunResponse): void => {
        if (event.result) {
          sentResults.add(`${event.result.taskId}/${event.result.attempt}`);
        }
        if (event.task) {
          sentTaskStates.set(event.task.id, `${event.task.state}/${event.task.attempt}`);
        }
        subscriber.next(event);
      };
      const end = (run: WatchRunResponse['run']): void => {
        ending = true;
        this.get(runId).then(
          (last) => {
            for (const task of last.tasks) {
              if (sentTaskStates.get(task.id) !== `${task.state}/${task.attempt}`) {
                send({ task });
              }
            }
            for (const result of last.results.filter((r) => !sentResults.has(`${r.taskId}/${r.attempt}`))) {
              send({ result });
            }
            send({ run: last.run ?? run });
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(error),
        );
      };
      const emit = (event: WatchRunResponse): void => {
        if (ending || subscriber.closed) {
          return;
        }
        if (event.run && isTerminal(event.run)) {
          end(event.run);
          return;
        }
        send(event);
      };
      const subscription = this.events.events$.subscribe((e) => {
        if (e.runId !== runId) {
          return;
        }
        if (live) {
          emit(e.event);
        } else {
          buffered.push(e.event);
        }
      });
      this.get(runId).then(
        (snapshot) => {
          for (const task of snapshot.tasks) {
            send({ task });
          }
          for (const result of snapshot.results) {
            send({ result });
          }
          live = true;
          emit({ run: snapshot.run });
          for (const event of buffered.splice(0)) {
            emit(event);
          }
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        subscription.unsubscribe();
        stopWatching();
      };
    });
  }
}
