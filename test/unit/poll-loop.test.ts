import { strict as assert } from "node:assert";
import * as sinon from "sinon";
import { PollLoop } from "../../src/engine/poll-loop";

describe("PollLoop", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers()));
  afterEach(() => clock.restore());

  it("polls at once, then every interval", async () => {
    let polls = 0;
    const loop = new PollLoop(async () => void polls++, 1000);
    loop.start();
    await clock.tickAsync(0);
    assert.equal(polls, 1);
    await clock.tickAsync(3000);
    assert.equal(polls, 4);
    loop.stop();
    await clock.tickAsync(5000);
    assert.equal(polls, 4, "no poll after stop");
  });

  it("never overlaps polls: a slow poll delays the next one", async () => {
    let active = 0;
    let maxActive = 0;
    let polls = 0;
    const loop = new PollLoop(async () => {
      active++;
      polls++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      active--;
    }, 1000);
    loop.start();
    await clock.tickAsync(10_000);
    loop.stop();
    assert.equal(maxActive, 1);
    assert.equal(polls, 3, "2.5 s poll + 1 s pause: polls at 0, 3.5 s and 7 s");
  });

  it("joins a poll under way when asked to poll now, and counts the next interval from then", async () => {
    let polls = 0;
    let release: () => void = () => undefined;
    const loop = new PollLoop(() => {
      polls++;
      return new Promise<void>((resolve) => (release = resolve));
    }, 1000);
    loop.start();
    const joined = loop.pollNow();
    assert.equal(polls, 1);
    release();
    await joined;
    await clock.tickAsync(999);
    assert.equal(polls, 1);
    await clock.tickAsync(1);
    assert.equal(polls, 2);
    loop.stop();
  });

  it("keeps polling after a poll throws", async () => {
    let polls = 0;
    const loop = new PollLoop(async () => {
      polls++;
      throw new Error("boom");
    }, 1000);
    loop.start();
    await clock.tickAsync(2000);
    loop.stop();
    assert.equal(polls, 3);
  });
});
