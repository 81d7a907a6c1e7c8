// The one table of who may call what. A method missing here needs `admin` (deny by default), so an RPC
// added without a line in this table is closed until someone decides who should call it.
export type Scope = 'read' | 'submit' | 'admin';
/** API token scopes, then the two agent-side credentials. */
export type Permission = Scope | 'agent' | 'enroll';

export const SCOPES: readonly Scope[] = ['read', 'submit', 'admin'];

const COORDINATOR = '/mlfarm.v1.CoordinatorService/';
const GATEWAY = '/mlfarm.v1.AgentGatewayService/';

export const METHOD_PERMISSIONS: Readonly<Record<string, Permission>> = {
  [`${COORDINATOR}GetRun`]: 'read',
  [`${COORDINATOR}ListRuns`]: 'read',
  [`${COORDINATOR}WatchRun`]: 'read',
  [`${COORDINATOR}ListAgents`]: 'read',
  [`${COORDINATOR}GetVerdict`]: 'read',
  [`${COORDINATOR}ListRegressions`]: 'read',
  [`${COORDINATOR}ListBaselines`]: 'read',
  [`${COORDINATOR}GetSeries`]: 'read',
  [`${COORDINATOR}UploadModel`]: 'submit',
  [`${COORDINATOR}SubmitRun`]: 'submit',
  [`${COORDINATOR}CancelRun`]: 'submit',
  [`${COORDINATOR}RunSuite`]: 'submit',
  [`${COORDINATOR}SubmitGate`]: 'submit',
  [`${COORDINATOR}AcceptBaseline`]: 'submit',
  [`${COORDINATOR}UpdateRegression`]: 'submit',
  [`${COORDINATOR}CreateToken`]: 'admin',
  [`${COORDINATOR}ListTokens`]: 'admin',
  [`${COORDINATOR}RevokeToken`]: 'admin',
  [`${COORDINATOR}RevokeAgent`]: 'admin',
  [`${GATEWAY}Connect`]: 'agent',
  [`${GATEWAY}FetchModel`]: 'agent',
  [`${GATEWAY}Enroll`]: 'enroll',
};

export function permissionFor(path: string): Permission {
  return METHOD_PERMISSIONS[path] ?? 'admin';
}

/** Scopes nest: submit includes read, admin includes both. */
export function scopeCovers(held: readonly Scope[], wanted: Scope): boolean {
  const level = SCOPES.indexOf(wanted);
  return held.some((scope) => SCOPES.indexOf(scope) >= level);
}

export function isScope(text: string): text is Scope {
  return (SCOPES as readonly string[]).includes(text);
}
