import { X509Certificate } from "node:crypto";
import type { LoadedConfig } from "../config/devices.js";
import { errorMessage } from "../core/errors.js";
import { DAY_MS } from "../core/time.js";
import { allows, describeStat } from "./access.js";
import { type Check, fail, na, ok } from "./check.js";
import type { DoctorProbes, ServiceUser } from "./probes.js";

/** A certificate closer than this to its end is a ✗: a visit should leave it good for a while. */
export const CERT_MIN_DAYS = 30;

const UDEV_FIX =
  "install deploy/99-hearth-serial.rules (udev: group dialout, mode 0660), or chgrp dialout PORT && chmod 0660 PORT";

/** Each serial port: there, and readable and writable by the service user (Modbus writes requests). */
export function portChecks(config: LoadedConfig, user: ServiceUser | undefined, p: DoctorProbes): Check[] {
  const out: Check[] = [];
  for (const d of config.devices) {
    const port = "port" in d ? d.port : undefined;
    if (typeof port !== "string") continue;
    const id = `port:${d.id}`;
    if (port.startsWith("tcp://")) {
      out.push(na(id, `${port}: Modbus TCP, no serial port`));
      continue;
    }
    const s = p.stat(port);
    if (!s) {
      out.push(
        fail(
          id,
          `${port} not found`,
          "plug the RS-485 adapter in; list /dev/serial/by-id/ and put that path in the device's `port:`",
        ),
      );
      continue;
    }
    if (!user) {
      out.push(
        fail(id, `${port} ${describeStat(s)}; no service user to judge it for`, "run deploy/install.sh"),
      );
      continue;
    }
    out.push(
      allows(s, user, "rw")
        ? ok(id, `${port} ${describeStat(s)}, usable by ${user.name}`)
        : fail(id, `${port} ${describeStat(s)}: ${user.name} cannot read and write it`, UDEV_FIX),
    );
  }
  return out;
}

function tlsFiles(config: LoadedConfig): { broker: string; ca?: string; cert?: string; key?: string }[] {
  return config.cloud.brokers.flatMap((b) =>
    b.tls ? [{ broker: b.url, ...b.tls }] : ([] as { broker: string }[]),
  );
}

/** Private keys: owned by the service user (or root) and readable by nobody else. */
export function keyChecks(config: LoadedConfig, user: ServiceUser | undefined, p: DoctorProbes): Check[] {
  const keys = [...new Set(tlsFiles(config).flatMap((t) => (t.key ? [t.key] : [])))];
  if (keys.length === 0) return [na("keys", "no client key configured (no mutual TLS)")];
  return keys.map((key) => {
    const id = `key:${key}`;
    const s = p.stat(key);
    if (!s) return fail(id, "not found", "run `hearth provision --key FILE` (or copy the key there)");
    const fix = `chown ${user?.name ?? "hearth"} ${key} && chmod 0600 ${key}`;
    if (s.mode & 0o004) return fail(id, `${describeStat(s)}: world-readable`, fix);
    if (s.mode & 0o040) return fail(id, `${describeStat(s)}: readable by its group`, fix);
    if (user && !allows(s, user, "r"))
      return fail(id, `${describeStat(s)}: ${user.name} cannot read it`, fix);
    return ok(id, describeStat(s));
  });
}

/** Days each certificate has left; a CA or client certificate that ends soon breaks the uplink. */
export function certChecks(config: LoadedConfig, p: DoctorProbes): Check[] {
  const files = [...new Set(tlsFiles(config).flatMap((t) => [t.ca, t.cert].filter((f): f is string => !!f)))];
  if (files.length === 0) return [na("certs", "no TLS certificates configured (a plain local broker)")];
  return files.map((file) => {
    const id = `cert:${file}`;
    const pem = p.readFile(file);
    if (!pem) return fail(id, "not found or unreadable", "install it with `hearth provision`");
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (e) {
      return fail(id, `not a certificate: ${errorMessage(e)}`, "install the PEM file the care service gave");
    }
    const days = Math.floor((Date.parse(cert.validTo) - p.now()) / DAY_MS);
    const what = `${cert.subject.replace(/\n/g, ", ")}, ends ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
    if (days < 0)
      return fail(id, `expired ${-days} days ago (${what})`, "ask the care service for a new one");
    if (days < CERT_MIN_DAYS)
      return fail(id, `${days} days left (${what})`, "ask the care service for a renewed one now");
    return ok(id, `${days} days left (${what})`);
  });
}
