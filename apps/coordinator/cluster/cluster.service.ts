import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { SerialQueue, errorMessage, newId } from '#common';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { DATABASE } from '../store/database.tokens.js';
import { type Db, dialectOf } from '../store/database.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger ones travel through a table. */
const MAX_NOTIFY_BYTES = 7_000;
const REF_PREFIX = '#';
const EVENT_ROW_TTL_MS = 60_000;
const RECONNECT_MS = 1_000;
/** How often a replica asks again for a lock another replica holds (doubling up to the max). */
const LOCK_POLL_MIN_MS = 5;
const LOCK_POLL_MAX_MS = 100;

export type NotificationHandler = (payload: string) => void;

/**
 * What replicas of one farm share beyond the store: notifications (PostgreSQL LISTEN/NOTIFY) and
 * mutual exclusion (advisory locks). With SQLite there is exactly one coordinator, so notifications
 * stay in this process and locks are the callers' own in-process queues.
 */
@Injectable()
export class ClusterService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ClusterService.name);
  /** Tells this replica's notifications (and agents' streams) apart from the other replicas'. */
  readonly replicaId = newId('replica');
  /** True when other replicas may share the store. */
  readonly shared: boolean;
  private readonly handlers = new Map<string, NotificationHandler[]>();
  private readonly reconnectHandlers: (() => void)[] = [];
  // One connection both listens and notifies: PostgreSQL delivers one session's notifications in order.
  private client?: pg.Client;
  private readonly sending = new SerialQueue();
  private readonly receiving = new SerialQueue();
  private lockClient?: pg.Client;
  /** Queries on the lock connection, one at a time. */
  private readonly locks = new SerialQueue();
  private readonly lockQueues = new Map<string, SerialQueue>();
  private closed = false;
  private cleanup?: NodeJS.Timeout;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(DATABASE) private readonly db: Db,
  ) {
    this.shared = dialectOf(db) === 'postgres';
  }

  async onModuleInit(): Promise<void> {
    if (!this.shared) {
      return;
    }
    await this.connect();
    this.cleanup = setInterval(() => void this.deleteOldEvents(), EVENT_ROW_TTL_MS / 2);
    this.cleanup.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.cleanup);
    await this.client?.end().catch(() => undefined);
    await this.lockClient?.end().catch(() => undefined);
  }

  /** Handlers run in the order notifications were sent, for those of every replica, this one's included. */
  on(channel: string, handler: NotificationHandler): void {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
    if (list.length === 1 && this.client) {
      const client = this.client;
      void this.sending.run(() => client.query(`LISTEN ${pgIdentifier(channel)}`));
    }
  }

  /** After the notification connection was lost and is back: what was sent meanwhile is gone. */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  /** Sent to every replica listening on `channel`, this one included; in order of calls. Never throws. */
  notify(channel: string, payload: string): void {
    if (!this.shared) {
      this.deliver(channel, payload);
      return;
    }
    void this.sending
      .run(async () => {
        const client = this.client;
        if (!client) {
          throw new Error('notification connection is down');
        }
        let text = payload;
        if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
          const row = await client.query<{ id: string }>(
            'INSERT INTO cluster_events (payload, created_at) VALUES ($1, $2) RETURNING id',
            [payload, Date.now()],
          );
          text = `${REF_PREFIX}${row.rows[0]!.id}`;
        }
        await client.query('SELECT pg_notify($1, $2)', [channel, text]);
      })
      .catch((e: unknown) => this.logger.warn(`notify ${channel} lost: ${errorMessage(e)}`));
  }

  /**
   * Runs `work` while holding the farm-wide lock `name`: a PostgreSQL advisory lock taken with
   * pg_try_advisory_lock on a connection of its own, outside the pool, so waiting for a lock never
   * holds a pooled connection that the holder's work needs (that starves the pool into a deadlock).
   * One caller per name per replica at a time (advisory locks are re-entrant within a session); with
   * SQLite that in-process order is the whole lock. A replica that dies releases its locks with its
   * connection.
   */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    let queue = this.lockQueues.get(name);
    if (!queue) {
      queue = new SerialQueue();
      this.lockQueues.set(name, queue);
    }
    if (!this.shared) {
      return queue.run(work);
    }
    return queue.run(async () => {
      await this.acquire(name);
      try {
        return await work();
      } finally {
        await this.locks
          .run(() => this.lockClient!.query('SELECT pg_advisory_unlock(hashtext($1))', [name]))
          .catch((e: unknown) => this.logger.warn(`lock ${name}: unlock failed: ${errorMessage(e)}`));
      }
    });
  }

  private async acquire(name: string): Promise<void> {
    for (let wait = LOCK_POLL_MIN_MS; ; wait = Math.min(wait * 2, LOCK_POLL_MAX_MS)) {
      const got = await this.locks.run(async () => {
        const client = await this.lockConnection();
        const row = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
          name,
        ]);
        return row.rows[0]?.ok === true;
      });
      if (got) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Locks live as long as this connection: if it breaks, they are gone and the next one starts afresh. */
  private async lockConnection(): Promise<pg.Client> {
    if (this.lockClient) {
      return this.lockClient;
    }
    const client = new pg.Client({ connectionString: this.config.databaseUrl });
    client.on('error', (e) => {
      this.logger.warn(`lock connection failed (its locks are released): ${errorMessage(e)}`);
      if (this.lockClient === client) {
        this.lockClient = undefined;
      }
    });
    await client.connect();
    this.lockClient = client;
    return client;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl });
    client.on('notification', (message) => this.received(message.channel, message.payload ?? ''));
    client.on('error', (e) => {
      this.logger.warn(`notification connection failed: ${errorMessage(e)}`);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    for (const channel of this.handlers.keys()) {
      await client.query(`LISTEN ${pgIdentifier(channel)}`);
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.closed) {
      return;
    }
    this.client = undefined;
    const retry = (): void => {
      if (this.closed) {
        return;
      }
      this.connect().then(
        () => {
          this.logger.log('notification connection is back');
          this.reconnectHandlers.forEach((h) => h());
        },
        (e: unknown) => {
          this.logger.warn(`notification connection: ${errorMessage(e)}; retrying`);
          setTimeout(retry, RECONNECT_MS).unref();
        },
      );
    };
    setTimeout(retry, RECONNECT_MS).unref();
  }

  private received(channel: string, text: string): void {
    void this.receiving
      .run(async () => {
        let payload = text;
        if (text.startsWith(REF_PREFIX)) {
          const row = await this.client?.query<{ payload: string }>(
            'SELECT payload FROM cluster_events WHERE id = $1',
            [text.slice(REF_PREFIX.length)],
          );
          if (!row?.rows[0]) {
            throw new Error(`event ${text} is gone`);
          }
          payload = row.rows[0].payload;
        }
        this.deliver(channel, payload);
      })
      .catch((e: unknown) => this.logger.warn(`notification on ${channel} dropped: ${errorMessage(e)}`));
  }

  private deliver(channel: string, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (e) {
        this.logger.warn(`notification handler on ${channel} failed: ${errorMessage(e)}`);
      }
    }
  }

  private async deleteOldEvents(): Promise<void> {
    await this.db
      .deleteFrom('cluster_events')
      .where('created_at', '<', Date.now() - EVENT_ROW_TTL_MS)
      .execute()
      .catch((e: unknown) => this.logger.warn(`old cluster events kept: ${errorMessage(e)}`));
  }
}

/** Channel names are ours (constants), but LISTEN takes no parameters: quote them anyway. */
function pgIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
