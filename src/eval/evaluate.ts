import { detectionSchema } from "../config/schema.js";
import type { Envelope } from "../contract/messages.js";
import { DAY_MS, MINUTE_MS } from "../core/time.js";
import { type DetectionOptions, detectionOptions } from "../pipeline/options.js";
import type { PrealarmPrompt } from "../pipeline/ports.js";
import { ReplayEngine } from "../replay/engine.js";
import { Household } from "../sim/household.js";
import {
  DEFAULT_INSTALLER,
  HOUSEHOLD_OFFSET_MIN,
  HOUSEHOLD_TZ,
  type InstallerRules,
} from "../sim/household-profile.js";
import { type SenseSet, senseDevices } from "../sim/household-sense-records.js";
import { AnswerLoop } from "./answer-loop.js";
import { StandingAlerts } from "./standing.js";

/**
 * The pre-alarm's pipeline options (the names of the fixed interface). Declared here as well so the
 * evaluation builds and runs where the pipeline has no pre-alarm yet: there they are ignored.
 */
export interface PrealarmKnobs {
  /** 0: no pre-alarm. */
  prealarmWaitMs?: number;
  prealarmInSleep?: "never" | "lights_on" | "always";
  prealarmMaxSilenceDayMs?: number;
  prealarmRoutineAlpha?: number;
}

export type EvalDetection = DetectionOptions & PrealarmKnobs;

/** Variations tried while tuning: detection options over the defaults, and the installer's rules. */
export interface EvalKnobs {
  detection?: Partial<EvalDetection>;
  installer?: InstallerRules;
  /** The variant with a motion sensor in every home (`MOTION_PARAMS`). */
  motion?: boolean;
  /** The sensing tiers' senses (`SENSE_PARAMS`). */
  senses?: SenseSet;
}

/** A speaker in the simulated home: prompts are heard; what the person does is the answer loop's. */
const AUDIBLE_PROMPT: PrealarmPrompt = { audible: true, ask() {}, cancelled() {}, ended() {} };

/** The alert kinds that detect an incident (and, raised before it, are a cloud false alarm). */
const DETECTING_KINDS: ReadonlySet<string> = new Set(["inactivity", "not_home", "fall"]);

export type Mode = "rules" | "routine";

/** The household simulator's zone has no summer time: one offset all year. */
const OFFSET_MS = HOUSEHOLD_OFFSET_MIN * MINUTE_MS;

/** What happened in one simulated home under one detector mode. */
export interface HomeOutcome {
  seed: number;
  mode: Mode;
  /** Ordinary days observed for false alarms. */
  days: number;
  incidentMs: number | undefined;
  incidentKind: string | undefined;
  incidentNight: boolean;
  /** The morning deadline following the incident (night incidents). */
  deadlineMs: number | undefined;
  /** The pre-alarm's wait (0: none): an alert at the deadline comes this much later. */
  waitMs: number;
  /** First inactivity (or `not_home`, `fall`) `raised` at or after the incident. */
  detectedMs: number | undefined;
  /** The kind of that alert. */
  detectedKind: string | undefined;
  /** Its rule for `inactivity` (with the usual stillness's measure after a colon), else its kind. */
  detectedRule?: string;
  /** Inactivity, `not_home` and `fall` raised before the incident (announced away time included). */
  falseAlarms: number;
  falseAlarmsAway: number;
  /** False alarms by the rule that raised them. */
  falseAlarmsByRule: Record<string, number>;
  /** Other alerts raised before the incident, by kind. */
  otherAlerts: Record<string, number>;
  /** Pre-alarm prompts (`prealarm_started`) before the incident, and how many the person answered. */
  localPrompts: number;
  promptsAnswered: number;
  /** Those prompts by the rule that asked. */
  promptsByRule: Record<string, number>;
}

/**
 * One home through the replay engine (the code path of `hearth replay`, minus the JSON text), once
 * per mode, fed the same records. The installer's settings (sleep window, morning deadline) come
 * from the household's usual times; everything else is the defaults.
 */
export function evaluateHome(
  seed: number,
  days: number,
  modes: readonly Mode[],
  knobs: EvalKnobs = {},
): HomeOutcome[] {
  const home = new Household({
    seed,
    days,
    ...(knobs.motion ? { motion: true } : {}),
    ...(knobs.senses ? { senses: knobs.senses } : {}),
  });
  const s = home.settings(knobs.installer ?? DEFAULT_INSTALLER);
  const base = detectionSchema.parse({});
  const outcomes: HomeOutcome[] = [];
  const engines: ReplayEngine[] = [];
  /** Per engine: the person answering its prompts (the closed loop). */
  const loops: AnswerLoop[] = [];
  /** Per engine: alerts still open at the incident (decided at the end if nothing came after it). */
  const standings: StandingAlerts[] = [];
  const incident = home.incident;
  for (const mode of modes) {
    const o: HomeOutcome = {
      seed,
      mode,
      days,
      incidentMs: incident?.ms,
      incidentKind: incident?.kind,
      incidentNight: incident?.night ?? false,
      deadlineMs: undefined,
      waitMs: knobs.detection?.prealarmWaitMs ?? 0,
      detectedMs: undefined,
      detectedKind: undefined,
      falseAlarms: 0,
      falseAlarmsAway: 0,
      falseAlarmsByRule: {},
      otherAlerts: {},
      localPrompts: 0,
      promptsAnswered: 0,
      promptsByRule: {},
    };
    if (incident) {
      const local0 = Math.floor((incident.ms + OFFSET_MS) / DAY_MS) * DAY_MS - OFFSET_MS;
      let dl = local0 + s.morningDeadlineMin * MINUTE_MS;
      if (dl < incident.ms) dl += DAY_MS;
      o.deadlineMs = dl;
    }
    outcomes.push(o);
    const loop = new AnswerLoop(
      (ms) => home.answerAt(ms),
      (ms) => incident === undefined || ms < incident.ms,
    );
    o.promptsByRule = loop.byRule;
    loops.push(loop);
    const standing = new StandingAlerts();
    standings.push(standing);
    const detection: EvalDetection = {
      ...detectionOptions(base),
      ...s,
      ...knobs.detection,
      routine: mode === "routine",
    };
    engines.push(
      new ReplayEngine({
        home: `eval-${seed}`,
        timeZone: HOUSEHOLD_TZ,
        detection,
        waterResolutionM3: home.profile.waterResolutionL / 1000,
        expectedDevices: [
          "meter-1",
          "water-1",
          ...(knobs.motion ? ["motion-1"] : []),
          ...senseDevices(knobs.senses ?? {}),
        ],
        // The evaluated gateway has a speaker: the person hears the prompt (and answers it: the loop).
        ...((detection.prealarmWaitMs ?? 0) > 0 ? { prompt: AUDIBLE_PROMPT } : {}),
        emit: (env: Envelope) => {
          const ms = Date.parse(env.ts);
          const before = incident === undefined || ms < incident.ms;
          if (!before) detectOpen(o, standing);
          if (loop.onEnvelope(env)) {
            o.localPrompts = loop.prompts;
            o.promptsAnswered = loop.answered;
            return;
          }
          if (env.type !== "alert") return;
          const b = env.body as Envelope<"alert">["body"];
          if (before) standing.note(b, ruleOf(b));
          if (b.state !== "raised") return;
          if (DETECTING_KINDS.has(b.kind)) {
            if (before) {
              o.falseAlarms++;
              const rule = b.kind === "inactivity" ? String(b.evidence.rule) : b.kind;
              o.falseAlarmsByRule[rule] = (o.falseAlarmsByRule[rule] ?? 0) + 1;
              if (home.trips.some((t) => ms >= t.fromMs && ms < t.toMs)) o.falseAlarmsAway++;
            } else if (o.detectedMs === undefined) {
              o.detectedMs = ms;
              o.detectedKind = b.kind;
              o.detectedRule = ruleOf(b);
            }
          } else if (before) o.otherAlerts[b.kind] = (o.otherAlerts[b.kind] ?? 0) + 1;
        },
      }),
    );
  }
  for (const rec of home.records())
    for (let i = 0; i < engines.length; i++) {
      const e = engines[i] as ReplayEngine;
      (loops[i] as AnswerLoop).feed(e, rec.ms);
      e.push(rec);
    }
  for (let i = 0; i < engines.length; i++) {
    const e = engines[i] as ReplayEngine;
    (loops[i] as AnswerLoop).feed(e, home.endMs);
    e.finish(home.endMs);
    detectOpen(outcomes[i] as HomeOutcome, standings[i] as StandingAlerts);
  }
  return outcomes;
}

/** An alert still open at the incident detects it then (`StandingAlerts`). */
function detectOpen(o: HomeOutcome, standing: StandingAlerts): void {
  if (o.incidentMs === undefined || o.detectedMs !== undefined) return;
  const open = standing.atIncident();
  if (!open) return;
  o.detectedMs = o.incidentMs;
  o.detectedKind = open.kind;
  o.detectedRule = open.rule;
}

/** The rule of an alert (the usual stillness's measure after a colon), for diagnosis. */
function ruleOf(b: Envelope<"alert">["body"]): string {
  if (b.kind !== "inactivity") return b.kind;
  const usual = b.evidence.usual as { measure?: string } | undefined;
  return usual?.measure ? `${String(b.evidence.rule)}:${usual.measure}` : String(b.evidence.rule);
}

export interface Figures {
  homes: number;
  homeMonths: number;
  incidents: number;
  detectedWithin12hPct: number;
  detectedWithin24hPct: number;
  ttdMedianMin: number | null;
  ttdP90Min: number | null;
  /** Mean time to detect of the incidents detected (the figure Wilhelm & Wahl report). */
  ttdMeanMin: number | null;
  daytimeIncidents: number;
  daytimeWithin4hPct: number;
  /** Median time to detect of the daytime incidents (undetected ones count as never: last). */
  daytimeTtdMedianMin: number | null;
  nightIncidents: number;
  nightByDeadlinePct: number;
  falseAlarms: number;
  falseAlarmsPerHomeMonth: number;
  falseAlarmsAway: number;
  falseAlarmsByRule: Record<string, number>;
  /** Local prompts by the rule that asked. */
  promptsByRule: Record<string, number>;
  otherAlertsPerHomeMonth: Record<string, number>;
  /** Incidents detected, by the kind of alert that detected them. */
  detectedByKind: Record<string, number>;
  /** Pre-alarm prompts before the incident (the burden on the person), and how many were answered. */
  localPrompts: number;
  localPromptsPerHomeMonth: number;
  promptsAnswered: number;
  /** Daytime incidents detected within 4 h, and night ones by the morning deadline (counts). */
  daytimeWithin4h: number;
  nightByDeadline: number;
  /** Night incidents raised by the deadline plus the pre-alarm's wait (the prompt at the deadline). */
  nightByDeadlineWait: number;
  detectedWithin12h: number;
}

function pct(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((1000 * n) / d) / 10;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Counts by key, added up over every home. */
function sumCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export function figures(outcomes: readonly HomeOutcome[]): Figures {
  const withIncident = outcomes.filter((o) => o.incidentMs !== undefined);
  const ttd = (o: HomeOutcome) =>
    o.detectedMs !== undefined && o.incidentMs !== undefined
      ? (o.detectedMs - o.incidentMs) / MINUTE_MS
      : undefined;
  const ttds = withIncident
    .map(ttd)
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  const day = withIncident.filter((o) => !o.incidentNight);
  const night = withIncident.filter((o) => o.incidentNight);
  const homeMonths = outcomes.reduce((s, o) => s + o.days, 0) / 30;
  const fa = outcomes.reduce((s, o) => s + o.falseAlarms, 0);
  const byRule = sumCounts(outcomes.map((o) => o.falseAlarmsByRule));
  const promptsByRule = sumCounts(outcomes.map((o) => o.promptsByRule));
  const other = sumCounts(outcomes.map((o) => o.otherAlerts));
  for (const k of Object.keys(other)) other[k] = Math.round(((other[k] as number) / homeMonths) * 100) / 100;
  const detectedByKind: Record<string, number> = {};
  for (const o of withIncident)
    if (o.detectedKind !== undefined)
      detectedByKind[o.detectedKind] = (detectedByKind[o.detectedKind] ?? 0) + 1;
  const prompts = outcomes.reduce((s, o) => s + o.localPrompts, 0);
  const within12 = withIncident.filter((o) => (ttd(o) ?? Number.POSITIVE_INFINITY) <= 720).length;
  const day4 = day.filter((o) => (ttd(o) ?? Number.POSITIVE_INFINITY) <= 240).length;
  const nightOk = night.filter(
    (o) =>
      o.detectedMs !== undefined && o.deadlineMs !== undefined && o.detectedMs <= o.deadlineMs + MINUTE_MS,
  ).length;
  const nightWait = night.filter(
    (o) =>
      o.detectedMs !== undefined &&
      o.deadlineMs !== undefined &&
      o.detectedMs <= o.deadlineMs + o.waitMs + MINUTE_MS,
  ).length;
  return {
    nightByDeadlineWait: nightWait,
    detectedByKind,
    localPrompts: prompts,
    localPromptsPerHomeMonth: homeMonths === 0 ? 0 : Math.round((prompts / homeMonths) * 100) / 100,
    promptsAnswered: outcomes.reduce((s, o) => s + o.promptsAnswered, 0),
    daytimeWithin4h: day4,
    nightByDeadline: nightOk,
    detectedWithin12h: within12,
    homes: outcomes.length,
    homeMonths: Math.round(homeMonths * 10) / 10,
    incidents: withIncident.length,
    detectedWithin12hPct: pct(
      withIncident.filter((o) => (ttd(o) ?? Number.POSITIVE_INFINITY) <= 720).length,
      withIncident.length,
    ),
    detectedWithin24hPct: pct(ttds.length, withIncident.length),
    ttdMedianMin: quantile(ttds, 0.5),
    ttdP90Min: quantile(ttds, 0.9),
    ttdMeanMin: ttds.length === 0 ? null : ttds.reduce((a, b) => a + b, 0) / ttds.length,
    daytimeIncidents: day.length,
    daytimeTtdMedianMin: quantile(
      day.map((o) => ttd(o) ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b),
      0.5,
    ),
    daytimeWithin4hPct: pct(
      day.filter((o) => (ttd(o) ?? Number.POSITIVE_INFINITY) <= 240).length,
      day.length,
    ),
    nightIncidents: night.length,
    nightByDeadlinePct: pct(
      night.filter(
        (o) =>
          o.detectedMs !== undefined &&
          o.deadlineMs !== undefined &&
          o.detectedMs <= o.deadlineMs + MINUTE_MS,
      ).length,
      night.length,
    ),
    falseAlarms: fa,
    falseAlarmsPerHomeMonth: homeMonths === 0 ? 0 : Math.round((fa / homeMonths) * 100) / 100,
    falseAlarmsAway: outcomes.reduce((s, o) => s + o.falseAlarmsAway, 0),
    falseAlarmsByRule: byRule,
    promptsByRule,
    otherAlertsPerHomeMonth: other,
  };
}

/** Seeds used while tuning the defaults, and seeds never used for it. */
export const TUNING_SEED_BASE = 1;
export const HELD_OUT_SEED_BASE = 100_001;

export function runCorpus(
  seedBase: number,
  homes: number,
  days: number,
  modes: readonly Mode[],
  progress?: (done: number) => void,
  knobs: EvalKnobs = {},
): Map<Mode, HomeOutcome[]> {
  const by = new Map<Mode, HomeOutcome[]>(modes.map((m) => [m, []]));
  for (let i = 0; i < homes; i++) {
    for (const o of evaluateHome(seedBase + i, days, modes, knobs)) by.get(o.mode)?.push(o);
    progress?.(i + 1);
  }
  return by;
}
