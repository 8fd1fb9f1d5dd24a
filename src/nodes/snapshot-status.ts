/** The node status for a snapshot: `OL · 100% · 30 min · 207 W`, green on mains, yellow on battery, red when down. */
import type { NodeStatus } from "node-red";
import type { Snapshot } from "../model/snapshot";

export function snapshotStatus(snapshot: Snapshot): NodeStatus {
  if (!snapshot.reachable) {
    return { fill: "red", shape: "ring", text: snapshot.error?.message ?? "unreachable" };
  }
  const { status } = snapshot;
  const fill = status.low_battery || status.fsd ? "red" : status.on_battery ? "yellow" : "green";
  return { fill, shape: "dot", text: summary(snapshot) };
}

/** A node whose server could not start shows that first: its data goes nowhere until it is fixed. */
export function serverFailureStatus(reason: string): NodeStatus {
  return { fill: "red", shape: "ring", text: `server: ${reason}` };
}

function summary(snapshot: Snapshot): string {
  const parts = [snapshot.status.raw || "?"];
  if (snapshot.battery_charge_pct !== null) parts.push(`${round(snapshot.battery_charge_pct)}%`);
  if (snapshot.battery_runtime_s !== null) parts.push(formatRuntime(snapshot.battery_runtime_s));
  if (snapshot.power_w !== null) parts.push(`${round(snapshot.power_w)} W`);
  return parts.join(" · ");
}

export function formatRuntime(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function round(value: number): number {
  return Math.round(value);
}
