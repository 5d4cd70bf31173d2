/**
 * Graceful shutdown. On SIGTERM or SIGINT the service stops taking work, lets
 * each part finish and commit what is in flight (in the reverse order of start),
 * and exits within the grace period; past it, it exits anyway with code 1 so the
 * orchestrator's kill never meets a half-closed process.
 */
import type { Logger } from './logger.js';

export type StopFn = () => Promise<void> | void;

export interface Lifecycle {
  /** Registers a step to run at shutdown; steps run last-registered first. */
  onStop(name: string, stop: StopFn): void;
  /** Resolves when shutdown has begun. */
  readonly stopping: Promise<string>;
  readonly isStopping: boolean;
  /** Runs every step; resolves with the exit code. */
  shutdown(reason: string): Promise<number>;
  /** Installs SIGTERM/SIGINT handlers that shut down and exit the process. */
  handleSignals(exit?: (code: number) => void): void;
}

export function createLifecycle(options: { logger: Logger; graceMs: number }): Lifecycle {
  const steps: { name: string; stop: StopFn }[] = [];
  let begun: Promise<number> | undefined;
  let markStopping!: (reason: string) => void;
  const stopping = new Promise<string>((resolve) => {
    markStopping = resolve;
  });

  async function runSteps(): Promise<number> {
    let code = 0;
    for (const step of [...steps].reverse()) {
      try {
        await step.stop();
      } catch (err) {
        code = 1;
        options.logger.error({ err, step: step.name }, 'Shutdown step failed.');
      }
    }
    return code;
  }

  const lifecycle: Lifecycle = {
    onStop(name, stop) {
      steps.push({ name, stop });
    },
    stopping,
    get isStopping() {
      return begun !== undefined;
    },
    shutdown(reason) {
      if (begun) return begun;
      options.logger.info({ reason, graceMs: options.graceMs }, 'Shutting down.');
      markStopping(reason);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          options.logger.error({ graceMs: options.graceMs }, 'Shutdown grace period exceeded; exiting with work unfinished.');
          resolve(1);
        }, options.graceMs);
      });
      begun = Promise.race([runSteps(), deadline]).finally(() => clearTimeout(timer));
      return begun;
    },
    handleSignals(exit = (code) => process.exit(code)) {
      const onSignal = (signal: NodeJS.Signals) => {
        if (begun) {
          options.logger.warn({ signal }, 'Second signal: exiting now.');
          exit(1);
          return;
        }
        void lifecycle.shutdown(signal).then(exit);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
  };
  return lifecycle;
}
