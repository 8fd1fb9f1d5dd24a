/** The argus-server config node in a Node-RED runtime: settings that the editor's typed inputs read from env. */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argusServer from "../../src/nodes/argus-server";
import { helper } from "../support/node-red";
import { waitFor } from "../support/wait";

const KEY = "argus-server-node-test-key-0123456789ab";

describe("argus-server node", function () {
  this.timeout(20_000);
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), "argus-server-node-"))));
  afterEach(async () => {
    await helper.unload();
    delete process.env.ARGUS_TEST_RATE;
    delete process.env.ARGUS_TEST_ORIGINS;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("takes its rate limit and CORS origins from environment variables its typed inputs name", async () => {
    process.env.ARGUS_TEST_RATE = "2";
    process.env.ARGUS_TEST_ORIGINS = "https://dash.example";
    await helper.load(
      argusServer,
      [
        {
          id: "srv",
          type: "argus-server",
          dataDir,
          rateLimit: "ARGUS_TEST_RATE",
          rateLimitType: "env",
          allowedOrigins: "ARGUS_TEST_ORIGINS",
          allowedOriginsType: "env",
        },
      ],
      { srv: { apiKey: KEY } },
    );
    await waitFor(async () => (await helper.request().get("/api/health")).status === 200, { what: "server up" });
    const cors = await helper.request().get("/api/health").set("Origin", "https://dash.example");
    assert.equal(cors.headers["access-control-allow-origin"], "https://dash.example");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await helper.request().post("/api/trigger").set("X-Api-Key", KEY)).status);
    assert.deepEqual(statuses, [202, 202, 429]);
  });
});
