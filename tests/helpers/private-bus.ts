/**
 * A private D-Bus for python-dbusmock fakes of system services (BlueZ, ModemManager): the tools'
 * check, the `dbus-daemon` started here with DBUS_SYSTEM_BUS_ADDRESS pointed at it, and the stop.
 * Loads no vitest, so a bench run outside vitest can use it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";

/** dbus-daemon and the python-dbusmock module `module` (run by Debian's python3) here, or why not. */
export function dbusMockTools(module: string): { ok: boolean; why: string } {
  try {
    execFileSync("dbus-daemon", ["--version"], { stdio: "ignore" });
  } catch {
    return { ok: false, why: "dbus-daemon not found (apt-get install -y dbus)" };
  }
  try {
    execFileSync("/usr/bin/python3", ["-c", `import ${module}`], { stdio: "ignore" });
  } catch {
    return { ok: false, why: "python3-dbusmock not found (apt-get install -y python3-dbusmock)" };
  }
  return { ok: true, why: "" };
}

/**
 * `dbus-daemon` with `busArgs` (default a session bus) and its address once it prints it; this process's
 * DBUS_SYSTEM_BUS_ADDRESS then points at it, so D-Bus clients take it for the system bus.
 */
export async function startPrivateBus(
  busArgs: readonly string[] = ["--session"],
): Promise<{ daemon: ChildProcess; address: string }> {
  const daemon = spawn("dbus-daemon", [...busArgs, "--nofork", "--print-address=1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let buf = "";
    daemon.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(buf.slice(0, nl).trim());
    });
    daemon.on("error", reject);
    daemon.on("exit", (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  process.env.DBUS_SYSTEM_BUS_ADDRESS = address;
  return { daemon, address };
}

/** SIGTERM to each process still running, waiting for each to exit. */
export async function stopProcesses(procs: readonly (ChildProcess | undefined)[]): Promise<void> {
  for (const p of procs) {
    if (p && p.exitCode === null) {
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await gone;
    }
  }
}
