// Imported before testcontainers: no Ryuk (its image cannot be pulled here; every helper stops its own
// container) and containers reached on loopback, since all of them use the host network.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

export const LOOPBACK = '127.0.0.1';
