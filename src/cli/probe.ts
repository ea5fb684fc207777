import { SystemClock } from "../core/clock.js";
import { parseDuration } from "../core/duration.js";
import { ErrorCode, errorMessage, isHearthError } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";

export interface ProbeCliOptions {
  protocol: string;
  baud?: string;
  parity?: string;
  ids: string;
  timeout: string;
}

/** "1-247", "1,2,5-9" → unit ids. */
export function parseIds(text: string): number[] {
  const ids = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m)
      throw new CliExit(
        EXIT.usage,
        `hearth probe: --ids "${text}": expected numbers and ranges such as 1-247 or 1,3,10-20`,
      );
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (a < 1 || b > 247 || a > b)
      throw new CliExit(EXIT.usage, `hearth probe: --ids "${part.trim()}": unit ids are 1..247, low to high`);
    for (let i = a; i <= b; i++) ids.add(i);
  }
  return [...ids];
}

/**
 * `hearth probe <port>`: finds the meters on an RS-485 line. A progress bar on stderr when it is a
 * terminal; a YAML `devices:` snippet on stdout. Exit 0 found, 3 nothing found, 1 port error.
 */
export async function probeCommand(port: string, o: ProbeCliOptions): Promise<void> {
  const protocols = ["auto", "modbus", "dlt645", "cjt188"];
  if (!protocols.includes(o.protocol))
    throw new CliExit(EXIT.usage, `hearth probe: --protocol must be one of ${protocols.join(", ")}`);
  const timeoutMs = /^\d+$/.test(o.timeout) ? Number(o.timeout) : parseDuration(o.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new CliExit(EXIT.usage, `hearth probe: --timeout "${o.timeout}": expected e.g. 100ms or 1s`);
  const ids = parseIds(o.ids);
  const baud = o.baud === undefined ? undefined : Number(o.baud);
  if (baud !== undefined && !(Number.isInteger(baud) && baud > 0))
    throw new CliExit(EXIT.usage, `hearth probe: --baud "${o.baud}" is not a baud rate`);
  if (o.parity !== undefined && !["none", "even", "odd"].includes(o.parity))
    throw new CliExit(EXIT.usage, "hearth probe: --parity must be none, even or odd");

  const {
    probePort,
    renderDevicesYaml,
    probeExitCode,
    describeFound,
    mixedSettingsWarnings,
    USUAL_SETTINGS,
  } = await import("../../drivers/probe/index.js");
  const { autoDetect } = await import("@serialport/bindings-cpp");
  const protocol = o.protocol as "auto" | "modbus" | "dlt645" | "cjt188";
  const settings =
    baud !== undefined || o.parity !== undefined
      ? [
          {
            ...(protocol === "auto" ? USUAL_SETTINGS.modbus : USUAL_SETTINGS[protocol]),
            ...(baud !== undefined ? { baud } : {}),
            ...(o.parity !== undefined ? { parity: o.parity as "none" | "even" | "odd" } : {}),
          },
        ]
      : undefined;

  let bar: { update(v: number, p?: object): void; setTotal(t: number): void; stop(): void } | undefined;
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import("cli-progress");
    const b = new SingleBar(
      {
        format: "probing {bar} {value}/{total} {label} | found {found}",
        stream: process.stderr,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    b.start(1, 0, { label: "", found: 0 });
    bar = b;
  }
  let results: Awaited<ReturnType<typeof probePort>>;
  try {
    results = await probePort({
      path: port,
      binding: autoDetect(),
      clock: new SystemClock(),
      protocol,
      ids,
      timeoutMs,
      ...(settings ? { settings } : {}),
      onProgress: (p) => {
        bar?.setTotal(p.total);
        bar?.update(p.step, { label: p.label, found: p.found });
      },
    });
  } catch (e) {
    bar?.stop();
    const what = isHearthError(e, ErrorCode.PortOpen) ? "cannot open the port" : "the probe failed";
    throw new CliExit(EXIT.failed, `hearth probe: ${what}: ${errorMessage(e)}`);
  }
  bar?.stop();
  for (const r of results) {
    for (const d of r.found) process.stderr.write(`found ${describeFound(d)} on ${r.port}\n`);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  }
  for (const w of mixedSettingsWarnings(results)) process.stderr.write(`warning: ${w}\n`);
  const code = probeExitCode(results);
  if (code === 3) throw new CliExit(EXIT.nothingFound, `hearth probe: no meter answered on ${port}`);
  process.stdout.write(renderDevicesYaml(results));
}
