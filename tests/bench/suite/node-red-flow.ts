/**
 * The Node-RED flow Hearth is compared with: what an installer builds in Node-RED for the same job —
 * node-red-contrib-modbus polling each SDM120 over Modbus TCP every `pollS` seconds (function 4,
 * registers 0x00–0x4B in one read, as Hearth's poller coalesces them), a function node turning the
 * registers into the same values Hearth reports, and an MQTT out node publishing them at QoS 1.
 */
export interface FlowOptions {
  modbusPort: number;
  brokerPort: number;
  unitIds: readonly number[];
  pollS: number;
}

/** Float32, high word first, from two registers: the SDM120's layout. */
const DECODE = `
const r = msg.payload;
const f = (i) => { const b = Buffer.alloc(4); b.writeUInt16BE(r[i], 0); b.writeUInt16BE(r[i + 1], 2); return b.readFloatBE(0); };
msg.payload = JSON.stringify({ meter: msg.topic, ts: new Date().toISOString(), voltage_v: f(0), current_a: f(6), power_w: f(12), power_factor: f(30), frequency_hz: f(70), energy_import_kwh: f(72) });
msg.topic = "nodered/" + msg.topic + "/telemetry";
return msg;`;

export function nodeRedFlow(o: FlowOptions): object[] {
  const tab = { id: "tab1", type: "tab", label: "meters" };
  const client = {
    id: "client1",
    type: "modbus-client",
    name: "meters",
    clienttype: "tcp",
    bufferCommands: true,
    stateLogEnabled: false,
    queueLogEnabled: false,
    tcpHost: "127.0.0.1",
    tcpPort: String(o.modbusPort),
    tcpType: "DEFAULT",
    unit_id: o.unitIds[0] ?? 1,
    commandDelay: 1,
    clientTimeout: 1000,
    reconnectOnTimeout: true,
    reconnectTimeout: 2000,
    parallelUnitIdsAllowed: true,
  };
  const broker = {
    id: "broker1",
    type: "mqtt-broker",
    name: "cloud",
    broker: "127.0.0.1",
    port: String(o.brokerPort),
    clientid: "node-red-peer",
    autoConnect: true,
    usetls: false,
    protocolVersion: "5",
    keepalive: "30",
    cleansession: true,
  };
  const decode = {
    id: "decode1",
    type: "function",
    z: tab.id,
    name: "registers → values",
    func: DECODE,
    outputs: 1,
    wires: [["out1"]],
  };
  const out = {
    id: "out1",
    type: "mqtt out",
    z: tab.id,
    name: "publish",
    topic: "",
    qos: "1",
    retain: "false",
    broker: broker.id,
    wires: [],
  };
  const reads = o.unitIds.map((unit) => ({
    id: `read${unit}`,
    type: "modbus-read",
    z: tab.id,
    name: `meter-${unit}`,
    topic: `meter-${unit}`,
    showStatusActivities: false,
    logIOActivities: false,
    showErrors: false,
    unitid: String(unit),
    dataType: "InputRegister",
    adr: "0",
    quantity: "76",
    rate: String(o.pollS),
    rateUnit: "s",
    delayOnStart: false,
    startDelayTime: "",
    server: client.id,
    useIOFile: false,
    ioFile: "",
    useIOForPayload: false,
    emptyMsgOnFail: false,
    wires: [[decode.id], []],
  }));
  return [tab, client, broker, ...reads, decode, out];
}

/** Headless: no editor, no admin API, no HTTP server at all; logs at warn. */
export function nodeRedSettings(flowFile: string, userDir: string): string {
  return `module.exports = ${JSON.stringify(
    {
      flowFile,
      userDir,
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      credentialSecret: false,
      logging: { console: { level: "warn", metrics: false, audit: false } },
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
    },
    null,
    2,
  )};\n`;
}
