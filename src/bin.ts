import { main } from './cli.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; a stray handle (a socket a library keeps) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
