import type { CellularStatus } from "../cellular/types.js";
import type { BrokerConfig } from "../config/schema.js";

/** What a file's inode says about who may use it. */
export interface FileStat {
  uid: number;
  gid: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/** The service user: its uid, and every group it runs with (primary, supplementary, the unit's). */
export interface ServiceUser {
  name: string;
  uid: number;
  gids: number[];
}

export type SystemdState =
  | { available: false; why: string }
  | { available: true; active: string; enabled: string };

export type ClockState =
  | { source: "none"; why: string }
  | { source: "timedatectl" | "chrony"; synced: boolean; detail: string };

export interface BleState {
  present: boolean;
  /** undefined: could not be told (no BlueZ tool to ask). */
  powered?: boolean;
}

export interface BrokerProbeResult {
  ok: boolean;
  /** "TLS handshake, subscribed to hearth/v1/<home>/cmd/+" or the error. */
  detail: string;
  tls: boolean;
}

/**
 * Everything doctor asks of the machine, behind one object so each branch is tested with fakes:
 * the real ones are in real-probes.ts.
 */
export interface DoctorProbes {
  /** undefined: no such file. */
  stat(path: string): FileStat | undefined;
  readFile(path: string): Buffer | undefined;
  user(name: string): ServiceUser | undefined;
  systemd(unit: string): SystemdState;
  clock(): ClockState;
  disk(path: string): { freeBytes: number; totalBytes: number } | undefined;
  ble(adapter: string): BleState;
  broker(broker: BrokerConfig, home: string): Promise<BrokerProbeResult>;
  /** The running agent's `status` over its control socket; undefined when none answers. */
  agent(stateDir: string): Promise<Record<string, unknown> | undefined>;
  /** Wall time now, ms. */
  now(): number;
  /** The SMS fallback's modem as ModemManager sees it; absent (tests' fakes): not asked. */
  modem?(): Promise<CellularStatus>;
}
