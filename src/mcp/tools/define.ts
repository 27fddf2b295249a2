/** How a tool is defined: its zod arguments (also its JSON schema) and what it runs. */
import { z } from "zod";
import type { DaemonClient } from "../../daemon-api/client.js";

export interface ToolDef<S extends z.ZodType> {
  name: string;
  description: string;
  input: S;
  run: (client: DaemonClient, args: z.output<S>) => Promise<string>;
}

/** A tool with its argument type erased: `call` validates, then runs. */
export interface Tool {
  name: string;
  description: string;
  input: z.ZodType;
  call: (client: () => Promise<DaemonClient>, args: unknown) => Promise<string>;
}

/** Arguments that do not match the tool's schema (reported to the model, never thrown further). */
export class InvalidArguments extends Error {}

export function defineTool<S extends z.ZodType>(def: ToolDef<S>): Tool {
  return {
    name: def.name,
    description: def.description,
    input: def.input,
    call: async (client, args) => {
      const parsed = def.input.safeParse(args ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`);
        throw new InvalidArguments(`Invalid arguments for ${def.name}: ${issues.join("; ")}`);
      }
      return def.run(await client(), parsed.data);
    },
  };
}
