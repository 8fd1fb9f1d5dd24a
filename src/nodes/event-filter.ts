/** Which events an `argus-events` node passes on: by device, by type, and from a minimum severity up. */
import type { EventType, PowerEvent, Severity } from "../model/power-event";

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface EventFilter {
  device?: string;
  types?: readonly EventType[];
  minSeverity?: Severity;
}

export function matchesFilter(event: PowerEvent, filter: EventFilter): boolean {
  if (filter.device && event.device_id !== filter.device) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  if (filter.minSeverity && SEVERITY_RANK[event.severity] < SEVERITY_RANK[filter.minSeverity]) return false;
  return true;
}
