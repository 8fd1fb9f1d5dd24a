/**
 * Power event detection: per device, a state machine over snapshots that raises the PowerEvents of `spec/api.md`
 * with NUT upsmon's semantics, and upssched's debounce for `ONBATT`. Pure logic: no I/O, no timers, no Node-RED;
 * the server and the `argus-events` node feed it snapshots in time order and call `tick(now)` now and then (or at
 * `nextDueAt()`) for the events that come due without a new snapshot.
 *
 * Rules (each one is tested in `test/unit/detector.test.ts`):
 * - `ONBATT` when `OB` appears (on the first poll after start too, as upsmon does). Only the `OB` token means on
 *   battery: `OL DISCHRG` is on mains. With `on_battery_delay_s` > 0 the `ONBATT` is held until the outage has
 *   lasted that long, by a later snapshot's `ts` or by `tick(now)`; an outage that ends before raises nothing at
 *   all, neither `ONBATT` nor `ONLINE`. A held `ONBATT` is raised at once when the battery runs out during the
 *   delay (`LB`, `FSD`, or a `CHARGE_LOW` / `RUNTIME_LOW` threshold crossed on battery): the alerts that follow
 *   must not arrive without the outage they belong to. The held timer is cancelled only by a snapshot that shows
 *   `OL`: a UPS that stops answering while on battery still gets its `ONBATT` when the delay is up.
 * - `ONLINE` only as the end of an outage whose `ONBATT` was raised (so never on the first poll after start), when
 *   a snapshot shows `OL` without `OB`; it carries `recovery_of` = that `ONBATT`'s id. A status that is neither
 *   (`OFF`, `WAIT`) neither starts nor ends an outage; an unreachable device does not end one either.
 * - `LOWBATT`, `FSD`, `OVER`, `BYPASS` when the token appears; `NOTOVER` / `NOTBYPASS` when it goes, with
 *   `recovery_of`. `LOWBATT` and `FSD` have no recovery type: they are re-armed when the token goes.
 * - `REPLBATT` when `RB` appears and again every `replbatt_repeat_s` while it stays and the device answers.
 * - `COMMBAD` once `failure_threshold` snapshots in a row are unreachable; `COMMOK` (recovery of it) on the first
 *   reachable snapshot after. Fewer failures than the threshold raise nothing, before or after.
 * - `CHARGE_LOW` / `RUNTIME_LOW` when the figure is at or below its threshold while on battery (on mains a low
 *   charge is a battery recharging, not news). Once raised, not again until the figure has climbed back above the
 *   threshold by the hysteresis, or the outage has ended. No `CHARGE_OK` type exists: the recovery is the
 *   `ONLINE` that ends the outage, and climbing back above the threshold is silent.
 * - Severity: `LOWBATT`, `FSD` critical; `ONBATT` critical when the same snapshot says `LB`, else warning;
 *   `COMMBAD` critical when the device was last seen on battery (upsmon's rule: unreachable and last seen `OB` is
 *   critical), else warning; `REPLBATT`, `OVER`, `BYPASS`, `CHARGE_LOW`, `RUNTIME_LOW` warning; recoveries info.
 * - An event raised by the snapshot has that snapshot's `ts`; an `ONBATT` raised by the debounce running out has
 *   the time it came due (onset + delay) and the last snapshot seen; a repeated `REPLBATT` raised by `tick` has
 *   the tick's time. An `ONLINE` is never stamped before the `ONBATT` it ends.
 * - Snapshots older than the last one observed are ignored (a late answer from a slow poll, a duplicate).
 *
 * `state()` is JSON and restores a detector after a restart: an outage open at the restart neither raises a second
 * `ONBATT` nor loses the `ONLINE` (with its `recovery_of`) that ends it; a `COMMBAD`, `OVER` or `BYPASS` open at the
 * restart likewise keeps its recovery.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { DeviceId } from "../model/device-id";
import type { EventType, PowerEvent, Severity } from "../model/power-event";
import type { Snapshot, StatusFlags } from "../model/snapshot";
import { batteryFigures, formatDuration, formatPct, inParens } from "./detector-messages";
import { DetectorSettings, runtimeHysteresisS, type DetectorSettingsInput } from "./detector-settings";

/** Severity of each type; `ONBATT` (with `LB`) and `COMMBAD` (last seen on battery) can be raised to critical. */
export const EVENT_SEVERITY: Readonly<Record<EventType, Severity>> = {
  ONBATT: "warning",
  ONLINE: "info",
  LOWBATT: "critical",
  COMMBAD: "warning",
  COMMOK: "info",
  REPLBATT: "warning",
  OVER: "warning",
  NOTOVER: "info",
  BYPASS: "warning",
  NOTBYPASS: "info",
  FSD: "critical",
  CHARGE_LOW: "warning",
  RUNTIME_LOW: "warning",
};

/** The recovery types and the type each one ends (its `recovery_of` is an event of that type). */
export const RECOVERY_OF: Readonly<Partial<Record<EventType, EventType>>> = {
  ONLINE: "ONBATT",
  COMMOK: "COMMBAD",
  NOTOVER: "OVER",
  NOTBYPASS: "BYPASS",
};

export function isRecovery(type: EventType): boolean {
  return RECOVERY_OF[type] !== undefined;
}

const Iso = z.iso.datetime();
const EventId = z.string().min(1).max(128);

export const DetectorState = z.strictObject({
  version: z.literal(1),
  device_id: DeviceId,
  /** `ts` of the last snapshot observed; older ones are ignored. */
  last_ts: Iso.nullable(),
  /** An outage: `OB` seen and no `OL` since. `onbatt` is its `ONBATT`, `null` while the debounce holds it. */
  outage: z.strictObject({ since: Iso, onbatt: z.strictObject({ id: EventId, ts: Iso }).nullable() }).nullable(),
  /** Unreachable snapshots in a row, and the `ts` of the first of them. */
  failures: z.number().int().min(0),
  failing_since: Iso.nullable(),
  /** The open `COMMBAD`, `OVER` and `BYPASS` events (their recoveries refer to them). */
  commbad_id: EventId.nullable(),
  over_id: EventId.nullable(),
  bypass_id: EventId.nullable(),
  /** The last `LB` and `FSD` flags seen. */
  low_battery: z.boolean(),
  fsd: z.boolean(),
  /** When the last `REPLBATT` was raised while `RB` stays; `null` when `RB` is not set. */
  replbatt_at: Iso.nullable(),
  /** `CHARGE_LOW` / `RUNTIME_LOW` raised and not re-armed yet. */
  charge_low: z.boolean(),
  runtime_low: z.boolean(),
});
export type DetectorState = z.infer<typeof DetectorState>;

export interface EventDetectorOptions {
  deviceId: string;
  /** The name people know the device by, in messages ("Rack UPS is on battery"); the device id when absent. */
  deviceName?: string | null;
  settings?: DetectorSettingsInput;
  /** A `state()` saved earlier, for this device. */
  state?: DetectorState;
  /** Event ids; `crypto.randomUUID` unless given. */
  newId?: () => string;
}

/** A status that says nothing (upsd's `WAIT` while its driver has no data yet) is not a change of state. */
function hasStatus(status: StatusFlags): boolean {
  return status.raw !== "" && status.raw !== "WAIT";
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function msOrNull(text: string | null): number | null {
  return text === null ? null : Date.parse(text);
}

/** The detector of one device. */
export class EventDetector {
  readonly deviceId: string;
  deviceName: string | null;
  private config: DetectorSettings;
  private readonly newId: () => string;

  private lastMs: number | null = null;
  private outageSinceMs: number | null = null;
  private onbatt: { id: string; ms: number } | null = null;
  private failures = 0;
  private failingSinceMs: number | null = null;
  private commbadId: string | null = null;
  private overId: string | null = null;
  private bypassId: string | null = null;
  private lowBattery = false;
  private fsd = false;
  private replbattMs: number | null = null;
  private chargeLow = false;
  private runtimeLow = false;
  /** The last reachable snapshot, for events raised by time (not part of the state: figures only). */
  private lastSeen: Snapshot | null = null;

  constructor(options: EventDetectorOptions) {
    this.deviceId = DeviceId.parse(options.deviceId);
    this.deviceName = options.deviceName ?? null;
    this.config = DetectorSettings.parse(options.settings ?? {});
    this.newId = options.newId ?? randomUUID;
    if (options.state) this.restore(DetectorState.parse(options.state));
  }

  get settings(): DetectorSettings {
    return this.config;
  }

  /** New settings take effect at once: a held `ONBATT` comes due at onset + the new delay. */
  configure(settings: DetectorSettingsInput): void {
    this.config = DetectorSettings.parse(settings);
  }

  /** Feeds the next snapshot of this device; returns the events it raises, in order. */
  observe(snapshot: Snapshot): PowerEvent[] {
    if (snapshot.device_id !== this.deviceId) {
      throw new Error(`a snapshot of ${snapshot.device_id} given to the detector of ${this.deviceId}`);
    }
    const ms = Date.parse(snapshot.ts);
    if (Number.isNaN(ms)) throw new RangeError(`snapshot ts is not a date: ${snapshot.ts}`);
    if (this.lastMs !== null && ms < this.lastMs) return [];
    this.lastMs = ms;
    const events: PowerEvent[] = [];
    const status = snapshot.status;
    const known = snapshot.reachable && hasStatus(status);
    // A held ONBATT whose delay ran out before this snapshot fires first, unless this snapshot still shows the
    // outage (then it fires below with the fresh figures). `OL` seen at the deadline itself cancels it.
    if (!(known && status.on_battery)) this.expireHold(ms, known && status.on_line, events);
    if (!snapshot.reachable) {
      this.failed(snapshot, ms, events);
      return events;
    }
    if (this.commbadId !== null) {
      const since = this.failingSinceMs ?? ms;
      events.push(
        this.event(
          "COMMOK",
          "info",
          snapshot.ts,
          snapshot,
          `${this.label} is answering again after ${formatDuration((ms - since) / 1000)}`,
          this.commbadId,
        ),
      );
      this.commbadId = null;
    }
    this.failures = 0;
    this.failingSinceMs = null;
    if (known) this.statusChanges(snapshot, ms, events);
    this.lastSeen = snapshot;
    return events;
  }

  /** Events that come due by time alone: a held `ONBATT` whose delay ran out, a `REPLBATT` repeat. */
  tick(now: Date | number): PowerEvent[] {
    const ms = typeof now === "number" ? now : now.getTime();
    const events: PowerEvent[] = [];
    this.expireHold(ms, false, events);
    const replbattDue = this.replbattDue();
    if (replbattDue !== null && ms >= replbattDue) {
      events.push(this.replbatt(iso(ms), this.lastSeen));
      this.replbattMs = ms;
    }
    return events;
  }

  /** When `tick` would next raise something (epoch ms), or `null` when nothing is pending. */
  nextDueAt(): number | null {
    const hold = this.holdDue();
    const replbatt = this.replbattDue();
    if (hold === null) return replbatt;
    if (replbatt === null) return hold;
    return Math.min(hold, replbatt);
  }

  /** Whether an outage is open, and whether its `ONBATT` has been raised or is still held by the debounce. */
  get outage(): "none" | "held" | "confirmed" {
    if (this.outageSinceMs === null) return "none";
    return this.onbatt === null ? "held" : "confirmed";
  }

  /** Whether `COMMBAD` has been raised and no `COMMOK` yet. */
  get commBad(): boolean {
    return this.commbadId !== null;
  }

  state(): DetectorState {
    return {
      version: 1,
      device_id: this.deviceId,
      last_ts: isoOrNull(this.lastMs),
      outage:
        this.outageSinceMs === null
          ? null
          : {
              since: iso(this.outageSinceMs),
              onbatt: this.onbatt === null ? null : { id: this.onbatt.id, ts: iso(this.onbatt.ms) },
            },
      failures: this.failures,
      failing_since: isoOrNull(this.failingSinceMs),
      commbad_id: this.commbadId,
      over_id: this.overId,
      bypass_id: this.bypassId,
      low_battery: this.lowBattery,
      fsd: this.fsd,
      replbatt_at: isoOrNull(this.replbattMs),
      charge_low: this.chargeLow,
      runtime_low: this.runtimeLow,
    };
  }

  private restore(state: DetectorState): void {
    if (state.device_id !== this.deviceId) {
      throw new Error(`the state of ${state.device_id} given to the detector of ${this.deviceId}`);
    }
    this.lastMs = msOrNull(state.last_ts);
    this.outageSinceMs = state.outage === null ? null : Date.parse(state.outage.since);
    const onbatt = state.outage?.onbatt ?? null;
    this.onbatt = onbatt === null ? null : { id: onbatt.id, ms: Date.parse(onbatt.ts) };
    this.failures = state.failures;
    this.failingSinceMs = msOrNull(state.failing_since);
    this.commbadId = state.commbad_id;
    this.overId = state.over_id;
    this.bypassId = state.bypass_id;
    this.lowBattery = state.low_battery;
    this.fsd = state.fsd;
    this.replbattMs = msOrNull(state.replbatt_at);
    this.chargeLow = state.charge_low;
    this.runtimeLow = state.runtime_low;
  }

  private get label(): string {
    return this.deviceName?.trim() || this.deviceId;
  }

  private holdDue(): number | null {
    if (this.outageSinceMs === null || this.onbatt !== null) return null;
    return this.outageSinceMs + this.config.on_battery_delay_s * 1000;
  }

  private replbattDue(): number | null {
    if (this.replbattMs === null || this.failures > 0 || this.config.replbatt_repeat_s === 0) return null;
    return this.replbattMs + this.config.replbatt_repeat_s * 1000;
  }

  /** Raises a held `ONBATT` at its due time if that is not after `ms` (strictly before when `OL` is seen at `ms`). */
  private expireHold(ms: number, onLine: boolean, events: PowerEvent[]): void {
    const due = this.holdDue();
    if (due === null || ms < due || (onLine && ms === due)) return;
    this.confirmOutage(iso(due), due, this.lastSeen, events);
  }

  private confirmOutage(ts: string, ms: number, snapshot: Snapshot | null, events: PowerEvent[]): void {
    const id = this.newId();
    this.onbatt = { id, ms };
    const critical = snapshot?.status.low_battery === true;
    let message = `${this.label} is on battery${inParens(batteryFigures(snapshot))}`;
    if (this.failures > 0) message += " and has stopped answering";
    events.push({
      id,
      device_id: this.deviceId,
      ts,
      type: "ONBATT",
      severity: critical ? "critical" : "warning",
      message,
      snapshot,
      recovery_of: null,
    });
  }

  private failed(snapshot: Snapshot, ms: number, events: PowerEvent[]): void {
    this.failures++;
    if (this.failures === 1) this.failingSinceMs = ms;
    if (this.commbadId !== null || this.failures < this.config.failure_threshold) return;
    const lastSeenOnBattery = this.outageSinceMs !== null;
    const reason = snapshot.error ? `: ${snapshot.error.message}` : "";
    const polls = this.failures === 1 ? "1 poll failed" : `${this.failures} polls failed in a row`;
    const event = this.event(
      "COMMBAD",
      lastSeenOnBattery ? "critical" : "warning",
      snapshot.ts,
      snapshot,
      `${this.label} is not answering (${polls}${reason})${lastSeenOnBattery ? "; it was last seen on battery" : ""}`,
    );
    this.commbadId = event.id;
    events.push(event);
  }

  private statusChanges(snapshot: Snapshot, ms: number, events: PowerEvent[]): void {
    const status = snapshot.status;
    const settings = this.config;
    const charge = snapshot.battery_charge_pct;
    const runtime = snapshot.battery_runtime_s;
    const chargeLowAt = settings.charge_low_pct;
    const runtimeLowAt = settings.runtime_low_s;

    // Thresholds re-arm once the figure is back above them by the hysteresis (or the threshold is off).
    if (
      this.chargeLow &&
      (chargeLowAt === null || (charge !== null && charge >= chargeLowAt + settings.charge_hysteresis_pct))
    ) {
      this.chargeLow = false;
    }
    if (
      this.runtimeLow &&
      (runtimeLowAt === null || (runtime !== null && runtime >= runtimeLowAt + runtimeHysteresisS(settings)))
    ) {
      this.runtimeLow = false;
    }
    const chargeCrossed =
      status.on_battery && !this.chargeLow && chargeLowAt !== null && charge !== null && charge <= chargeLowAt;
    const runtimeCrossed =
      status.on_battery && !this.runtimeLow && runtimeLowAt !== null && runtime !== null && runtime <= runtimeLowAt;

    if (status.on_battery) {
      if (this.outageSinceMs === null) this.outageSinceMs = ms;
      if (this.onbatt === null) {
        const urgent = status.low_battery || status.fsd || chargeCrossed || runtimeCrossed;
        if (urgent || ms - this.outageSinceMs >= settings.on_battery_delay_s * 1000) {
          this.confirmOutage(snapshot.ts, ms, snapshot, events);
        }
      }
    } else if (status.on_line && this.outageSinceMs !== null) {
      if (this.onbatt !== null) {
        const ts = ms >= this.onbatt.ms ? snapshot.ts : iso(this.onbatt.ms);
        const lasted = formatDuration((ms - this.outageSinceMs) / 1000);
        const figures = charge === null ? "" : `battery ${formatPct(charge)}`;
        events.push(
          this.event(
            "ONLINE",
            "info",
            ts,
            snapshot,
            `${this.label} is back on mains power after ${lasted} on battery${inParens(figures)}`,
            this.onbatt.id,
          ),
        );
      }
      this.outageSinceMs = null;
      this.onbatt = null;
      this.chargeLow = false;
      this.runtimeLow = false;
    }

    if (status.low_battery && !this.lowBattery) {
      const what = status.on_battery ? "is on battery and its battery is low" : "reports a low battery";
      events.push(
        this.event(
          "LOWBATT",
          "critical",
          snapshot.ts,
          snapshot,
          `${this.label} ${what}${inParens(batteryFigures(snapshot))}`,
        ),
      );
    }
    this.lowBattery = status.low_battery;

    if (status.fsd && !this.fsd) {
      events.push(
        this.event(
          "FSD",
          "critical",
          snapshot.ts,
          snapshot,
          `${this.label} is in forced shutdown (FSD): the systems it powers are shutting down`,
        ),
      );
    }
    this.fsd = status.fsd;

    if (chargeCrossed && charge !== null && chargeLowAt !== null) {
      this.chargeLow = true;
      events.push(
        this.event(
          "CHARGE_LOW",
          "warning",
          snapshot.ts,
          snapshot,
          `${this.label} battery charge is down to ${formatPct(charge)} (alert at ${formatPct(chargeLowAt)})`,
        ),
      );
    }
    if (runtimeCrossed && runtime !== null && runtimeLowAt !== null) {
      this.runtimeLow = true;
      events.push(
        this.event(
          "RUNTIME_LOW",
          "warning",
          snapshot.ts,
          snapshot,
          `${this.label} battery runtime is down to ${formatDuration(runtime)} (alert at ${formatDuration(runtimeLowAt)})`,
        ),
      );
    }

    const load = snapshot.load_pct === null ? "" : `load ${formatPct(snapshot.load_pct)}`;
    if (status.overload && this.overId === null) {
      const event = this.event(
        "OVER",
        "warning",
        snapshot.ts,
        snapshot,
        `${this.label} is overloaded${inParens(load)}`,
      );
      this.overId = event.id;
      events.push(event);
    } else if (!status.overload && this.overId !== null) {
      events.push(
        this.event(
          "NOTOVER",
          "info",
          snapshot.ts,
          snapshot,
          `${this.label} is no longer overloaded${inParens(load)}`,
          this.overId,
        ),
      );
      this.overId = null;
    }

    if (status.bypass && this.bypassId === null) {
      const event = this.event(
        "BYPASS",
        "warning",
        snapshot.ts,
        snapshot,
        `${this.label} is on bypass: the battery does not protect the load`,
      );
      this.bypassId = event.id;
      events.push(event);
    } else if (!status.bypass && this.bypassId !== null) {
      events.push(
        this.event(
          "NOTBYPASS",
          "info",
          snapshot.ts,
          snapshot,
          `${this.label} is off bypass: the battery protects the load again`,
          this.bypassId,
        ),
      );
      this.bypassId = null;
    }

    if (!status.replace_battery) {
      this.replbattMs = null;
    } else if (
      this.replbattMs === null ||
      (settings.replbatt_repeat_s > 0 && ms - this.replbattMs >= settings.replbatt_repeat_s * 1000)
    ) {
      events.push(this.replbatt(snapshot.ts, snapshot));
      this.replbattMs = ms;
    }
  }

  private replbatt(ts: string, snapshot: Snapshot | null): PowerEvent {
    return this.event("REPLBATT", "warning", ts, snapshot, `${this.label} battery needs replacing`);
  }

  private event(
    type: EventType,
    severity: Severity,
    ts: string,
    snapshot: Snapshot | null,
    message: string,
    recoveryOf: string | null = null,
  ): PowerEvent {
    return {
      id: this.newId(),
      device_id: this.deviceId,
      ts,
      type,
      severity,
      message,
      snapshot,
      recovery_of: recoveryOf,
    };
  }
}

export interface EventDetectorsOptions {
  settings?: DetectorSettingsInput;
  /** The display name of a device, asked whenever its detector raises events; the device id when absent. */
  nameOf?: (deviceId: string) => string | null | undefined;
  /** `state()` saved earlier. */
  states?: Readonly<Record<string, DetectorState>>;
  newId?: () => string;
}

/**
 * The detectors of many devices, made on a device's first snapshot: what the server (every device it polls) and
 * the `argus-events` node (snapshots of any device on one input) both need. Settings are shared.
 */
export class EventDetectors {
  private readonly detectors = new Map<string, EventDetector>();
  private config: DetectorSettings;

  constructor(private readonly options: EventDetectorsOptions = {}) {
    this.config = DetectorSettings.parse(options.settings ?? {});
    for (const [deviceId, state] of Object.entries(options.states ?? {})) this.make(deviceId, state);
  }

  get settings(): DetectorSettings {
    return this.config;
  }

  observe(snapshot: Snapshot): PowerEvent[] {
    const detector = this.detector(snapshot.device_id);
    if (this.options.nameOf) detector.deviceName = this.options.nameOf(snapshot.device_id) ?? null;
    return detector.observe(snapshot);
  }

  tick(now: Date | number): PowerEvent[] {
    const events: PowerEvent[] = [];
    for (const [deviceId, detector] of this.detectors) {
      if (this.options.nameOf) detector.deviceName = this.options.nameOf(deviceId) ?? null;
      for (const event of detector.tick(now)) events.push(event);
    }
    return events;
  }

  nextDueAt(): number | null {
    let due: number | null = null;
    for (const detector of this.detectors.values()) {
      const next = detector.nextDueAt();
      if (next !== null && (due === null || next < due)) due = next;
    }
    return due;
  }

  /** The detector of a device, made (with the shared settings) if there is none yet. */
  detector(deviceId: string): EventDetector {
    return this.detectors.get(deviceId) ?? this.make(deviceId);
  }

  get(deviceId: string): EventDetector | undefined {
    return this.detectors.get(deviceId);
  }

  /** Forgets a device (removed from the configuration). */
  delete(deviceId: string): boolean {
    return this.detectors.delete(deviceId);
  }

  configure(settings: DetectorSettingsInput): void {
    this.config = DetectorSettings.parse(settings);
    for (const detector of this.detectors.values()) detector.configure(this.config);
  }

  state(): Record<string, DetectorState> {
    const states: Record<string, DetectorState> = {};
    for (const [deviceId, detector] of this.detectors) states[deviceId] = detector.state();
    return states;
  }

  private make(deviceId: string, state?: DetectorState): EventDetector {
    const detector = new EventDetector({
      deviceId,
      deviceName: this.options.nameOf?.(deviceId) ?? null,
      settings: this.config,
      state,
      newId: this.options.newId,
    });
    this.detectors.set(deviceId, detector);
    return detector;
  }
}
