import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.command.js';
import { registerCompress } from './commands/compress.command.js';
import { registerInspect } from './commands/inspect.command.js';
import { registerReport } from './commands/report.command.js';
import { registerServe } from './commands/serve.command.js';
import { registerSubmit } from './commands/submit.command.js';
import { registerSuiteCommands } from './commands/suite.command.js';
import { registerToken } from './commands/token.command.js';
import { EXIT, describeError } from './support/cli-error.js';
import { addConnectionOptions } from './support/connection-options.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('mlfarm')
    .description('mlfarm: benchmark ONNX models (and their compressed variants) across a farm of machines')
    // commander's own errors (unknown option, bad value) become one 'mlfarm:' line like every other error.
    .configureOutput({
      outputError: (text, write) => write(`mlfarm: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    })
    .exitOverride();
  registerBench(program);
  registerSubmit(program);
  registerCompress(program);
  registerServe(program);
  registerInspect(program);
  registerReport(program);
  registerSuiteCommands(program);
  registerToken(program);
  addConnectionOptions(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its one line (unknown option, missing argument, bad value)
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { line, exitCode } = describeError(error);
    process.stderr.write(`mlfarm: ${line}\n`);
    return exitCode;
  }
}
