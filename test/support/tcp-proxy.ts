import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between an agent and its coordinator, to cut or stall the stream on purpose.
 * `stallDownstream()` keeps forwarding what the agent sends but holds back what the coordinator answers
 * (acks never arrive); `cutAll()` destroys every open connection; new connections are forwarded normally.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private stalled = false;
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static start(target: string): Promise<TcpProxy> {
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ];
    return new Promise((resolve, reject) => {
      let proxy: TcpProxy | undefined;
      const server = createServer((client) => {
        const upstream = connect(port, host);
        const pair = { client, upstream };
        proxy!.pairs.add(pair);
        proxy!.connections += 1;
        client.on('data', (chunk) => upstream.write(chunk));
        upstream.on('data', (chunk) => {
          if (!proxy!.stalled) {
            client.write(chunk);
          }
        });
        const end = (): void => {
          client.destroy();
          upstream.destroy();
          proxy!.pairs.delete(pair);
        };
        client.on('close', end);
        upstream.on('close', end);
        client.on('error', end);
        upstream.on('error', end);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: own } = server.address() as { port: number };
        proxy = new TcpProxy(server, `127.0.0.1:${own}`);
        resolve(proxy);
      });
    });
  }

  /** From now on, bytes from the coordinator to the agent are dropped on open connections. */
  stallDownstream(): void {
    this.stalled = true;
  }

  /** Destroys every open connection (the agent sees its stream fail) and forwards new ones normally. */
  cutAll(): void {
    this.stalled = false;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
