// Standalone entry (containers, systemd): the same as `mlfarm coordinator`, configured by the environment.
import { main } from '../cli/main.js';

process.exitCode = await main([process.argv[0]!, process.argv[1]!, 'coordinator', ...process.argv.slice(2)]);
