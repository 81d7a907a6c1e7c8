import { readFile, readdir, readlink } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import {
  ArtifactKind,
  type GetRunResponse,
  type GrpcClient,
  RunState,
  type SubmitRunRequest,
  type Target,
  TaskState,
  createGrpcClient,
} from '#contracts';
import { type CliService, freePort, pollUntil, startCliService } from './cli-process.js';
import { EMPTY_TARGET, FAST_SCENARIO, uploadBytes } from './test-farm.js';

/**
 * A farm of real processes on loopback for the fault tests: a coordinator (`mlfarm coordinator`) and agents
 * (`mlfarm agent`) that a test may SIGKILL, restart or put behind a proxy; the test talks gRPC to it directly.
 */

const COORDINATOR_READY = /coordinator: gRPC (\S+), HTTP (\S+), data (.+)\n/;
const AGENT_READY = /agent (\S+) -> (\S+); execution providers: (.*)\n/;

export interface FaultAgent {
  name: string;
  id: string;
  service: CliService;
}

export class FaultFarm {
  client: GrpcClient;
  coordinator: CliService;
  readonly agents: FaultAgent[] = [];
  private readonly services = new Set<CliService>();

  private constructor(
    readonly dir: string,
    readonly grpcAddress: string,
    private readonly httpAddress: string,
    private readonly env: Record<string, string>,
    coordinator: CliService,
  ) {
    this.coordinator = coordinator;
    this.services.add(coordinator);
    this.client = createGrpcClient(grpcAddress);
  }

  static async start(env: Record<string, string> = {}): Promise<FaultFarm> {
    const dir = await mkdtemp(join(tmpdir(), 'mlfarm-faults-'));
    const grpcAddress = `127.0.0.1:${await freePort()}`;
    const httpAddress = `127.0.0.1:${await freePort()}`;
    const coordinator = await startCoordinatorProcess(dir, grpcAddress, httpAddress, env);
    return new FaultFarm(dir, grpcAddress, httpAddress, env, coordinator);
  }

  get metricsUrl(): string {
    return `http://${this.httpAddress}/metrics`;
  }

  /** SIGKILLs the coordinator (nothing flushed, nothing closed) and starts it again on the same data and port. */
  async killAndRestartCoordinator(): Promise<void> {
    await this.coordinator.stop('SIGKILL');
    this.services.delete(this.coordinator);
    this.client.close();
    this.coordinator = await startCoordinatorProcess(this.dir, this.grpcAddress, this.httpAddress, this.env);
    this.services.add(this.coordinator);
    this.client = createGrpcClient(this.grpcAddress);
  }

  async addAgent(
    name: string,
    extra: string[] = [],
    coordinatorAddress = this.grpcAddress,
  ): Promise<FaultAgent> {
    const service = await startCliService(
      ['agent', '-c', coordinatorAddress, '--name', name, '--ep', 'cpu', '--threads', '1', ...extra],
      {
        cwd: this.dir,
        env: { MLFARM_AGENT_STATE_DIR: join(this.dir, `agent-${name}`) },
        readyPattern: AGENT_READY,
        timeoutMs: 60_000,
      },
    );
    this.services.add(service);
    const agent = { name, id: service.ready[1]!, service };
    this.agents.push(agent);
    await pollUntil(`agent ${name} connected`, async () => {
      const { agents } = await lastValueFrom(this.client.coordinator.listAgents({}));
      const connected = agents.some((a) => a.id === agent.id && a.connected);
      return {
        value: connected ? true : undefined,
        state: JSON.stringify(agents.map((a) => [a.name, a.connected])),
      };
    });
    return agent;
  }

  async kill(agent: FaultAgent, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await agent.service.stop(signal);
    this.services.delete(agent.service);
    this.agents.splice(this.agents.indexOf(agent), 1);
  }

  async upload(bytes: Uint8Array, name: string): Promise<string> {
    return (await uploadBytes(this.client, bytes, name, ArtifactKind.ARTIFACT_KIND_MODEL)).sha256;
  }

  async submit(
    sha256: string,
    name: string,
    scenario: Partial<SubmitRunRequest['scenario']> = {},
    target: Partial<Target> = {},
  ): Promise<string> {
    const { run } = await lastValueFrom(
      this.client.coordinator.submitRun({
        name,
        target: { ...EMPTY_TARGET, ...target },
        scenario: { ...FAST_SCENARIO, ...scenario },
        models: [{ sha256, name }],
        recipes: [],
      }),
    );
    return run!.id;
  }

  getRun(runId: string): Promise<GetRunResponse> {
    return lastValueFrom(this.client.coordinator.getRun({ runId }));
  }

  /** Waits (generously) until the run is finished and returns it. */
  waitForRunEnd(runId: string, timeoutMs = 120_000): Promise<GetRunResponse> {
    return pollUntil(
      `run ${runId} finished`,
      async () => {
        const got = await this.getRun(runId).catch((e: unknown) => ({ error: String(e) }) as const);
        if ('error' in got) {
          return { state: got.error };
        }
        const done = [RunState.RUN_STATE_SUCCEEDED, RunState.RUN_STATE_FAILED, RunState.RUN_STATE_CANCELLED];
        return { value: done.includes(got.run!.state) ? got : undefined, state: describe(got) };
      },
      timeoutMs,
    );
  }

  /** Waits until some task of the run is RUNNING on an agent; returns that task. */
  waitForRunningTask(runId: string, timeoutMs = 60_000): Promise<GetRunResponse['tasks'][number]> {
    return pollUntil(
      `a task of ${runId} running`,
      async () => {
        const got = await this.getRun(runId);
        return {
          value: got.tasks.find((t) => t.state === TaskState.TASK_STATE_RUNNING),
          state: describe(got),
        };
      },
      timeoutMs,
    );
  }

  agentById(id: string): FaultAgent {
    const agent = this.agents.find((a) => a.id === id);
    if (!agent) {
      throw new Error(`no agent ${id} in this farm`);
    }
    return agent;
  }

  async close(): Promise<void> {
    this.client.close();
    await Promise.all([...this.services].map((s) => s.stop('SIGTERM', 5_000)));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function startCoordinatorProcess(
  dir: string,
  grpcAddress: string,
  httpAddress: string,
  env: Record<string, string>,
): Promise<CliService> {
  return startCliService(
    ['coordinator', '--grpc', grpcAddress, '--http', httpAddress, '--data-dir', join(dir, 'coordinator')],
    { cwd: dir, env, readyPattern: COORDINATOR_READY, timeoutMs: 60_000 },
  );
}

export function describe(got: GetRunResponse): string {
  const tasks = got.tasks.map(
    (t) => `${t.id} ${TaskState[t.state]} attempt ${t.attempt} on ${t.agentId} ${t.error}`,
  );
  return `run ${got.run?.id} ${RunState[got.run?.state ?? 0]}; results ${got.results.length}\n${tasks.join('\n')}`;
}

/** The runner children (runner-child.js) whose parent is `pid`: the agent's measuring processes. */
export async function runnerChildrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) {
        continue;
      }
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('runner-child.js')) {
        found.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export async function isAlive(pid: number): Promise<boolean> {
  try {
    await readlink(`/proc/${pid}/exe`);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
