import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import { signWebhook, webhookSignatureHeaders, webhookSigningKey } from "../../src/alerts/signing";

describe("alerts Standard Webhooks signing", () => {
  it("reproduces the published Standard Webhooks test vector (whsec_ secret)", () => {
    const signature = signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    assert.equal(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("decodes the base64 after whsec_ as the key; uses any other secret as its UTF-8 bytes", () => {
    assert.deepEqual(webhookSigningKey("whsec_AAEC"), Buffer.from([0, 1, 2]));
    assert.deepEqual(webhookSigningKey("plain secret ü"), Buffer.from("plain secret ü", "utf8"));
    const expected = createHmac("sha256", "plain secret").update("id1.1700000000.{}").digest("base64");
    assert.equal(signWebhook("plain secret", "id1", 1700000000, "{}"), `v1,${expected}`);
  });

  it("signs id.timestamp.body, so a change of any of them changes the signature", () => {
    const base = signWebhook("s3cret-value", "id", 100, "{}");
    assert.notEqual(signWebhook("s3cret-value", "id2", 100, "{}"), base);
    assert.notEqual(signWebhook("s3cret-value", "id", 101, "{}"), base);
    assert.notEqual(signWebhook("s3cret-value", "id", 100, "{ }"), base);
  });

  it("gives the three headers", () => {
    const headers = webhookSignatureHeaders("s3cret-value", "evt-1", 1700000000, '{"a":1}');
    assert.deepEqual(Object.keys(headers).sort(), ["webhook-id", "webhook-signature", "webhook-timestamp"]);
    assert.equal(headers["webhook-id"], "evt-1");
    assert.equal(headers["webhook-timestamp"], "1700000000");
    assert.match(headers["webhook-signature"], /^v1,[A-Za-z0-9+/]{43}=$/);
  });
});
