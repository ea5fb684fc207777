import { type CellularStatus, ModemManagerClient, type SmsLanguage, testSms } from "../cellular/index.js";
import { loadConfigFile } from "../config/load.js";
import { isoWithOffset } from "../contract/timestamps.js";
import { errorMessage } from "../core/errors.js";
import { formatProblem } from "../core/yaml-validate.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export interface SmsTestFlags {
  config: string;
  language?: string;
}

/** A phone number as the config's `sms.numbers` takes it. */
const NUMBER = /^\+?[0-9]{3,20}$/;
const LANGUAGES: readonly SmsLanguage[] = ["zh", "yue", "en"];

/**
 * `hearth sms-test <number>`: one test SMS through ModemManager, as the fallback would send it (the
 * home's id and language from the config). Prints what was sent and the modem's state as JSON; exit 0
 * once ModemManager has sent it, 1 when it could not, 2 for a number or language it cannot take.
 */
export async function smsTestCommand(number: string, flags: SmsTestFlags): Promise<void> {
  if (!NUMBER.test(number))
    throw new CliExit(
      EXIT.usage,
      `hearth sms-test: ${number}: not a phone number (digits, optional leading +)`,
    );
  if (flags.language !== undefined && !LANGUAGES.includes(flags.language as SmsLanguage))
    throw new CliExit(
      EXIT.usage,
      `hearth sms-test: --language ${flags.language}: one of ${LANGUAGES.join(", ")}`,
    );
  const parsed = loadConfigFile(flags.config, loadCatalogue().profiles);
  if (!parsed.ok)
    throw new CliExit(
      EXIT.failed,
      `hearth sms-test: ${flags.config}:\n${parsed.problems.map(formatProblem).join("\n")}`,
    );
  const config = parsed.value;
  const lang =
    (flags.language as SmsLanguage | undefined) ??
    config.sms?.language ??
    config.outputs.speaker?.language ??
    "en";
  const text = testSms(config.home.id, isoWithOffset(Date.now(), config.home.timezone), lang);
  const client = new ModemManagerClient();
  let status: CellularStatus | undefined;
  try {
    process.stderr.write("sms-test: asking ModemManager for the modem…\n");
    status = await client.status();
    process.stderr.write(`sms-test: ${status.detail}; sending to ${number}…\n`);
    const path = await client.send(number, text);
    printJson({ ok: true, to: number, text, sms: path, modem: status });
  } catch (e) {
    printJson({ ok: false, to: number, text, error: errorMessage(e), ...(status ? { modem: status } : {}) });
    throw new CliExit(EXIT.failed, `hearth sms-test: not sent: ${errorMessage(e)}`);
  } finally {
    client.close();
  }
}
