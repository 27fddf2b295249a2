/** Entry point of the web app: the join page at `/join/<code>#<secret>`, the peer list at `/`. */
import { render } from "preact";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
