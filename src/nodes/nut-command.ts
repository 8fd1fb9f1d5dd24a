/** The commands an input message can carry to `argus-nut`; anything else polls. */
import { z } from "zod";

const word = z.string().trim().min(1).max(64);

export const NutCommand = z.discriminatedUnion("command", [
  z.strictObject({ command: z.literal("instcmd"), name: word, param: z.string().max(256).optional() }),
  z.strictObject({ command: z.literal("set"), variable: word, value: z.union([z.string().max(256), z.number()]) }),
]);
export type NutCommand = z.infer<typeof NutCommand>;

/** True for a payload that means to be a command (has a `command` key), valid or not. */
export function isCommandPayload(payload: unknown): payload is { command: unknown } {
  return typeof payload === "object" && payload !== null && "command" in payload;
}
