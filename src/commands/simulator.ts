/** `pra-pipeline simulator`: a simulated BeyondTrust PRA appliance (tools/pra-simulator). */
import { startSimulator, SIMULATOR_HELP, parseSimulatorArgs } from '@pra-pipeline/pra-simulator';
import { UsageError } from './command.js';
import type { Command } from './command.js';

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'Serve a simulated BeyondTrust PRA appliance for tests, demos and benchmarks.',
  help: SIMULATOR_HELP,
  async run(args) {
    let settings;
    try {
      settings = parseSimulatorArgs(args);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const sim = await startSimulator(settings.options);
    const file = settings.groundTruthFile;
    if (file) await sim.writeGroundTruth(file);
    console.log(`PRA simulator listening on ${sim.url} (seed ${settings.options.seed}, clock ${sim.clock.kind}).`);
    for (const site of sim.sites) {
      console.log(`Site ${site.name}: ${site.url}/oauth2/token and ${site.url}/api/reporting (client id ${site.clientId}, poller site ${site.pollerSite}).`);
    }
    console.log(`Admin: ${sim.url}/_sim/ground-truth, ${sim.url}/_sim/clock, ${sim.url}/_sim/faults.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    if (file) await sim.writeGroundTruth(file);
    await sim.stop();
    console.log('PRA simulator stopped.');
    return 0;
  },
};
