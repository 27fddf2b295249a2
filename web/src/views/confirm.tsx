/**
 * A confirmation asked before an action that cannot be undone (kick, ban, revoke): what it will do, the
 * action's button and Cancel. Ids are `<id>-confirm`, `<id>-confirm-yes` and `<id>-confirm-no`.
 */
import type { ComponentChildren } from "preact";

export function Confirm(props: {
  id: string;
  children: ComponentChildren;
  /** The action's button text. */
  action: string;
  /** Whether the action destroys something (a red button). */
  danger: boolean;
  busy: boolean;
  onYes: () => void;
  onNo: () => void;
}) {
  return (
    <div id={`${props.id}-confirm`} class="confirm" role="alertdialog" aria-label="Confirm">
      <p>{props.children}</p>
      <button
        id={`${props.id}-confirm-yes`}
        type="button"
        class={props.danger ? "danger" : ""}
        disabled={props.busy}
        onClick={props.onYes}
      >
        {props.action}
      </button>{" "}
      <button id={`${props.id}-confirm-no`} type="button" disabled={props.busy} onClick={props.onNo}>
        Cancel
      </button>
    </div>
  );
}
