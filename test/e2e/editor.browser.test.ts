/**
 * The editor in a real browser (Debian's Chromium via playwright-core) against a real Node-RED with this package
 * and a real upsd: the palette and its icons, every edit dialog, the validation marks, the UPS discovery button,
 * every example under examples/ imported and deployed, and the README's screenshots.
 */
import { strict as assert } from "node:assert";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { TestBrowser } from "../support/browser";
import { NodeRedProcess } from "../support/node-red-process";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { freePort, waitFor } from "../support/wait";

// The editor's globals, as seen from inside page.evaluate callbacks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const RED: any;

const ROOT = resolve(__dirname, "../..");
const MODULE = "node-red-contrib-argus";
/**
 * The README's pictures are refreshed on request (`UPDATE_SCREENSHOTS=1 npm test`); otherwise they go to a
 * gitignored folder, so a test run leaves the work tree as it found it.
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, "docs", "screenshots")
  : join(ROOT, "bench", "results", "screenshots");
const KEY = "argus-editor-test-key-0123456789abcdef";
const FLOW_NODES = ["argus-nut", "argus-snmp", "argus-events", "argus-alert"];
const ALL_NODES = [...FLOW_NODES, "argus-server"];

/** Lines Node-RED logged at error level. */
const errorLines = (log: string): string[] => log.split("\n").filter((line) => /\[error\]/i.test(line));

describe("the editor in Chromium", function () {
  this.timeout(120_000);
  let upsd: Upsd;
  let red: NodeRedProcess;
  let userDir: string;
  let browser: TestBrowser;
  let page: Page;

  /** Adds nodes to the open workspace the way an import does, and returns their ids. */
  const addNodes = (nodes: object[]): Promise<string[]> =>
    page.evaluate((list) => {
      const z = RED.workspaces.active();
      RED.view.importNodes(
        list.map((node) => ({ z, ...node })),
        { generateIds: false },
      );
      RED.nodes.dirty(false);
      return list.map((node) => (node as { id: string }).id) as string[];
    }, nodes);

  const openEditor = async (id: string): Promise<void> => {
    await page.evaluate((nodeId) => RED.editor.edit(RED.nodes.node(nodeId)), id);
    await page.locator("#node-dialog-ok").waitFor({ state: "visible", timeout: 10_000 });
  };

  const closeEditor = async (): Promise<void> => {
    await page.locator("#node-dialog-cancel").click();
    await page.locator(".red-ui-tray").first().waitFor({ state: "detached", timeout: 10_000 });
  };

  const openServerEditor = async (id: string): Promise<void> => {
    await page.evaluate((nodeId) => RED.editor.editConfig("", "argus-server", nodeId), id);
    await page.locator("#node-config-dialog-ok").waitFor({ state: "visible", timeout: 10_000 });
  };

  const closeServerEditor = async (): Promise<void> => {
    await page.locator("#node-config-dialog-cancel").click();
    await page.locator(".red-ui-tray").first().waitFor({ state: "detached", timeout: 10_000 });
  };

  const loadEditor = async (): Promise<void> => {
    await page.goto(red.url, { waitUntil: "domcontentloaded" });
    await page
      .locator('.red-ui-palette-node[data-palette-type="argus-nut"]')
      .waitFor({ state: "visible", timeout: 30_000 });
    // A fresh Node-RED asks once whether to enable update notifications; answer as a user would.
    if ((await page.evaluate(() => RED.settings.telemetryEnabled)) === undefined) {
      await page.getByText("No, do not enable notifications").click({ timeout: 30_000 });
    }
    await page.waitForFunction(() => RED.workspaces.active() !== 0 && !!RED.workspaces.active(), undefined, {
      timeout: 10_000,
    });
  };

  /** A typed input (a value, or an environment variable's name) hides its element behind a container beside it. */
  const isTypedInput = (selector: string): Promise<boolean> =>
    page.locator(selector).evaluate((element) => element.classList.contains("red-ui-typedInput"));

  /** Types a value and leaves the field, so the editor's change handler validates it. */
  const typeInto = async (selector: string, value: string): Promise<void> => {
    const typed = await isTypedInput(selector);
    const field = page.locator(
      typed ? `${selector} + .red-ui-typedInput-container input.red-ui-typedInput-input` : selector,
    );
    await field.fill(value);
    await field.press("Tab");
  };

  /** Node-RED marks a typed input's container, a plain field itself. */
  const markedInvalid = async (selector: string): Promise<boolean> => {
    const marked = (await isTypedInput(selector)) ? `${selector} + .red-ui-typedInput-container` : selector;
    return page.locator(marked).evaluate((element) => element.classList.contains("input-error"));
  };

  before(async () => {
    upsd = await Upsd.start({
      upses: [
        { name: "rack", desc: "Rack UPS", vars: SAMPLE_UPS_VARS },
        { name: "desk", desc: "Desk UPS", vars: SAMPLE_UPS_VARS },
      ],
    });
    // The dashboard example needs @flowfuse/node-red-dashboard in the user directory, as a user installs it.
    userDir = await mkdtemp(join(tmpdir(), "argus-editor-"));
    const dashboard = dirname(require.resolve("@flowfuse/node-red-dashboard/package.json"));
    await mkdir(join(userDir, "node_modules", "@flowfuse"), { recursive: true });
    await symlink(dashboard, join(userDir, "node_modules", "@flowfuse", "node-red-dashboard"), "dir");
    const port = await freePort();
    // The environment the examples' comment nodes ask for.
    red = await NodeRedProcess.start({
      userDir,
      port,
      install: "packed",
      env: {
        API_KEY: KEY,
        ARGUS_URL: `http://127.0.0.1:${port}`,
        NUT_HOST: upsd.host,
        NUT_PORT: String(upsd.port),
        NUT_UPS_NAME: "rack",
        SNMP_HOST: "127.0.0.1",
        GOTIFY_URL: "https://gotify.example.com",
        GOTIFY_TOKEN: "gotify-app-token",
        NTFY_URL: "https://ntfy.example.com",
        NTFY_TOPIC: "ups-alerts",
        NTFY_TOKEN: "",
        HA_WEBHOOK_URL: "https://homeassistant.example.com/api/webhook/ups-on-battery",
      },
    });
    browser = await TestBrowser.launch();
    page = browser.page;
    await loadEditor();
  });

  after(async () => {
    await browser?.close();
    await red?.dispose();
    if (userDir) await rm(userDir, { recursive: true, force: true });
    await upsd?.stop();
  });

  it("shows the four flow nodes in the argus palette category and registers argus-server as a config node", async () => {
    const installed = await lstat(join(userDir, "node_modules", "node-red-contrib-argus"));
    assert.equal(installed.isSymbolicLink(), false, "the packed package, not the work tree");
    for (const type of FLOW_NODES) {
      const node = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor({ state: "visible", timeout: 10_000 });
      const category = await node.evaluate((element) => element.closest(".red-ui-palette-category")?.id ?? "");
      assert.equal(category, "red-ui-palette-container-argus", `${type} is in the argus category`);
    }
    const kinds = await page.evaluate(
      (types) => types.map((type) => [type, RED.nodes.getType(type)?.category ?? null]),
      ALL_NODES,
    );
    assert.deepEqual(Object.fromEntries(kinds), {
      "argus-nut": "argus",
      "argus-snmp": "argus",
      "argus-events": "argus",
      "argus-alert": "argus",
      "argus-server": "config",
    });
    assert.deepEqual(browser.errors.page, []);
    assert.deepEqual(browser.errors.console, []);
  });

  it("loads every palette icon (no broken image)", async () => {
    for (const type of FLOW_NODES) {
      const image = await page
        .locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-icon`)
        .evaluate((element) => getComputedStyle(element).backgroundImage);
      const url = /url\("?([^")]+)"?\)/.exec(image)?.[1];
      assert.ok(url, `${type} has an icon: ${image}`);
      assert.match(url, new RegExp(`/icons/${MODULE}/argus-[a-z]+\\.svg$`), `${type} uses its own icon`);
      const response = await fetch(url);
      assert.equal(response.status, 200, `${url} answers 200`);
      assert.match(response.headers.get("content-type") ?? "", /svg/);
      assert.match(await response.text(), /<svg[\s>]/);
    }
  });

  it("opens every edit dialog with no console error", async () => {
    browser.clearErrors();
    const server = `srv${Date.now().toString(16)}`;
    await page.evaluate((id) => {
      RED.nodes.import([{ id, type: "argus-server", name: "Argus" }]);
    }, server);
    const ids = await addNodes(
      FLOW_NODES.map((type, index) => ({ id: `dialog-${type}`, type, x: 200, y: 80 + 60 * index, server })),
    );
    for (const id of ids) {
      await openEditor(id);
      await page.locator("#node-input-name").waitFor({ state: "visible" });
      // Every data-i18n label resolved: no raw "argus-xxx.label.yyy" key left in the dialog.
      const text = await page.locator(".red-ui-tray").first().innerText();
      assert.doesNotMatch(text, /argus-[a-z]+\.[a-z]+\.[A-Za-z_]+/, `${id}: untranslated key in ${text}`);
      await closeEditor();
    }
    await openServerEditor(server);
    await page.locator("#node-config-input-apiKey").waitFor({ state: "visible" });
    const text = await page.locator(".red-ui-tray").first().innerText();
    assert.doesNotMatch(text, /argus-server\.[a-z]+\.[A-Za-z_]+/);
    await closeServerEditor();
    assert.deepEqual(browser.errors.page, []);
    assert.deepEqual(browser.errors.console, []);
  });

  it("marks a port out of range, a short server key and an http:// alert URL as invalid", async () => {
    const [nut] = await addNodes([{ id: "invalid-nut", type: "argus-nut", x: 500, y: 80 }]);
    await openEditor(nut ?? "");
    await typeInto("#node-input-port", "70000");
    await waitFor(() => markedInvalid("#node-input-port"), { what: "port 70000 marked" });
    await typeInto("#node-input-port", "3493");
    await waitFor(async () => !(await markedInvalid("#node-input-port")), { what: "port 3493 accepted" });
    await closeEditor();

    const [snmp] = await addNodes([{ id: "invalid-snmp", type: "argus-snmp", host: "ups-card", x: 500, y: 140 }]);
    await openEditor(snmp ?? "");
    await typeInto("#node-input-port", "0");
    await waitFor(() => markedInvalid("#node-input-port"), { what: "SNMP port 0 marked" });
    await closeEditor();

    const server = "invalid-server";
    await page.evaluate((id) => RED.nodes.import([{ id, type: "argus-server", name: "short key" }]), server);
    await openServerEditor(server);
    await typeInto("#node-config-input-apiKey", "only-twenty-chars-xx");
    await waitFor(() => markedInvalid("#node-config-input-apiKey"), { what: "short key marked" });
    const reason = await page.evaluate((id) => {
      const validate = RED.nodes.getType("argus-server").credentials.apiKey.validate;
      return validate.call(RED.nodes.node(id), "only-twenty-chars-xx", {});
    }, server);
    assert.equal(
      reason,
      "The API key must be at least 32 characters long (or ${API_KEY}, or empty for the environment variable)",
    );
    await typeInto("#node-config-input-apiKey", KEY);
    await waitFor(async () => !(await markedInvalid("#node-config-input-apiKey")), { what: "long key accepted" });
    await typeInto("#node-config-input-apiKey", "${API_KEY}");
    await waitFor(async () => !(await markedInvalid("#node-config-input-apiKey")), { what: "${API_KEY} accepted" });
    await closeServerEditor();

    const [alert] = await addNodes([
      { id: "invalid-alert", type: "argus-alert", providerType: "gotify", x: 500, y: 200 },
    ]);
    await openEditor(alert ?? "");
    await page.locator("#node-input-url").waitFor({ state: "visible" });
    await typeInto("#node-input-url", "http://gotify.example.com");
    await waitFor(() => markedInvalid("#node-input-url"), { what: "http:// URL marked" });
    await typeInto("#node-input-url", "https://gotify.example.com");
    await waitFor(async () => !(await markedInvalid("#node-input-url")), { what: "https:// URL accepted" });
    await closeEditor();
    assert.deepEqual(browser.errors.page, []);
  });

  it("lists the UPSes of the real upsd with the discovery button, and says why it cannot", async () => {
    const [nut] = await addNodes([{ id: "discover-nut", type: "argus-nut", x: 700, y: 80 }]);
    await openEditor(nut ?? "");
    await typeInto("#node-input-host", upsd.host);
    await typeInto("#node-input-port", String(upsd.port));
    await page.locator("#node-input-argus-nut-discover").click();
    const list = page.locator("#node-input-argus-nut-upslist");
    await waitFor(async () => (await page.locator(".argus-ups-choice").count()) === 2, {
      timeoutMs: 10_000,
      what: "two UPSes listed",
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}; the list says: ${await list.innerText()}`);
    });
    const choices = await page.locator(".argus-ups-choice").allInnerTexts();
    assert.deepEqual(choices.sort(), ["desk (Desk UPS)", "rack (Rack UPS)"]);
    await page.locator('.argus-ups-choice[data-ups="rack"]').click();
    assert.equal(await page.locator("#node-input-ups").inputValue(), "rack");

    // Nothing listens on a just-freed port: the reason in words, not a bare status code.
    await typeInto("#node-input-port", String(await freePort()));
    await page.locator("#node-input-argus-nut-discover").click();
    await waitFor(async () => /could not list: \S+/.test(await list.innerText()), { what: "discovery failure" });
    const failure = await list.innerText();
    assert.doesNotMatch(failure, /could not list: (error|Bad Gateway)$/, failure);
    await closeEditor();
    assert.deepEqual(browser.errors.page, []);
  });

  it("imports and deploys every example with no error in the runtime log", async () => {
    const files = (await readdir(join(ROOT, "examples"))).filter((file) => file.endsWith(".json")).sort();
    assert.ok(files.length >= 7, `examples: ${files.join(", ")}`);
    const used = new Set<string>();
    for (const file of files) {
      const name = file.replace(/\.json$/, "");
      // As Import > Examples fetches it.
      const served = await fetch(`${red.url}/library/examples/flows/${MODULE}/${encodeURIComponent(name)}`);
      assert.equal(served.status, 200, `${name} is served under Import > Examples`);
      const flow = (await served.json()) as { id: string; type: string; credentials?: object }[];
      assert.deepEqual(flow, JSON.parse(await readFile(join(ROOT, "examples", file), "utf8")));
      for (const node of flow) used.add(node.type);
      assert.equal(
        JSON.stringify(flow).match(/"(token|password|apiKey|url|secret)":\s*"(?!\$\{\w+\}")[^"]+"/)?.[0],
        undefined,
        `${name}: credentials only as \${ENV}`,
      );

      const imported = await page.evaluate((nodes) => {
        RED.nodes.clear();
        RED.view.importNodes(nodes, { addFlow: true });
        const unknown = nodes.filter((node) => node.type !== "tab" && !RED.nodes.getType(node.type));
        const invalid: string[] = [];
        RED.nodes.eachNode((node: { valid: boolean; type: string; id: string }) => {
          if (!node.valid) invalid.push(`${node.type} ${node.id}`);
        });
        RED.nodes.eachConfig((node: { valid: boolean; type: string; id: string }) => {
          if (node.valid === false) invalid.push(`${node.type} ${node.id}`);
        });
        return {
          unknown: unknown.map((node) => node.type),
          invalid,
          flows: RED.nodes.createCompleteNodeSet({ credentials: true }) as object[],
        };
      }, flow);
      assert.deepEqual(imported.unknown, [], `${name}: unknown node types`);
      assert.deepEqual(imported.invalid, [], `${name}: nodes marked invalid after import`);

      const before = red.log.length;
      await red.deploy(imported.flows);
      // Errors of the start itself, and of what the nodes did until the next deploy stops them.
      if (name.startsWith("06-")) await checkDashboard();
      const next = files[files.indexOf(file) + 1];
      if (!next) await red.deploy([{ id: "empty", type: "tab", label: "empty" }]);
      const logged = red.log.slice(before);
      assert.deepEqual(errorLines(logged), [], `${name} deployed with errors:\n${logged}`);
    }
    for (const type of FLOW_NODES) assert.ok(used.has(type), `an example uses ${type}`);
    assert.ok(used.has("argus-server"), "an example uses argus-server");
    browser.clearErrors();
    await loadEditor();
  });

  /** The dashboard example's page: the gauges show the real UPS's charge from the Argus API. */
  async function checkDashboard(): Promise<void> {
    const dashboard = await browser.context.newPage();
    try {
      await dashboard.goto(`${red.url}/dashboard/ups`, { waitUntil: "domcontentloaded" });
      await dashboard.getByText("Battery charge").first().waitFor({ state: "visible", timeout: 30_000 });
      await dashboard.getByText("Power events").first().waitFor({ state: "visible", timeout: 30_000 });
      // The real UPS's load (23 %) and runtime (1800 s = 30 min), read through the Argus API.
      await dashboard.getByText("23", { exact: true }).first().waitFor({ state: "visible", timeout: 30_000 });
      await dashboard.getByText("30", { exact: true }).first().waitFor({ state: "visible", timeout: 30_000 });
      await mkdir(SCREENSHOTS, { recursive: true });
      await dashboard.screenshot({ path: join(SCREENSHOTS, "dashboard.png") });
    } finally {
      await dashboard.close();
    }
  }

  it("saves the README screenshots: a flow, an edit dialog and the help sidebar", async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    await red.deploy([
      { id: "shots", type: "tab", label: "UPS power" },
      { id: "shots-srv", type: "argus-server", name: "Argus", credentials: { apiKey: KEY } },
      {
        id: "shots-inject",
        z: "shots",
        type: "inject",
        name: "poll now",
        props: [{ p: "payload" }],
        repeat: "",
        crontab: "",
        once: false,
        onceDelay: 0.1,
        topic: "",
        payload: "",
        payloadType: "date",
        x: 120,
        y: 80,
        wires: [["shots-nut"]],
      },
      {
        id: "shots-nut",
        z: "shots",
        type: "argus-nut",
        name: "Rack UPS",
        server: "shots-srv",
        host: upsd.host,
        port: String(upsd.port),
        ups: "rack",
        interval: "5",
        tls: "off",
        output: "always",
        nominalPower: "",
        x: 300,
        y: 80,
        wires: [["shots-events", "shots-debug"]],
      },
      {
        id: "shots-events",
        z: "shots",
        type: "argus-events",
        name: "",
        mode: "detect",
        device: "",
        types: "",
        minSeverity: "",
        failureThreshold: "3",
        onBatteryDelay: "0",
        replbattRepeat: "43200",
        chargeLow: "",
        runtimeLow: "",
        x: 500,
        y: 80,
        wires: [["shots-alert"]],
      },
      {
        id: "shots-alert",
        z: "shots",
        type: "argus-alert",
        name: "Gotify",
        source: "own",
        providerType: "gotify",
        topic: "",
        priority: "8",
        cooldown: "300",
        credentials: { url: "https://gotify.example.com", token: "app-token" },
        x: 690,
        y: 80,
        wires: [[]],
      },
      {
        id: "shots-debug",
        z: "shots",
        type: "debug",
        name: "snapshot",
        active: true,
        tosidebar: true,
        console: false,
        tostatus: false,
        complete: "payload",
        targetType: "msg",
        x: 510,
        y: 140,
        wires: [],
      },
    ]);
    await loadEditor();
    await page.waitForFunction(() => RED.nodes.node("shots-nut")?.status?.fill === "green", undefined, {
      timeout: 30_000,
    });
    const invalid = await page.evaluate(() => {
      const found: string[] = [];
      RED.nodes.eachNode((node: { valid: boolean; id: string }) => {
        if (!node.valid) found.push(node.id);
      });
      return found;
    });
    assert.deepEqual(invalid, [], "nodes marked invalid in the screenshot flow");
    const chart = page.locator("#red-ui-workspace-chart");
    const box = await chart.boundingBox();
    assert.ok(box);
    await page.screenshot({
      path: join(SCREENSHOTS, "flow.png"),
      clip: { x: box.x, y: box.y, width: Math.min(box.width, 860), height: 220 },
    });

    await openEditor("shots-nut");
    await page
      .locator(".red-ui-tray")
      .first()
      .screenshot({ path: join(SCREENSHOTS, "edit-dialog.png") });
    await closeEditor();

    await page.evaluate(() => RED.sidebar.help.show("argus-nut"));
    const help = page.locator("#red-ui-sidebar");
    await help.getByText("Inputs").first().waitFor({ state: "visible", timeout: 10_000 });
    await help.screenshot({ path: join(SCREENSHOTS, "help-sidebar.png") });

    for (const file of ["flow.png", "edit-dialog.png", "help-sidebar.png", "dashboard.png"]) {
      const png = await readFile(join(SCREENSHOTS, file));
      assert.equal(png.subarray(1, 4).toString(), "PNG", file);
      assert.ok(png.length > 5_000 && png.length < 400_000, `${file}: ${png.length} bytes`);
    }
    assert.deepEqual(browser.errors.page, []);
    assert.deepEqual(browser.errors.console, []);
  });
});
