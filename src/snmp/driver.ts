/** A UPS or PDU over SNMP as a DeviceDriver: the shared session of its agent, its profile, its reader. */
import type { Varbind } from "net-snmp";
import type { DeviceDriver } from "../engine/driver";
import type { SnmpSettings } from "../model/snmp-settings";
import { unreachableSnapshot, type Snapshot } from "../model/snapshot";
import { detectProfile } from "./detect";
import { fromNetSnmp, type SnmpError } from "./errors";
import { snmpSessions, type SnmpSessionPool } from "./pool";
import { PROFILES, type MibProfile, type ProfileId } from "./profiles";
import { ScalarReader, walkColumn } from "./reader";
import type { SnmpSession } from "./session";
import { snapshotFromSnmp, type SnmpSnapshotResult, type SnmpWarning } from "./snapshot";
import { decode } from "./values";

export interface SnmpDriverOptions {
  nominalPowerW?: number | null;
  pool?: SnmpSessionPool;
}

/** What the editor's "test connection" button shows. */
export interface ConnectionTest {
  profile: ProfileId;
  profile_label: string;
  /** True when `auto` found the profile; false when it was set, or when UPS-MIB is only the fallback. */
  detected: boolean;
  sys_object_id: string | null;
  manufacturer: string | null;
  model: string | null;
  latency_ms: number;
  snapshot: Snapshot;
  warnings: SnmpWarning[];
}

export class SnmpDriver implements DeviceDriver {
  private readonly pool: SnmpSessionPool;
  private readonly session: SnmpSession;
  private readonly reader: ScalarReader;
  private profile: MibProfile | null;
  private detected = false;
  private sysObjectId: string | null = null;
  private lastWarnings: SnmpWarning[] = [];

  constructor(
    readonly deviceId: string,
    readonly settings: SnmpSettings,
    private readonly options: SnmpDriverOptions = {},
  ) {
    this.pool = options.pool ?? snmpSessions;
    const { profile, ...target } = settings;
    this.session = this.pool.acquire(target);
    this.reader = new ScalarReader(this.session);
    this.profile = profile === "auto" ? null : PROFILES[profile];
  }

  /** A snapshot, reachable or not; never throws. */
  async poll(): Promise<Snapshot> {
    const ts = new Date();
    try {
      const { snapshot, warnings } = await this.read(ts);
      this.lastWarnings = warnings;
      return snapshot;
    } catch (error) {
      const snmpError = fromNetSnmp(error);
      return unreachableSnapshot(this.deviceId, ts, { code: snmpError.code, message: snmpError.message });
    }
  }

  /** Detects (when `auto`), polls once and says what it found; throws SnmpError when the agent cannot be read. */
  async testConnection(): Promise<ConnectionTest> {
    const started = performance.now();
    const { snapshot, warnings } = await this.read(new Date());
    const profile = this.profile as MibProfile;
    return {
      profile: profile.id,
      profile_label: profile.label,
      detected: this.detected,
      sys_object_id: this.sysObjectId,
      manufacturer: this.identity(profile, snapshot, "manufacturer"),
      model: this.identity(profile, snapshot, "model"),
      latency_ms: Math.round((performance.now() - started) * 10) / 10,
      snapshot,
      warnings,
    };
  }

  /** The profile in use: the configured one, or what `auto` detected (null before the first good poll). */
  get profileId(): ProfileId | null {
    return this.profile?.id ?? null;
  }

  /** What the last good poll found suspicious: values of the wrong type, OIDs the agent answered with an error. */
  get warnings(): readonly SnmpWarning[] {
    return this.lastWarnings;
  }

  /** OIDs a v1 agent said it lacks, currently left out of the GET. */
  get absentOids(): readonly string[] {
    return this.reader.absent;
  }

  close(): void {
    this.pool.release(this.session);
  }

  private async read(ts: Date): Promise<SnmpSnapshotResult> {
    const profile = await this.ensureProfile();
    const reading = await this.reader.read(scalarOids(profile));
    const alarms = await this.readAlarms(profile, reading.varbinds);
    const result = snapshotFromSnmp(this.deviceId, profile, { scalars: reading.varbinds, alarms }, ts, {
      nominalPowerW: this.options.nominalPowerW,
    });
    result.warnings.push(...reading.agentErrors.map((error) => agentWarning(profile, error)));
    return result;
  }

  /** Detection runs until it succeeds once; a set profile skips it. */
  private async ensureProfile(): Promise<MibProfile> {
    if (this.profile) return this.profile;
    const detection = await detectProfile(this.reader);
    this.profile = detection.profile;
    this.detected = detection.confirmed;
    this.sysObjectId = detection.sysObjectId;
    return detection.profile;
  }

  /** The alarm column, walked only when the count says alarms are present (or the agent does not count them). */
  private async readAlarms(profile: MibProfile, scalars: Map<string, Varbind>): Promise<Map<string, string>> {
    const table = profile.alarms;
    if (!table) return new Map();
    const countDef = profile.scalars.find((def) => def.name === table.countName);
    const count = countDef ? decode(countDef.kind, scalars.get(countDef.oid)) : { state: "missing" as const };
    if (count.state === "ok" && count.value === 0) return new Map();
    const rows = await walkColumn(this.session, this.settings.version, table.descrColumn);
    const alarms = new Map<string, string>();
    for (const [index, varbind] of rows) {
      const type = decode("oid", varbind);
      if (type.state === "ok") alarms.set(index, type.text);
    }
    return alarms;
  }

  private identity(profile: MibProfile, snapshot: Snapshot, what: "manufacturer" | "model"): string | null {
    const oid = what === "model" ? profile.modelOid : profile.manufacturerOid;
    const name = profile.scalars.find((def) => def.oid === oid)?.name;
    const value = name ? snapshot.vars[name] : undefined;
    if (value) return value;
    return what === "manufacturer" ? (profile.manufacturer ?? null) : null;
  }
}

const OIDS = new WeakMap<MibProfile, readonly string[]>();

/** The OIDs one poll GETs, listed once per profile rather than on every poll. */
function scalarOids(profile: MibProfile): readonly string[] {
  let oids = OIDS.get(profile);
  if (!oids) {
    oids = profile.scalars.map((def) => def.oid);
    OIDS.set(profile, oids);
  }
  return oids;
}

function agentWarning(profile: MibProfile, error: SnmpError): SnmpWarning {
  const oid = error.oid ?? "";
  const name = profile.scalars.find((def) => def.oid === oid)?.name ?? oid;
  return { code: "AGENT-ERROR", oid, name, message: `${name}: ${error.message}; not used` };
}
