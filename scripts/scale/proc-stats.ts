import { readFile, readdir } from 'node:fs/promises';

/** Linux clock ticks per second (getconf CLK_TCK); 100 on every kernel this runs on. */
const CLK_TCK = 100;
const MIB = 2 ** 20;

/** utime + stime of a process, in ms of CPU; undefined when it is gone. */
export async function cpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Resident set now and its peak over the process's life (VmHWM), in MiB. */
export async function rssMiB(pid: number): Promise<{ rss: number; peak: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: (kib('VmRSS') * 1024) / MIB, peak: (kib('VmHWM') * 1024) / MIB };
  } catch {
    return undefined;
  }
}

/** Every process whose command name is `postgres` (the server and its backends). */
export async function pidsNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      if (comm === name) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU ms summed over processes of that name that exist now (backends come and go; each is counted while alive). */
export async function cpuMsOfNamed(name: string): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  for (const pid of await pidsNamed(name)) {
    const ms = await cpuMs(pid);
    if (ms !== undefined) {
      result.set(pid, ms);
    }
  }
  return result;
}

/** CPU used between two snapshots of cpuMsOfNamed; a process born in between counts from zero. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) {
    sum += ms - (before.get(pid) ?? 0);
  }
  return sum;
}

/**
 * Samples the RSS of some processes every intervalMs and keeps the highest seen (VmHWM is read too,
 * at the end, because a spike between samples would be missed).
 */
export class RssSampler {
  private readonly peaks = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: number[]) {}

  start(intervalMs = 250): void {
    const sample = async (): Promise<void> => {
      for (const pid of this.pids) {
        const rss = await rssMiB(pid);
        if (rss) {
          this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss.rss, rss.peak));
        }
      }
    };
    this.timer = setInterval(() => void sample(), intervalMs);
    void sample();
  }

  async stop(): Promise<number[]> {
    clearInterval(this.timer);
    const out: number[] = [];
    for (const pid of this.pids) {
      const rss = await rssMiB(pid);
      out.push(Math.max(this.peaks.get(pid) ?? 0, rss?.peak ?? 0));
    }
    return out;
  }
}

/** CPU time the whole machine spent busy (all cores, not idle or iowait), in ms. */
export async function machineBusyMs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return ((total - idle) * 1000) / CLK_TCK;
}
