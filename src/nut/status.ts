/**
 * `ups.status` parsed token by token into flags. Unknown tokens stay in `raw` and are never an error (newer drivers
 * add TEST, ECO, OVERHEAT, ...). Only the `OB` token means on battery: some UPSes report `OL DISCHRG` on mains.
 */
import { emptyStatus, type StatusFlags } from "../model/snapshot";

type FlagName = Exclude<keyof StatusFlags, "raw">;

const TOKEN_FLAGS: Readonly<Record<string, FlagName>> = {
  OL: "on_line",
  OB: "on_battery",
  LB: "low_battery",
  CHRG: "charging",
  DISCHRG: "discharging",
  RB: "replace_battery",
  OVER: "overload",
  BYPASS: "bypass",
  TRIM: "trim",
  BOOST: "boost",
  OFF: "off",
  CAL: "calibrating",
  FSD: "fsd",
  ALARM: "alarm",
};

export function parseUpsStatus(raw: string): StatusFlags {
  const flags = emptyStatus(raw.trim());
  for (const token of raw.split(/\s+/)) {
    const flag = TOKEN_FLAGS[token.toUpperCase()];
    if (flag) flags[flag] = true;
  }
  return flags;
}
