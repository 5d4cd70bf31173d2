import { main } from './cli.js';
import { printable } from './printable.js';

// Whatever escapes everything else is printed scrubbed of the environment's secrets too.
const fail = (err: unknown) => {
  console.error(printable(`pra-pipeline: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; a stray handle (a socket a library keeps) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
