import { strict as assert } from "node:assert";
import { CLIENT_ERROR_CODES, NutError, SERVER_ERROR_CODES, serverError, socketError } from "../../src/nut/errors";
import { formatCommand, quote, splitWords } from "../../src/nut/protocol";
import { parseCmdList, parseUpsList, parseVarLine, parseVarList } from "../../src/nut/replies";

describe("NUT protocol text", () => {
  describe("quoting", () => {
    it("escapes backslash, double quote and hash inside quotes", () => {
      assert.equal(quote('a "b" \\c #d'), '"a \\"b\\" \\\\c \\#d"');
    });

    it("leaves NUT names bare and quotes values with spaces", () => {
      assert.equal(formatCommand(["SET", "VAR", "ups1", "ups.id", "rack 2 #1"]), 'SET VAR ups1 ups.id "rack 2 \\#1"');
      assert.equal(formatCommand(["GET", "VAR", "my-ups", "battery.charge"]), "GET VAR my-ups battery.charge");
    });

    it("quotes an empty value", () => {
      assert.equal(formatCommand(["SET", "VAR", "u", "ups.id", ""]), 'SET VAR u ups.id ""');
    });

    for (const bad of ["a\nLOGOUT", "a\rb", "caf\u00e9", "\u0000"]) {
      it(`refuses ${JSON.stringify(bad)} with BAD-REQUEST (no command injection, no bytes upsd drops)`, () => {
        assert.throws(
          () => formatCommand(["SET", "VAR", "u", "x", bad]),
          (error: unknown) => error instanceof NutError && error.code === "BAD-REQUEST",
        );
      });
    }
  });

  describe("splitting reply lines", () => {
    it("splits bare and quoted words and unescapes in one pass", () => {
      assert.deepEqual(splitWords('VAR ups ups.id "a \\"b\\" \\\\ \\#"'), ["VAR", "ups", "ups.id", 'a "b" \\ #']);
    });

    it("takes an unterminated quote to the end of the line", () => {
      assert.deepEqual(splitWords('UPS u "broken'), ["UPS", "u", "broken"]);
    });

    it("reads the whole rest of a VAR line as the value, surviving unescaped quotes from NUT 2.8 drivers", () => {
      assert.deepEqual(parseVarLine('VAR ups ups.alarm "say "hi" #1"'), { name: "ups.alarm", value: 'say "hi" #1' });
      assert.deepEqual(parseVarLine('VAR ups battery.charge "100"'), { name: "battery.charge", value: "100" });
      assert.deepEqual(parseVarLine('VAR ups x "a \\\\b"'), { name: "x", value: "a \\b" });
    });

    it("rejects a line that is not a VAR line with PROTOCOL", () => {
      assert.throws(
        () => parseVarLine("BOGUS"),
        (error: unknown) => error instanceof NutError && error.code === "PROTOCOL",
      );
    });

    it("parses LIST VAR, LIST UPS and LIST CMD items", () => {
      assert.deepEqual(
        { ...parseVarList(['VAR u ups.status "OL"', 'VAR u ups.load "23"']) },
        {
          "ups.status": "OL",
          "ups.load": "23",
        },
      );
      assert.deepEqual(parseUpsList(['UPS rack1 "Eaton 5P"', 'UPS spare ""']), [
        { name: "rack1", description: "Eaton 5P" },
        { name: "spare", description: "" },
      ]);
      assert.deepEqual(parseCmdList(["CMD u load.off", "CMD u beeper.toggle"]), ["load.off", "beeper.toggle"]);
    });

    it("keeps a variable named __proto__ as data, not as a prototype", () => {
      const vars = parseVarList(['VAR u __proto__ "x"']);
      assert.equal(vars["__proto__"], "x");
      assert.equal(Object.getPrototypeOf(vars), null);
    });
  });

  describe("errors", () => {
    it("has a typed error with a reason for every ERR code NUT documents", () => {
      for (const code of SERVER_ERROR_CODES) {
        const error = serverError(code);
        assert.equal(error.code, code);
        assert.equal(error.fromServer, true);
        assert.ok(error.reason.length > 5, code);
      }
    });

    it("maps a code it does not know to UNKNOWN-ERROR and keeps the code as detail", () => {
      const error = serverError("NEW-FANCY-CODE");
      assert.equal(error.code, "UNKNOWN-ERROR");
      assert.match(error.message, /NEW-FANCY-CODE/);
    });

    it("has a reason for every client-side code, and they do not count as server errors", () => {
      for (const code of CLIENT_ERROR_CODES) {
        const error = new NutError(code);
        assert.equal(error.fromServer, false);
        assert.ok(error.reason.length > 5, code);
      }
    });

    it("maps socket errors to codes a person understands", () => {
      const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      assert.equal(socketError(refused).code, "CONNECTION-REFUSED");
      assert.match(socketError(refused).reason, /server down/);
      const unknown = Object.assign(new Error("getaddrinfo ENOTFOUND nope"), { code: "ENOTFOUND" });
      assert.equal(socketError(unknown).code, "HOST-NOT-FOUND");
      const cert = Object.assign(new Error("self-signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
      assert.equal(socketError(cert).code, "TLS");
    });
  });
});
