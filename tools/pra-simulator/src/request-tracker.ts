/** What a request handler may ask of the server it runs in. */
export interface RequestTracker {
  /** Waits, unless the simulator stops first. */
  sleep(ms: number): Promise<void>;
}
