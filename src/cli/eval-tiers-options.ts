import { parseDuration } from "../core/duration.js";
import type { EvalDetection } from "../eval/evaluate.js";
import { TIERS, type Tier } from "../eval/tiers.js";
import { CliExit, EXIT } from "./exit.js";

/** The command line of `hearth eval --tiers/--matrix` to the tier command's options; bad input is a usage error. */
/** The options of `hearth eval` as commander gives them. */
export interface EvalCliOptions {
  homes: number;
  tuningHomes: number;
  days: number;
  json?: boolean;
  motion?: boolean;
  maxSilenceDay?: string;
  alpha?: number;
  tiers?: string;
  prealarm?: "off" | "on" | "both";
  matrix?: boolean;
  prealarmMaxSilenceDay?: string;
  prealarmAlpha?: number;
  bound?: boolean;
}

export function parseTierOptions(
  opts: EvalCliOptions,
  maxSilenceDayMs: number | undefined,
): {
  homes: number;
  tuningHomes: number;
  days: number;
  tiers: Tier[];
  prealarm: boolean[];
  json?: boolean;
  extra: Partial<EvalDetection>;
  noBound?: boolean;
} {
  const list =
    opts.matrix || opts.tiers === undefined || opts.tiers === "all" ? [...TIERS] : opts.tiers.split(",");
  const tiers: Tier[] = [];
  for (const t of list.map((x) => x.trim())) {
    if (!(TIERS as readonly string[]).includes(t))
      throw new CliExit(EXIT.usage, `hearth eval: --tiers: unknown tier "${t}" (${TIERS.join(", ")}, all)`);
    tiers.push(t as Tier);
  }
  const when = opts.matrix ? "both" : (opts.prealarm ?? "off");
  const prealarm = when === "both" ? [false, true] : [when === "on"];
  const extra: Partial<EvalDetection> = {};
  if (maxSilenceDayMs !== undefined) extra.maxSilenceDayMs = maxSilenceDayMs;
  if (opts.alpha !== undefined) extra.routineAlpha = opts.alpha;
  if (opts.prealarmMaxSilenceDay !== undefined) {
    const ms = parseDuration(opts.prealarmMaxSilenceDay);
    if (ms === undefined)
      throw new CliExit(
        EXIT.usage,
        `hearth eval: --prealarm-max-silence-day ${opts.prealarmMaxSilenceDay}: not a duration (e.g. 4h, 90m)`,
      );
    extra.prealarmMaxSilenceDayMs = ms;
  }
  if (opts.prealarmAlpha !== undefined) {
    if (!(opts.prealarmAlpha > 0 && opts.prealarmAlpha < 1))
      throw new CliExit(
        EXIT.usage,
        `hearth eval: --prealarm-alpha ${opts.prealarmAlpha}: expected a probability between 0 and 1`,
      );
    extra.prealarmRoutineAlpha = opts.prealarmAlpha;
  }
  return {
    homes: opts.homes,
    tuningHomes: opts.tuningHomes,
    days: opts.days,
    tiers,
    prealarm,
    ...(opts.json ? { json: true } : {}),
    extra,
    ...(opts.bound === false ? { noBound: true } : {}),
  };
}
