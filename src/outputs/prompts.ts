/** What the gateway says to the person. */
export const PROMPTS = ["call_confirmed", "help_coming", "prealarm_ask", "prealarm_cancelled"] as const;
export type PromptName = (typeof PROMPTS)[number];

export const LANGUAGES = ["zh", "yue", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * espeak-ng voice per language. Mandarin goes through `cmn-latn-pinyin` with tone-numbered pinyin:
 * bookworm's `cmn` voice reads the tone digits aloud (in English). Cantonese `yue` reads characters.
 */
export const VOICES: Record<Language, string> = { zh: "cmn-latn-pinyin", yue: "yue", en: "en" };

/** The texts espeak-ng renders, when the provider supplies no recorded prompt. */
export const PROMPT_TEXTS: Record<Language, Record<PromptName, string>> = {
  // Neutral tone is 5. 已经为您呼叫帮助。/ 帮助正在路上，请放心。/ 您还好吗？如果没事，请按两下按钮。/ 好的，已经取消。
  zh: {
    call_confirmed: "yi3 jing1 wei4 nin2 hu1 jiao4 bang1 zhu4.",
    help_coming: "bang1 zhu4 zheng4 zai4 lu4 shang4, qing3 fang4 xin1.",
    prealarm_ask: "nin2 hai2 hao3 ma5? ru2 guo3 mei2 shi4, qing3 an4 liang3 xia4 an4 niu3.",
    prealarm_cancelled: "hao3 de5, yi3 jing1 qu3 xiao1.",
  },
  yue: {
    call_confirmed: "已經幫你叫咗人幫手。",
    help_coming: "有人嚟緊幫你，請放心。",
    prealarm_ask: "你好唔好呀？如果冇事，請撳兩下掣。",
    prealarm_cancelled: "好，已經取消。",
  },
  en: {
    call_confirmed: "Help has been called.",
    help_coming: "Help is coming.",
    prealarm_ask: "Are you all right? Press the button twice if you are fine.",
    prealarm_cancelled: "Thank you. The alarm is cancelled.",
  },
};
