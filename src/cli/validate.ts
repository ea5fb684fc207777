import { loadConfigFile } from "../config/load.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";

export function validateCommand(file: string | undefined, opts: { profiles?: string | boolean }): void {
  if (opts.profiles !== undefined) {
    const cat = loadCatalogue(typeof opts.profiles === "string" ? opts.profiles : undefined);
    if (cat.problems.length > 0) {
      printProblems("Device profiles are not valid", cat.problems);
      throw new CliExit(EXIT.failed);
    }
    printJson({ ok: true, profiles: [...cat.profiles.keys()] });
    return;
  }
  if (!file) throw new CliExit(EXIT.usage, "hearth validate: give a config file, or --profiles");
  const cat = loadCatalogue();
  if (cat.problems.length > 0)
    printProblems("Some device profiles are broken and were skipped", cat.problems);
  const parsed = loadConfigFile(file, cat.profiles);
  if (!parsed.ok) {
    printProblems(`${file} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  printJson({ ok: true, home: parsed.value.home.id, devices: parsed.value.devices.map((d) => d.id) });
}
