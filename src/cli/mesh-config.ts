/** The user config as verbs that manage meshes read it (validated; this loads the schema library). */
import { loadConfig, selectMesh, type Config, type MeshConfig } from "../host/config.js";
import type { Context } from "./command.js";

export function userConfig(): Config {
  return loadConfig();
}

/** The mesh named by `--mesh`, or the only/default one. */
export function currentMesh(ctx: Pick<Context, "mesh">, config: Config = userConfig()): MeshConfig {
  return selectMesh(config, ctx.mesh);
}
