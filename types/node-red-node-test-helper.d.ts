/** The part of node-red-node-test-helper (which ships no types) that the tests use. */
declare module "node-red-node-test-helper" {
  import type { EventEmitter } from "node:events";

  export interface TestNode extends EventEmitter {
    id: string;
    type: string;
    credentials: Record<string, unknown>;
    receive(msg: object): void;
    [key: string]: unknown;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type NodeModule = (RED: any) => void;

  interface Helper {
    init(nodeRedRuntime: string, userSettings?: object): void;
    load(nodes: NodeModule | NodeModule[], flow: object[], credentials?: Record<string, object>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): TestNode;
    setFlows(flow: object[], type?: string, credentials?: Record<string, object>): Promise<void>;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    request(): any;
    settings(userSettings: object): void;
    log(): { args: unknown[][] };
  }

  const helper: Helper;
  export default helper;
}
