/**
 * The contract's words as plain data: the version, the message types, the alert kinds and states and
 * the watch levels. Kept apart from the zod schemas (messages.ts, which builds on these) so that the
 * agent can stamp and check what it writes without loading zod (issue 14, footprint).
 */
export const CONTRACT_VERSION = 1;

export const MESSAGE_TYPES = ["alert", "event", "telemetry", "summary", "status", "reply"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const ALERT_KINDS = [
  "call",
  "inactivity",
  "leak",
  "monitoring_degraded",
  "device_offline",
  "battery_low",
  "power_outage",
  "storage",
  "test",
  // Added in the one revision of v1: `fall` (a fall sensor), `not_home` (an outing past its limit) and
  // `health` (a health monitor's reading outside the care plan's limits).
  "fall",
  "not_home",
  "health",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * What a receiver accepts as an alert kind besides ALERT_KINDS (messages.ts, `receivedKind`): a kind
 * it does not know is an alert needing attention, which keeps new kinds additive within v1.
 */
export const ALERT_KIND_PATTERN = /^[a-z_]{1,32}$/;

export const ALERT_STATES = ["raised", "escalated", "cleared", "acknowledged"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const WATCH_LEVELS = ["away", "normal", "heightened"] as const;
export type WatchLevel = (typeof WATCH_LEVELS)[number];
