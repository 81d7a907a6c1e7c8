import { type Server, createServer } from 'node:http';
import { type Registry } from 'prom-client';
import { writeExposition } from './exposition.js';

export interface MetricsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** A bare node:http `/metrics` endpoint for processes without an HTTP framework (the agent). */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType });
    // A family at a time, as it is read (see exposition.ts); a failure cuts the response.
    writeExposition(registry, (text) => res.write(text)).then(
      () => res.end(),
      (error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
