import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";
import { useAction } from "../use-action";
import { Problem } from "./problem";

/**
 * A button that asks before it acts: a modal <dialog> (focus moves into it,
 * Escape closes it) with the question, Confirm and Keep. `action` runs on
 * Confirm; its error is shown beside the button.
 */
export function ConfirmButton(props: {
  label: string;
  question: ComponentChildren;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  action: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { busy, error, run } = useAction();

  function confirm() {
    dialog.current?.close();
    void run(props.action);
  }

  return (
    <>
      <button
        type="button"
        class={props.danger ? "danger" : undefined}
        disabled={busy || props.disabled}
        onClick={() => dialog.current?.showModal()}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.label}>
        <p>{props.question}</p>
        <div class="actions">
          <button type="button" class={props.danger ? "danger" : "primary"} onClick={confirm}>
            {props.confirmLabel ?? props.label}
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Keep
          </button>
        </div>
      </dialog>
      <Problem error={error} />
    </>
  );
}
