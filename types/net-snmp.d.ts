/** The part of npm `net-snmp` (which ships no types) that Argus and its tests use: sessions, and the agent. */
declare module "net-snmp" {
  import type { Socket } from "node:dgram";
  import type { EventEmitter } from "node:events";

  export const Version1: 0;
  export const Version2c: 1;
  export const Version3: 3;

  export const ObjectType: {
    Boolean: 1;
    Integer: 2;
    OctetString: 4;
    Null: 5;
    OID: 6;
    IpAddress: 64;
    Counter: 65;
    Gauge: 66;
    TimeTicks: 67;
    Opaque: 68;
    Counter64: 70;
    NoSuchObject: 128;
    NoSuchInstance: 129;
    EndOfMibView: 130;
    [name: string]: number;
  };

  export const ErrorStatus: {
    NoError: 0;
    TooBig: 1;
    NoSuchName: 2;
    BadValue: 3;
    ReadOnly: 4;
    GeneralError: 5;
    [name: string]: number;
  } & Record<number, string>;

  export const SecurityLevel: { noAuthNoPriv: 1; authNoPriv: 2; authPriv: 3 };
  export const AuthProtocols: {
    none: 1;
    md5: 2;
    sha: 3;
    sha224: 4;
    sha256: 5;
    sha384: 6;
    sha512: 7;
  };
  export const PrivProtocols: { none: 1; des: 2; aes: 4; aes256b: 6; aes256r: 8 };
  export const ResponseInvalidCode: { ECouldNotDecrypt: 4; EAuthFailure: 5; [name: string]: number };
  export const MibProviderType: { Scalar: 1; Table: 2 };
  export const MaxAccess: { "read-only": 2; "read-write": 3; [name: string]: number };

  export interface Varbind {
    oid: string;
    type: number;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    value: any;
  }

  export class RequestFailedError extends Error {
    status: number;
  }
  export class RequestTimedOutError extends Error {}
  export class ResponseInvalidError extends Error {
    code: number;
  }
  export class RequestInvalidError extends Error {}

  export interface SessionOptions {
    port?: number;
    version?: number;
    timeout?: number;
    retries?: number;
    backoff?: number;
    transport?: "udp4" | "udp6";
    context?: string;
    idBitsSize?: 16 | 32;
  }

  export interface V3User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  export type ResponseCallback = (error: Error | null, varbinds?: Varbind[]) => void;

  export interface Session extends EventEmitter {
    readonly dgram: Socket;
    get(oids: string[], callback: ResponseCallback): Session;
    getNext(oids: string[], callback: ResponseCallback): Session;
    getBulk(
      oids: string[],
      nonRepeaters: number,
      maxRepetitions: number,
      callback: (error: Error | null, varbinds?: Varbind[][]) => void,
    ): Session;
    close(): Session;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: V3User, options?: SessionOptions): Session;
  export function isVarbindError(varbind: Varbind): boolean;

  // ----- the agent (tests and benchmarks only) -----

  export interface MibRequestResult {
    errorStatus: number;
    type?: number;
    value?: unknown;
  }

  export interface MibRequest {
    oid: string;
    done(result?: MibRequestResult): void;
  }

  export interface MibProvider {
    name: string;
    type: number;
    oid: string;
    scalarType?: number;
    maxAccess?: number;
    handler?: (request: MibRequest) => void;
  }

  export interface Mib {
    registerProvider(provider: MibProvider): void;
    setScalarValue(name: string, value: unknown): void;
    getScalarValue(name: string): unknown;
  }

  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: V3User): void;
  }

  export interface AgentOptions {
    port?: number;
    address?: string;
    transport?: "udp4" | "udp6";
    disableAuthorization?: boolean;
    engineID?: string;
  }

  export interface Agent {
    getMib(): Mib;
    getAuthorizer(): Authorizer;
    registerProvider(provider: MibProvider): void;
    close(callback?: () => void): void;
  }

  export function createAgent(options: AgentOptions, callback: (error: Error | null) => void): Agent;
}
