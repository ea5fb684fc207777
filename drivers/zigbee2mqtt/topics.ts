/** Which Zigbee2MQTT topic a message came on, under the base topic. */
export type Z2mTopic =
  | { kind: "bridge_devices" }
  | { kind: "bridge_state" }
  | { kind: "availability"; name: string }
  | { kind: "state"; name: string }
  /** Other bridge topics, commands to devices (/set, /get), anything else: not ours to read. */
  | { kind: "other" };

/** The one subscription: a friendly name may hold `/`, so `+` would miss some devices. */
export function subscription(base: string): string {
  return `${base}/#`;
}

export function classify(topic: string, base: string): Z2mTopic {
  if (!topic.startsWith(`${base}/`)) return { kind: "other" };
  const rest = topic.slice(base.length + 1);
  if (rest === "bridge/devices") return { kind: "bridge_devices" };
  if (rest === "bridge/state") return { kind: "bridge_state" };
  if (rest === "" || rest.startsWith("bridge/")) return { kind: "other" };
  if (/\/(set|get)(\/.*)?$/.test(rest)) return { kind: "other" };
  if (rest.endsWith("/availability")) {
    const name = rest.slice(0, -"/availability".length);
    return name === "" ? { kind: "other" } : { kind: "availability", name };
  }
  return { kind: "state", name: rest };
}
