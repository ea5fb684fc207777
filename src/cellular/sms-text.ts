import type { AlertBody } from "../contract/messages.js";

export type SmsLanguage = "zh" | "yue" | "en";

const KIND: Record<SmsLanguage, { call: string; fall: string; test: string }> = {
  zh: { call: "紧急呼叫", fall: "跌倒警报", test: "测试短信" },
  yue: { call: "緊急求助", fall: "跌倒警報", test: "測試短訊" },
  en: { call: "EMERGENCY CALL", fall: "FALL DETECTED", test: "Test SMS" },
};

/** "2026-12-07 14:03" from the alert's `since` (ISO with the home's offset): the home's own time. */
function localTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/**
 * The SMS for a call or fall: home, kind, time, device, and that the monitoring centre may not have it
 * (the internet link is down). Short: one message in GSM 7-bit for English; Chinese goes as UCS-2, which
 * ModemManager splits into parts where it must.
 */
export function alertSms(
  home: string,
  alert: Pick<AlertBody, "kind" | "device" | "since">,
  lang: SmsLanguage,
): string {
  const kind = alert.kind === "fall" ? KIND[lang].fall : KIND[lang].call;
  const at = alert.since !== undefined ? localTime(alert.since) : "";
  const dev = alert.device;
  switch (lang) {
    case "zh":
      return `Hearth ${home}：${kind}${dev ? `（${dev}）` : ""}，${at}。网络中断，监护中心可能未收到。请立即联系或上门查看。`;
    case "yue":
      return `Hearth ${home}：${kind}${dev ? `（${dev}）` : ""}，${at}。網絡斷咗，監護中心可能未收到。請即刻聯絡或上門睇吓。`;
    case "en":
      return `Hearth ${home}: ${kind}${dev ? ` (${dev})` : ""} at ${at}. Internet down: the monitoring centre may not have it. Call or visit now.`;
  }
}

/** The installer's test message (`hearth sms-test`). */
export function testSms(home: string, atIso: string, lang: SmsLanguage): string {
  const at = localTime(atIso);
  switch (lang) {
    case "zh":
      return `Hearth ${home}：${KIND.zh.test}，${at}。收到即表示短信备用通道正常，无需回复。`;
    case "yue":
      return `Hearth ${home}：${KIND.yue.test}，${at}。收到即係短訊後備通道正常，唔使回覆。`;
    case "en":
      return `Hearth ${home}: ${KIND.en.test} at ${at}. If you got this, the SMS fallback works. No reply needed.`;
  }
}
