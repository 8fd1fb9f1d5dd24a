/**
 * The alert text, one shape for every provider: from a PowerEvent (device name in the title, severity, a recovery
 * marked as resolved) or from a plain `{title, message}`. Text is plain: control and bidi characters removed here;
 * each provider then neutralizes its own markup and mentions with the helpers below.
 */
import { randomUUID } from "node:crypto";
import type { EventType, PowerEvent, Severity } from "../model/power-event";
import type { Snapshot } from "../model/snapshot";

export type AlertStatus = "firing" | "resolved";
/** The event type, `TEST` for a test alert, `MESSAGE` for a plain `{title, message}`. */
export type AlertType = EventType | "TEST" | "MESSAGE";

export interface AlertDevice {
  id: string;
  name: string;
}

/** The generic webhook's `data`: everything a receiver needs besides the envelope. */
export interface AlertData {
  severity: Severity;
  title: string;
  message: string;
  recovery_of: string | null;
  snapshot: Snapshot | null;
}

export interface AlertMessage {
  /** Stable across retries and restarts: the event id, so receivers can deduplicate. */
  id: string;
  type: AlertType;
  status: AlertStatus;
  severity: Severity;
  /** ISO 8601: when it happened (the event's time). */
  timestamp: string;
  device: AlertDevice | null;
  /** Plain text, one line. */
  title: string;
  /** Plain text, may span lines. */
  text: string;
  data: AlertData;
}

/** Recovery types and the problems each one ends. */
export const RECOVERS: Readonly<Partial<Record<EventType, readonly EventType[]>>> = {
  ONLINE: ["ONBATT", "LOWBATT", "FSD", "CHARGE_LOW", "RUNTIME_LOW"],
  COMMOK: ["COMMBAD"],
  NOTOVER: ["OVER"],
  NOTBYPASS: ["BYPASS"],
};

export function isRecovery(event: Pick<PowerEvent, "type" | "recovery_of">): boolean {
  return event.recovery_of !== null || RECOVERS[event.type] !== undefined;
}

const LABELS: Record<EventType, string> = {
  ONBATT: "on battery",
  ONLINE: "back on line power",
  LOWBATT: "battery low",
  COMMBAD: "not answering",
  COMMOK: "answering again",
  REPLBATT: "battery needs replacing",
  OVER: "overloaded",
  NOTOVER: "no longer overloaded",
  BYPASS: "on bypass",
  NOTBYPASS: "off bypass",
  FSD: "forced shutdown",
  CHARGE_LOW: "battery charge low",
  RUNTIME_LOW: "battery runtime low",
};

const MAX_TITLE = 200;
const MAX_TEXT = 2000;

/** Strips what no provider should receive from user-controlled text: control characters (but newline and tab)
 * and bidirectional overrides that can make a device name read as something else. */
export function plainText(text: string, maxLength = MAX_TEXT): string {
  const clean = text
    .replace(/\r\n?/g, "\n")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  return truncate(clean, maxLength);
}

/** One line of plain text. */
export function plainLine(text: string, maxLength = MAX_TITLE): string {
  return plainText(text.replace(/\s+/g, " "), maxLength);
}

/** At most `maxLength` characters (code points), an ellipsis marking a cut. */
export function truncate(text: string, maxLength: number): string {
  const points = Array.from(text);
  if (points.length <= maxLength) return text;
  return `${points.slice(0, Math.max(0, maxLength - 1)).join("")}…`;
}

function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes === 0) return `${Math.round(seconds)} s`;
  const rest = Math.round(seconds % 60);
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** "Battery 54 %, runtime 12 min, load 30 %, input 0 V" from what the snapshot has. */
export function snapshotSummary(snapshot: Snapshot | null): string {
  if (!snapshot || !snapshot.reachable) return "";
  const parts: string[] = [];
  if (snapshot.battery_charge_pct !== null) parts.push(`battery ${Math.round(snapshot.battery_charge_pct)} %`);
  if (snapshot.battery_runtime_s !== null) parts.push(`runtime ${duration(snapshot.battery_runtime_s)}`);
  if (snapshot.load_pct !== null) parts.push(`load ${Math.round(snapshot.load_pct)} %`);
  if (snapshot.input_voltage_v !== null) parts.push(`input ${Math.round(snapshot.input_voltage_v)} V`);
  if (snapshot.status.raw) parts.push(`status ${snapshot.status.raw}`);
  const text = parts.join(", ");
  return text ? text[0]?.toUpperCase() + text.slice(1) : "";
}

export interface EventMessageOptions {
  /** The device's display name; the id when absent. */
  deviceName?: string;
}

export function messageFromEvent(event: PowerEvent, options: EventMessageOptions = {}): AlertMessage {
  const status: AlertStatus = isRecovery(event) ? "resolved" : "firing";
  const name = plainLine(options.deviceName ?? "", 64) || event.device_id;
  const marker = status === "resolved" ? "RESOLVED" : event.severity.toUpperCase();
  const title = plainLine(`[${marker}] ${name}: ${LABELS[event.type]}`);
  const lines = [
    plainText(event.message, 1000),
    snapshotSummary(event.snapshot),
    `Device ${name} (${event.device_id})`,
  ];
  const text = plainText(lines.filter((line) => line !== "").join("\n"));
  return {
    id: event.id,
    type: event.type,
    status,
    severity: event.severity,
    timestamp: event.ts,
    device: { id: event.device_id, name },
    title,
    text,
    data: { severity: event.severity, title, message: text, recovery_of: event.recovery_of, snapshot: event.snapshot },
  };
}

export interface TextMessageInput {
  title: string;
  message: string;
  severity?: Severity;
  /** A device this message is about (its name goes into the title when the title lacks it). */
  device?: AlertDevice | null;
  id?: string;
  /** ISO 8601; now when absent. */
  timestamp?: string;
}

/** A plain `{title, message}` (the argus-alert node's input that is not an event). */
export function messageFromText(input: TextMessageInput, now: Date = new Date()): AlertMessage {
  const severity = input.severity ?? "info";
  const device = input.device
    ? { id: input.device.id, name: plainLine(input.device.name, 64) || input.device.id }
    : null;
  let title = plainLine(input.title) || "Argus alert";
  if (device && !title.includes(device.name)) title = plainLine(`${device.name}: ${title}`);
  const text = plainText(input.message) || title;
  return {
    id: input.id ?? randomUUID(),
    type: "MESSAGE",
    status: "firing",
    severity,
    timestamp: input.timestamp ?? now.toISOString(),
    device,
    title,
    text,
    data: { severity, title, message: text, recovery_of: null, snapshot: null },
  };
}

/** The message of `POST /api/alerts/test`. */
export function testMessage(now: Date, id: string = `test-${randomUUID()}`): AlertMessage {
  const title = "[TEST] Argus test alert";
  const text = "This is a test alert from Argus for Node-RED. If you can read it, this provider works.";
  return {
    id,
    type: "TEST",
    status: "firing",
    severity: "info",
    timestamp: now.toISOString(),
    device: null,
    title,
    text,
    data: { severity: "info", title, message: text, recovery_of: null, snapshot: null },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-provider neutralization

/** Slack: `&`, `<` and `>` are its control characters (`<!channel>`, `<@U123>`, links); escaped, they show as is. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Discord markdown: markup characters backslash-escaped (Discord drops the backslash before any non-alphanumeric
 * character): emphasis, code, spoilers, quotes, `<` so `<@id>` and `<t:...>` are not parsed, `@`, a masked link's
 * `](`, and a heading or list marker at a line's start. Brackets alone stay as they are (`[WARNING]` is no link).
 * Mentions are also disarmed by `allowed_mentions: {parse: []}`, which is what really stops `@everyone` pinging.
 */
export function escapeDiscord(text: string): string {
  return text
    .replace(/[\\*_~`|<>@]/g, (char) => `\\${char}`)
    .replace(/\]\(/g, "]\\(")
    .replace(/^(\s*)([#-])/gm, "$1\\$2");
}

/** Telegram, sent without parse_mode: no markup, but `@name` still notifies that user; a word joiner breaks it. */
export function neutralizeAtMentions(text: string): string {
  return text.replace(/@(?=\w)/g, "@\u2060");
}
