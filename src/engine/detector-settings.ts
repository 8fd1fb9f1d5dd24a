/**
 * Settings of the power event detector (`detector.ts`): the same for the server, which takes `failure_threshold`
 * and `on_battery_delay_s` from its alert configuration, and for the `argus-events` node's editor.
 */
import { z } from "zod";
import type { AlertConfig } from "../model/alert-config";

const THIRTY_DAYS_S = 30 * 86_400;

export const DetectorSettings = z.strictObject({
  /** Polls failed in a row before `COMMBAD` (the alert configuration's `failure_threshold`). */
  failure_threshold: z.number().int().min(1).max(100).default(3),
  /**
   * Debounce as upssched does it: `ONBATT` only once the outage has lasted this long; a shorter outage raises
   * neither `ONBATT` nor `ONLINE`. 0 raises `ONBATT` on the first poll that sees `OB`.
   */
  on_battery_delay_s: z.number().int().min(0).max(3600).default(0),
  /** `REPLBATT` again every this many seconds while the UPS says `RB` (upsmon's RBWARNTIME, 12 h); 0: once. */
  replbatt_repeat_s: z
    .number()
    .int()
    .min(0)
    .max(THIRTY_DAYS_S)
    .refine((value) => value === 0 || value >= 60, "must be 0 (no repeat) or at least 60")
    .default(43_200),
  /** `CHARGE_LOW` when `battery_charge_pct` is at or below this while on battery; `null`: off. */
  charge_low_pct: z.number().min(1).max(100).nullable().default(null),
  /** Points the charge must climb above `charge_low_pct` before `CHARGE_LOW` can fire again in the same outage. */
  charge_hysteresis_pct: z.number().min(0).max(50).default(5),
  /** `RUNTIME_LOW` when `battery_runtime_s` is at or below this while on battery; `null`: off. */
  runtime_low_s: z.number().int().min(1).max(86_400).nullable().default(null),
  /**
   * Seconds the runtime must climb above `runtime_low_s` before `RUNTIME_LOW` can fire again in the same outage;
   * `null`: the larger of 60 s and 20 % of `runtime_low_s` (runtime estimates swing with the load).
   */
  runtime_hysteresis_s: z.number().int().min(0).max(86_400).nullable().default(null),
});
export type DetectorSettings = z.infer<typeof DetectorSettings>;
export type DetectorSettingsInput = z.input<typeof DetectorSettings>;

/** The runtime margin that re-arms `RUNTIME_LOW` (see `runtime_hysteresis_s`). */
export function runtimeHysteresisS(settings: DetectorSettings): number {
  if (settings.runtime_hysteresis_s !== null) return settings.runtime_hysteresis_s;
  return Math.max(60, 0.2 * (settings.runtime_low_s ?? 0));
}

/** The detector settings an alert configuration implies, plus the detector-only ones given in `extra`. */
export function detectorSettingsFromAlertConfig(
  config: Pick<AlertConfig, "failure_threshold" | "on_battery_delay_s">,
  extra: Omit<DetectorSettingsInput, "failure_threshold" | "on_battery_delay_s"> = {},
): DetectorSettings {
  return DetectorSettings.parse({
    ...extra,
    failure_threshold: config.failure_threshold,
    on_battery_delay_s: config.on_battery_delay_s,
  });
}
