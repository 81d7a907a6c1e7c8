/** What every start-*-container helper returns (host networking: host is always loopback). */
export interface StartedService {
  host: string;
  port: number;
  stop(): Promise<void>;
}
