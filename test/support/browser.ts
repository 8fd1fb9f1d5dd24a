/**
 * Debian's Chromium driven by playwright-core (no browser download): one browser per test file, a page that
 * records console errors and uncaught page errors so a test can assert the editor stayed clean.
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-dev-shm-usage",
  "--disable-component-update",
  "--no-first-run",
];

export interface BrowserErrors {
  /** `console.error` messages, with their source location when known. */
  console: string[];
  /** Exceptions no page code caught. */
  page: string[];
  /** Requests that failed or answered 4xx/5xx, as "<status> <url>". */
  requests: string[];
}

export class TestBrowser {
  readonly errors: BrowserErrors = { console: [], page: [], requests: [] };

  private constructor(
    private readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async launch(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
    try {
      const context = await browser.newContext({ viewport, locale: "en-US" });
      // Everything stays on this machine: the palette manager's catalogue gets an empty list, anything else
      // outside 127.0.0.1 is refused (and would show up in `errors.requests`).
      await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) =>
        route.request().url().startsWith("https://catalogue.nodered.org/")
          ? route.fulfill({ json: { name: "offline", updated_at: new Date(0).toISOString(), modules: [] } })
          : route.abort("blockedbyclient"),
      );
      const page = await context.newPage();
      const test = new TestBrowser(browser, context, page);
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        const { url, lineNumber } = message.location();
        test.errors.console.push(url ? `${message.text()} (${url}:${lineNumber})` : message.text());
      });
      page.on("pageerror", (error) => test.errors.page.push(error.stack ?? error.message));
      page.on("requestfailed", (request) =>
        test.errors.requests.push(`failed ${request.url()} ${request.failure()?.errorText ?? ""}`),
      );
      page.on("response", (response) => {
        if (response.status() >= 400) test.errors.requests.push(`${response.status()} ${response.url()}`);
      });
      return test;
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  /** Forgets the errors seen so far (e.g. after a step that is expected to log some). */
  clearErrors(): void {
    this.errors.console.length = 0;
    this.errors.page.length = 0;
    this.errors.requests.length = 0;
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
