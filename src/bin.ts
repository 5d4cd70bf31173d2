import { main } from './cli.js';
import { installCrashHandlers } from './crash.js';

// Whatever escapes everything else is one JSON log line, scrubbed of the environment's secrets, and exit 1.
installCrashHandlers();

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; a stray handle (a socket a library keeps) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
