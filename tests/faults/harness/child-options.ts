/** What a scenario hands the agent child (agent-child.ts) on its command line, as JSON. */
export interface ChildOptions {
  brokerUrl: string;
  stateDir: string;
  home: string;
  /** More lines under `cloud:` in the simulated home's config. */
  extraCloud?: string;
  /** More keys of the outbox section (`max_size_mb: 4`). */
  extraOutbox?: string;
  logLevel?: string;
  /** Start the burst as soon as the agent has started, without waiting for a `burst` command. */
  burstAtStart?: boolean;
}
