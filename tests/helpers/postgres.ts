import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./brokers.js";
import { requireTool } from "./tools.js";

/** Debian's PostgreSQL binaries (/usr/lib/postgresql/<major>/bin), newest major first; undefined when absent. */
function pgBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], "bin") : undefined;
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const r = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const bin = pgBinDir();
const owner = postgresUid();

/** Whether PostgreSQL tests run here; under CI=true a missing PostgreSQL fails instead of skipping. */
export function postgresAvailable(): boolean {
  return requireTool(
    "postgresql",
    bin !== undefined && owner !== undefined,
    "install the Debian package: apt-get install -y postgresql",
  );
}

export interface TestPostgres {
  /** A new empty database on the server; resolves with its URL. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of its own: `initdb` and `pg_ctl start` as the `postgres` user (the server refuses
 * to run as root) in a temporary directory, on a free loopback port, its unix socket in that directory.
 */
export async function startPostgres(): Promise<TestPostgres> {
  if (!bin || !owner) throw new Error("PostgreSQL is not installed");
  const dir = mkdtempSync(join(tmpdir(), "hearth-pg-"));
  chmodSync(dir, 0o700);
  chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const port = await freePort();
  const as = (cmd: string, args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], {
      stdio: "pipe",
      timeout: 60_000,
    });
  as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  as("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "server.log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    "-w",
    "start",
  ]);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const stop = () => {
    try {
      as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } catch {
      // already stopped
    }
  };
  // A run that ends without stop() (a crashed test) leaves no server behind.
  process.once("exit", stop);
  return {
    async database(name) {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return `${base}/${name}`;
    },
    stop() {
      process.off("exit", stop);
      stop();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
