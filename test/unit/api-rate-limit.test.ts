import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/model/config-error";
import {
  FailedAttemptLimiter,
  SlidingWindowLimiter,
  parseRateLimitPerMinute,
  retryAfterSeconds,
} from "../../src/api/rate-limit";

describe("api SlidingWindowLimiter", () => {
  it("allows 60 per 60 s by default, then refuses with the seconds until the oldest hit leaves the window", () => {
    const limiter = new SlidingWindowLimiter();
    for (let i = 0; i < 60; i++) assert.deepEqual(limiter.hit("k", i * 500), { allowed: true });
    // Oldest hit at 0 leaves the window at 60 000; at 29 500 that is 30.5 s away: rounded up to 31.
    assert.deepEqual(limiter.hit("k", 29_500), { allowed: false, retryAfterS: 31 });
  });

  it("frees a slot exactly when the oldest hit slides out, and refused hits are not counted", () => {
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 60_000 });
    limiter.hit("k", 0);
    limiter.hit("k", 10_000);
    limiter.hit("k", 20_000);
    assert.deepEqual(limiter.hit("k", 30_000), { allowed: false, retryAfterS: 30 });
    assert.deepEqual(limiter.hit("k", 59_999), { allowed: false, retryAfterS: 1 }, "never 0 while refused");
    assert.deepEqual(limiter.hit("k", 60_000), { allowed: true }, "the hit at 0 has left the window");
    assert.deepEqual(limiter.hit("k", 60_001), { allowed: false, retryAfterS: 10 }, "next frees at 70 000");
    assert.deepEqual(limiter.hit("k", 70_000), { allowed: true });
  });

  it("counts keys separately", () => {
    const limiter = new SlidingWindowLimiter({ limit: 1 });
    assert.equal(limiter.hit("a", 0).allowed, true);
    assert.equal(limiter.hit("a", 1).allowed, false);
    assert.equal(limiter.hit("b", 1).allowed, true);
  });

  it("check does not count; record counts unconditionally", () => {
    const limiter = new SlidingWindowLimiter({ limit: 2 });
    assert.equal(limiter.check("k", 0).allowed, true);
    assert.equal(limiter.check("k", 0).allowed, true);
    limiter.record("k", 0);
    limiter.record("k", 1);
    assert.deepEqual(limiter.check("k", 2), { allowed: false, retryAfterS: 60 });
  });

  it("prunes keys whose window emptied", () => {
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 1000 });
    for (let i = 0; i < 100; i++) limiter.hit(`key-${i}`, 0);
    assert.equal(limiter.size, 100);
    limiter.hit("late", 5000);
    assert.equal(limiter.size, 1, "the sweep at the next window dropped every expired key");
  });

  it("caps the number of keys, forgetting the least recently used one", () => {
    const limiter = new SlidingWindowLimiter({ limit: 1, maxKeys: 3 });
    limiter.hit("a", 0);
    limiter.hit("b", 0);
    limiter.hit("c", 0);
    limiter.check("a", 1); // a check is not a use
    limiter.hit("d", 1);
    assert.equal(limiter.size, 3);
    assert.equal(limiter.hit("a", 2).allowed, true, "a was the least recently used and was forgotten");
    assert.equal(limiter.hit("c", 2).allowed, false, "c is still tracked");
  });

  it("refuses nonsense options", () => {
    assert.throws(() => new SlidingWindowLimiter({ limit: 0 }), RangeError);
    assert.throws(() => new SlidingWindowLimiter({ windowMs: 1.5 }), RangeError);
  });
});

describe("api retryAfterSeconds", () => {
  it("is ceil((oldest + window - now) / 1000), at least 1", () => {
    assert.equal(retryAfterSeconds(0, 60_000, 0), 60);
    assert.equal(retryAfterSeconds(0, 60_000, 1), 60);
    assert.equal(retryAfterSeconds(0, 60_000, 59_001), 1);
    assert.equal(retryAfterSeconds(0, 60_000, 60_000), 1);
    assert.equal(retryAfterSeconds(1000, 60_000, 0), 61);
  });
});

describe("api FailedAttemptLimiter", () => {
  it("counts failures only, per address, 10 a minute by default", () => {
    const failures = new FailedAttemptLimiter();
    for (let i = 0; i < 10; i++) {
      assert.equal(failures.check("203.0.113.5", i).allowed, true);
      failures.recordFailure("203.0.113.5", i);
    }
    assert.deepEqual(failures.check("203.0.113.5", 10), { allowed: false, retryAfterS: 60 });
    assert.equal(failures.check("203.0.113.6", 10).allowed, true, "another address is not affected");
    assert.equal(failures.check("203.0.113.5", 60_000).allowed, true, "the first failure left the window");
  });

  it("treats an IPv4-mapped address as the IPv4 address, and an IPv6 /64 as one client", () => {
    const failures = new FailedAttemptLimiter({ limit: 2 });
    failures.recordFailure("::ffff:198.51.100.7", 0);
    failures.recordFailure("198.51.100.7", 0);
    assert.equal(failures.check("198.51.100.7", 1).allowed, false);
    failures.recordFailure("2001:db8:1:2::1", 0);
    failures.recordFailure("2001:db8:1:2:ffff::9", 0);
    assert.equal(failures.check("2001:db8:1:2::abcd", 1).allowed, false, "same /64");
    assert.equal(failures.check("2001:db8:1:3::1", 1).allowed, true, "another /64");
  });
});

describe("api parseRateLimitPerMinute", () => {
  it("defaults to 60 and accepts whole numbers", () => {
    assert.equal(parseRateLimitPerMinute(undefined), 60);
    assert.equal(parseRateLimitPerMinute("  "), 60);
    assert.equal(parseRateLimitPerMinute("120"), 120);
    assert.equal(parseRateLimitPerMinute(5), 5);
  });

  for (const bad of ["0", "-1", "1.5", "abc", "100001"]) {
    it(`refuses ${JSON.stringify(bad)} with a ConfigError naming the field`, () => {
      assert.throws(
        () => parseRateLimitPerMinute(bad),
        (error: unknown) => error instanceof ConfigError && error.issues[0]?.path === "rate_limit_per_minute",
      );
    });
  }
});
