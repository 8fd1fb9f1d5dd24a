/** The human-readable text of power events: device name first, then what happened, then the figures known. */
import type { Snapshot } from "../model/snapshot";

/** "45 s", "25 min", "1 h 5 min", "2 d 3 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

export function formatPct(value: number): string {
  return `${Math.round(value)}%`;
}

/** "87%, 25 min left", "87%", "25 min left" or "" from what the snapshot reports. */
export function batteryFigures(snapshot: Snapshot | null): string {
  if (!snapshot) return "";
  const parts: string[] = [];
  if (snapshot.battery_charge_pct !== null) parts.push(formatPct(snapshot.battery_charge_pct));
  if (snapshot.battery_runtime_s !== null) parts.push(`${formatDuration(snapshot.battery_runtime_s)} left`);
  return parts.join(", ");
}

/** " (x)" or "" when x is empty. */
export function inParens(text: string): string {
  return text ? ` (${text})` : "";
}
