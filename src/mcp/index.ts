/** The MCP stdio server: `runMcp` is its one entry (the `mcp` verb starts it). */
export { runMcp, type McpOptions } from "./server.js";
