/**
 * How the store's location is shown in logs and errors: a PostgreSQL URL without its password (it is a
 * secret like any token), an SQLite file as its path.
 */
export function describeStore(location: string): string {
  if (!/^postgres(ql)?:\/\//i.test(location)) {
    return `SQLite ${location} (one coordinator)`;
  }
  return `PostgreSQL ${redactDatabaseUrl(location)} (replicas may share it)`;
}

export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    // Not parseable: show no more than the scheme, since the rest may hold a password.
    return `${url.split('//')[0]}//***`;
  }
}
