/** The invites view. */
import type { ViewProps } from "../dashboard.js";

export default function View(_props: ViewProps) {
  return <p>Not available yet.</p>;
}
