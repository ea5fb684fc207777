import { type Browser, launch } from "puppeteer-core";
import { haveTool, requireTool } from "./tools.js";

/** Debian's Chromium: puppeteer-core drives it and never downloads a browser of its own. */
export const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser tests run here; under CI=true a missing Chromium fails instead of skipping. */
export function chromiumAvailable(): boolean {
  return requireTool(
    "chromium",
    haveTool(CHROMIUM, ["--version"]),
    "install the Debian package: apt-get install -y chromium",
  );
}

/** Headless Chromium; `--no-sandbox` because tests run as root in CI, where the sandbox refuses to start. */
export function launchChromium(): Promise<Browser> {
  return launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}
