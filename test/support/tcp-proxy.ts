import { type Server, type Socket, connect, createServer } from 'node:net';

// SETTINGS, PING and WINDOW_UPDATE keep flowing while downstream is stalled: without window updates the
// agent could send only one HTTP/2 flow-control window (64 KiB) upstream, and without PING acks its
// keepalive would drop the connection; what the test means to lose is the coordinator's messages.
const CONTROL_FRAMES = new Set([0x4, 0x6, 0x8]);

/** Cuts the server-to-client byte stream into whole HTTP/2 frames (9-byte header: 24-bit length, type, ...). */
class Http2FrameSplitter {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 9) {
      const size = 9 + this.pending.readUIntBE(0, 3);
      if (this.pending.length < size) {
        break;
      }
      frames.push(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
    }
    return frames;
  }
}

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
        const frames = new Http2FrameSplitter();
        upstream.on('data', (chunk: Buffer) => {
          for (const frame of frames.push(chunk)) {
            if (!proxy!.stalled || CONTROL_FRAMES.has(frame[3]!)) {
              client.write(frame);
            }
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

  /**
   * From now on the coordinator's messages to the agent (HTTP/2 HEADERS and DATA frames) are dropped on
   * every connection; flow-control and keepalive frames still pass, so the agent's own sends keep flowing.
   */
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
