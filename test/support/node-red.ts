/** node-red-node-test-helper, initialised once with the Node-RED the project develops against. */
import helper from "node-red-node-test-helper";

helper.init(require.resolve("node-red"));

export { helper };

/** Node-RED's own Catch node, so tests see errors exactly where a user's flow would. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const catchNode = require("@node-red/nodes/core/common/25-catch.js");

export interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}
