/**
 * One Argus server: the composition root of the pipeline for every device it knows.
 *   driver -> snapshot -> ingest(): snapshot store, rollups and energy, live state, diagnostics
 *                                  -> event detector -> event store -> alert dispatcher, event listeners
 * It knows nothing of Node-RED or HTTP: the argus-server node owns one, and the API routes read it.
 */
import { mkdir } from "node:fs/promises";
import { AlertDispatcher, FileAlertOutbox, type TestOutcome } from "../alerts";
import { DetectorState, EventDetectors } from "../engine/detector";
import { detectorSettingsFromAlertConfig } from "../engine/detector-settings";
import type { DeviceDriver } from "../engine/driver";
import type { PowerEvent } from "../model/power-event";
import { AlertConfig } from "../model/alert-config";
import type { DeviceInput } from "../model/device";
import { RuntimeConfig } from "../model/runtime-config";
import type { Snapshot } from "../model/snapshot";
import { RollupStore } from "../store/rollup-store";
import { SnapshotStore } from "../store/snapshot-store";
import { DeviceStore } from "./device-store";
import { createDriver as defaultDriverFactory, type DriverFactory } from "./driver-factory";
import { EventStore } from "./event-store";
import { openCollection } from "./nedb";
import { DeviceRegistry, type RegisteredDevice } from "./registry";
import { Scheduler } from "./scheduler";
import { SettingsStore } from "./settings-store";

export interface HubLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface HubOptions {
  dataDir: string;
  /** What the editor says; wins over what the API stored when it changed since the last deploy. */
  runtime: RuntimeConfig;
  alerts: AlertConfig;
  log: HubLog;
  createDriver?: DriverFactory;
}

export interface Diagnostic {
  device_id: string;
  ok: boolean;
  error: { code: string; message: string } | null;
  latency_ms: number | null;
  polled_at: string;
  protocol: Record<string, string | number>;
}

/** Snapshots ingested for one device since the hub opened, and how many of them were unreachable. */
export interface PollCounts {
  polls: number;
  failures: number;
}

const RETENTION_EVERY_MS = 60 * 60 * 1000;
/** Time-based events (a held ONBATT coming due, REPLBATT repeats) are checked this often. */
const TICK_EVERY_MS = 1000;
const DETECTOR_STATE_KEY = "detectors";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require("../../package.json").version;

export class ArgusHub {
  readonly registry = new DeviceRegistry();
  readonly scheduler = new Scheduler();
  private readonly drivers = new Map<string, DeviceDriver>();
  private readonly diagnostics = new Map<string, Diagnostic>();
  private readonly pollCounts = new Map<string, PollCounts>();
  private readonly startedAt = Date.now();
  private lastPollAt: string | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly runtimeListeners: Array<(config: RuntimeConfig) => void> = [];
  private readonly eventListeners = new Set<(event: PowerEvent) => void>();
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly detectors: EventDetectors;
  private readonly dispatcher: AlertDispatcher;

  private constructor(
    private readonly options: HubOptions,
    readonly snapshots: SnapshotStore,
    readonly rollups: RollupStore,
    readonly events: EventStore,
    private readonly settings: SettingsStore,
    private readonly apiDevices: DeviceStore,
    public runtime: RuntimeConfig,
    public alerts: AlertConfig,
    detectorStates: Record<string, DetectorState>,
  ) {
    this.detectors = new EventDetectors({
      settings: detectorSettingsFromAlertConfig(alerts),
      nameOf: (id) => this.registry.get(id)?.device.name,
      states: detectorStates,
    });
    this.dispatcher = new AlertDispatcher({
      outbox: new FileAlertOutbox(options.dataDir, {
        onCorrupt: (error) => options.log.warn(`alert outbox: ${error.message}`),
      }),
      deviceName: (id) => this.registry.get(id)?.device.name,
      log: (entry) => (entry.level === "warn" ? options.log.warn(entry.message) : options.log.info(entry.message)),
    });
  }

  static async open(options: HubOptions): Promise<ArgusHub> {
    await mkdir(options.dataDir, { recursive: true });
    const [settingsDb, devicesDb, eventsDb] = await Promise.all(
      ["settings", "devices", "events"].map((name) => openCollection(options.dataDir, name)),
    );
    const settings = new SettingsStore(settingsDb as never);
    const runtime = await settings.resolve("runtime", options.runtime, (v) => RuntimeConfig.safeParse(v).data ?? null);
    const alerts = await settings.resolve("alerts", options.alerts, (v) => AlertConfig.safeParse(v).data ?? null);
    const snapshots = new SnapshotStore(options.dataDir);
    const rollups = new RollupStore(options.dataDir, { intervalMs: runtime.poll_interval_s * 1000 });
    const events = new EventStore(eventsDb as never);
    await Promise.all([snapshots.open(), rollups.open(), events.open()]);
    const states = await loadDetectorStates(settings);
    const devices = new DeviceStore(devicesDb as never);
    const hub = new ArgusHub(options, snapshots, rollups, events, settings, devices, runtime, alerts, states);
    hub.watchStores();
    hub.startTicking();
    hub.resumeAlerts();
    await hub.startApiDevices();
    hub.scheduleRetention();
    return hub;
  }

  get version(): string {
    return VERSION;
  }

  get uptimeS(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  /** The pipeline's entry: every snapshot of every device, polled by the server or by a flow node. */
  ingest(snapshot: Snapshot, latencyMs: number | null = null): void {
    if (this.closed) return;
    this.snapshots.append(snapshot);
    this.rollups.add(snapshot);
    this.registry.observe(snapshot);
    this.lastPollAt = snapshot.ts;
    const counts = this.pollCounts.get(snapshot.device_id) ?? { polls: 0, failures: 0 };
    counts.polls++;
    if (!snapshot.reachable) counts.failures++;
    this.pollCounts.set(snapshot.device_id, counts);
    const entry = this.registry.get(snapshot.device_id);
    this.diagnostics.set(snapshot.device_id, {
      device_id: snapshot.device_id,
      ok: snapshot.reachable,
      error: snapshot.error,
      latency_ms: latencyMs,
      polled_at: snapshot.ts,
      protocol: entry ? protocolOf(entry.device) : {},
    });
    this.publish(this.detectors.observe(snapshot));
  }

  /** Listens to every power event the server detects; returns the function that stops listening. */
  onEvent(listener: (event: PowerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Stores events, then tells listeners; the detector state is saved at once so a restart repeats nothing. */
  private publish(events: PowerEvent[]): void {
    if (events.length === 0) return;
    void this.saveDetectorState();
    for (const event of events) {
      this.alert(event);
      this.events
        .add(event)
        .catch((error: unknown) => this.options.log.error(`event store: ${(error as Error).message}`));
      for (const listener of this.eventListeners) {
        try {
          listener(event);
        } catch (error) {
          this.options.log.error(`event listener: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Sends what the alert configuration says this event deserves; delivery (with retries) runs on its own. */
  private alert(event: PowerEvent): void {
    this.dispatcher
      .handleEvent(this.alerts, event)
      .then((outcome) => {
        if (!outcome.alerted) return;
        for (const result of outcome.results.filter((r) => !r.ok)) {
          this.options.log.warn(`alert ${event.type} to ${result.provider} failed: ${result.error}`);
        }
      })
      .catch((error: unknown) => this.options.log.error(`alert: ${(error as Error).message}`));
  }

  /** Alerts that were pending when the server stopped are delivered now, once. */
  private resumeAlerts(): void {
    this.dispatcher
      .resume(this.alerts)
      .catch((error: unknown) => this.options.log.error(`alert outbox: ${(error as Error).message}`));
  }

  /** `POST /api/alerts/test`: one test message to every enabled provider, or to one by name. */
  sendTestAlert(provider?: string): Promise<TestOutcome> {
    return this.dispatcher.sendTest(this.alerts, provider);
  }

  /** The dispatcher, for argus-alert nodes that send through their server (one cooldown, no duplicates). */
  get alertDispatcher(): AlertDispatcher {
    return this.dispatcher;
  }

  private startTicking(): void {
    this.tickTimer = setInterval(() => this.publish(this.detectors.tick(Date.now())), TICK_EVERY_MS);
    this.tickTimer.unref();
  }

  private async saveDetectorState(): Promise<void> {
    await this.settings
      .put(DETECTOR_STATE_KEY, this.detectors.state())
      .catch((error: unknown) => this.options.log.error(`detector state: ${(error as Error).message}`));
  }

  /** A flow node's device; the returned function unregisters it (on redeploy or close). */
  registerFlowDevice(device: DeviceInput, pollNow: () => Promise<void>): () => void {
    const existing = this.registry.get(device.id);
    if (existing?.source === "api") {
      throw new Error(`device id "${device.id}" is already used by a device added through the API`);
    }
    const entry = this.registry.set(device, "flow", pollNow);
    return () => {
      if (this.registry.get(device.id) === entry) this.registry.delete(device.id);
    };
  }

  listDevices(): RegisteredDevice[] {
    return this.registry.all();
  }

  async addApiDevice(device: DeviceInput): Promise<void> {
    await this.apiDevices.put(device);
    this.startApiDevice(device);
  }

  async removeApiDevice(id: string): Promise<void> {
    await this.apiDevices.remove(id);
    this.stopApiDevice(id);
    this.registry.delete(id);
  }

  async replaceApiDevices(devices: DeviceInput[]): Promise<void> {
    await this.apiDevices.replaceAll(devices);
    for (const entry of this.registry.ofSource("api")) {
      this.stopApiDevice(entry.device.id);
      this.registry.delete(entry.device.id);
    }
    for (const device of devices) this.startApiDevice(device);
  }

  /** Polls every device (or one) now: API devices through their drivers, flow devices through their nodes. */
  trigger(deviceId?: string) {
    const targets = deviceId ? [this.registry.get(deviceId)].filter(Boolean) : this.registry.all();
    return this.scheduler.trigger(
      (targets as RegisteredDevice[]).map((entry) => async () => {
        const id = entry.device.id;
        if (entry.source === "flow") await entry.pollNow?.();
        else await this.scheduler.pollNow(id);
        return this.registry.get(id)?.online === true;
      }),
    );
  }

  diagnosticsList(): Diagnostic[] {
    return [...this.diagnostics.values()].sort((a, b) => a.device_id.localeCompare(b.device_id));
  }

  /** Polls and failed polls per device since the hub opened (the metrics' counters), copied. */
  pollCounters(): Map<string, PollCounts> {
    return new Map([...this.pollCounts].map(([id, counts]) => [id, { ...counts }]));
  }

  health() {
    const devices = this.registry.all();
    const online = devices.filter((entry) => entry.online === true).length;
    const offline = devices.filter((entry) => entry.online === false).length;
    const stats = this.snapshots.stats();
    const storeOk = stats.ok && this.rollups.stats().ok && !this.closed;
    return {
      status: storeOk && offline === 0 ? ("ok" as const) : ("degraded" as const),
      version: VERSION,
      uptime_s: this.uptimeS,
      devices: { total: devices.length, online, offline },
      last_poll_at: this.lastPollAt,
      store: { ok: storeOk, snapshots: stats.snapshots, events: this.events.size },
    };
  }

  onRuntimeChange(listener: (config: RuntimeConfig) => void): void {
    this.runtimeListeners.push(listener);
  }

  async setRuntimeConfig(config: RuntimeConfig): Promise<void> {
    const previous = this.runtime;
    this.runtime = config;
    await this.settings.put("runtime", config);
    for (const listener of this.runtimeListeners) listener(config);
    this.scheduler.setPaused(config.scheduler_paused);
    if (previous.retention_days !== config.retention_days || previous.max_snapshots !== config.max_snapshots) {
      await this.applyRetention();
    }
  }

  async setAlertConfig(config: AlertConfig): Promise<void> {
    this.alerts = config;
    this.detectors.configure(detectorSettingsFromAlertConfig(config));
    await this.settings.put("alerts", config);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.saveDetectorState();
    await this.dispatcher.close();
    this.scheduler.stop();
    for (const driver of this.drivers.values()) driver.close();
    this.drivers.clear();
    await Promise.all([this.snapshots.close(), this.rollups.close()]);
  }

  private async startApiDevices(): Promise<void> {
    for (const device of await this.apiDevices.all()) {
      if (this.registry.has(device.id)) continue;
      this.startApiDevice(device);
    }
    this.scheduler.setPaused(this.runtime.scheduler_paused);
  }

  private startApiDevice(device: DeviceInput): void {
    this.stopApiDevice(device.id);
    this.registry.set(device, "api");
    if (!device.enabled) return;
    let driver: DeviceDriver;
    try {
      driver = (this.options.createDriver ?? defaultDriverFactory)(device);
    } catch (error) {
      this.options.log.warn(`device ${device.id}: ${(error as Error).message}`);
      return;
    }
    this.drivers.set(device.id, driver);
    this.scheduler.add(
      {
        id: device.id,
        intervalS: device.poll_interval_s,
        poll: async () => {
          const started = performance.now();
          const snapshot = await driver.poll();
          this.ingest(snapshot, Math.round((performance.now() - started) * 1000) / 1000);
          return snapshot.reachable;
        },
      },
      this.runtime.poll_on_startup,
    );
  }

  private stopApiDevice(id: string): void {
    this.scheduler.remove(id);
    this.drivers.get(id)?.close();
    this.drivers.delete(id);
  }

  private watchStores(): void {
    const report = (what: string) => (error: unknown) =>
      this.options.log.error(`${what}: ${(error as { code?: string }).code ?? "write failed"}`);
    this.snapshots.on("error", report("snapshot store"));
    this.rollups.on("error", report("rollup store"));
  }

  private scheduleRetention(): void {
    void this.applyRetention();
    this.retentionTimer = setInterval(() => void this.applyRetention(), RETENTION_EVERY_MS);
    this.retentionTimer.unref();
  }

  private async applyRetention(): Promise<void> {
    const { retention_days, max_snapshots } = this.runtime;
    await Promise.all([
      this.snapshots.applyRetention({ retention_days, max_snapshots }),
      this.rollups.applyRetention({ retention_days }),
    ]).catch((error: unknown) => this.options.log.warn(`retention: ${(error as Error).message}`));
  }
}

/** Saved detector states; one that no longer parses starts that device afresh rather than failing the start. */
async function loadDetectorStates(settings: SettingsStore): Promise<Record<string, DetectorState>> {
  const stored = (await settings.get(DETECTOR_STATE_KEY))?.value;
  if (typeof stored !== "object" || stored === null) return {};
  const states: Record<string, DetectorState> = {};
  for (const [id, state] of Object.entries(stored)) {
    const parsed = DetectorState.safeParse(state);
    if (parsed.success) states[id] = parsed.data;
  }
  return states;
}

/** What a diagnostic shows of how a device is reached: never a secret. */
function protocolOf(device: DeviceInput): Record<string, string | number> {
  if (device.kind === "nut") {
    return { kind: "nut", host: device.nut.host, port: device.nut.port, ups: device.nut.ups, tls: device.nut.tls };
  }
  return { kind: "snmp", host: device.snmp.host, port: device.snmp.port, version: device.snmp.version };
}
