import { z } from "zod";

/** Local feedback to the person (src/outputs): a speaker, a buzzer and LED on GPIO, or none. */
export const outputsSchema = z
  .object({
    speaker: z
      .object({
        enabled: z.boolean().default(true),
        device: z.string().min(1).default("default").describe("ALSA device for aplay -D"),
        language: z.enum(["zh", "yue", "en"]).describe("zh: Mandarin, yue: Cantonese, en: English"),
        prompts_dir: z
          .string()
          .min(1)
          .optional()
          .describe("the provider's recorded prompts, <prompt>.wav; the others are rendered with espeak-ng"),
      })
      .strict()
      .optional(),
    gpio: z
      .object({
        chip: z.string().min(1).describe("gpiochip name or number, as gpioset (libgpiod 1.6) takes it"),
        buzzer_line: z.number().int().min(0).optional(),
        led_line: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .describe("spoken prompts and a buzzer/LED for the person; default none");
export type OutputsConfig = z.output<typeof outputsSchema>;
