export type {
  FoundDevice,
  ProbeLine,
  ProbeOptions,
  ProbePortOptions,
  ProbeProgress,
  ProbeProtocol,
  ProbeResult,
} from "./probe.js";
export { describeFound, formatProgress, probe, probeExitCode, probePort, USUAL_SETTINGS } from "./probe.js";
export type { DevicesYamlOptions } from "./yaml.js";
export { mixedSettingsWarnings, renderDevicesYaml } from "./yaml.js";
