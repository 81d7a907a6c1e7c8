/** The two Prometheus HTTP API calls the tests need: an instant query and the vector it returns. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export class PrometheusApi {
  constructor(private readonly base: string) {}

  async query(expr: string): Promise<VectorSample[]> {
    const response = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || !body.data) {
      throw new Error(`query failed: ${body.error ?? response.status}: ${expr}`);
    }
    if (body.data.resultType !== 'vector') {
      throw new Error(`expected a vector from ${expr}, got ${body.data.resultType}`);
    }
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  async scalar(expr: string): Promise<number> {
    const [first] = await this.query(expr);
    return first?.value ?? 0;
  }
}
