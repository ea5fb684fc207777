import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../src/core/errors.js";
import type { BindingInterface, PortInfo } from "./binding-types.js";

export interface PortListing {
  ports: Array<Pick<PortInfo, "path"> & Partial<PortInfo> & { byId?: string }>;
  /** Set when the binding's own listing failed (e.g. `spawn udevadm ENOENT` without udev). */
  error?: string;
}

/**
 * Lists serial ports, never throwing. `/dev/serial/by-id` comes first because its names survive
 * re-enumeration (ttyUSB0 today may be ttyUSB1 after an unplug); the binding's list adds metadata.
 * Without udev the binding throws `spawn udevadm ENOENT`: we keep the by-id names and report the error.
 */
export async function listSerialPorts(
  binding: Pick<BindingInterface, "list">,
  byIdDir = "/dev/serial/by-id",
): Promise<PortListing> {
  const byId = await readById(byIdDir);
  let error: string | undefined;
  let fromBinding: PortInfo[] = [];
  try {
    fromBinding = await binding.list();
  } catch (e) {
    error = `port listing failed (${errorMessage(e)}); showing ${byIdDir} only`;
  }
  const ports: PortListing["ports"] = [];
  const seen = new Set<string>();
  for (const { link, target } of byId) {
    const info = fromBinding.find((p) => p.path === target);
    ports.push({ ...info, path: link, byId: link });
    seen.add(target);
  }
  for (const p of fromBinding) if (!seen.has(p.path)) ports.push({ ...p });
  return error === undefined ? { ports } : { ports, error };
}

async function readById(dir: string): Promise<Array<{ link: string; target: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ link: string; target: string }> = [];
  for (const n of names.sort()) {
    const link = join(dir, n);
    try {
      out.push({ link, target: await realpath(link) });
    } catch {
      // A dangling link (adapter unplugged a moment ago) is not a port.
    }
  }
  return out;
}
