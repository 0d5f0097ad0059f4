/**
 * No model yet. Training has no HTTP route (it runs for seconds to minutes on
 * the machine holding the data), so the page says how to train with the CLI.
 */
export function ModelsEmpty() {
  return (
    <div class="models-empty" data-no-models>
      <p>
        No model has been trained yet. Labels come from the taxonomy's rules until one is. A model learns
        labels from examples: each label's <code>examples</code> in the taxonomy, every item people labeled by
        hand, and a labelled file. Train one on the server with the CLI:
      </p>
      <pre>
        <code>relabel model train --data FILE</code>
      </pre>
      <p>
        <code>FILE</code> is CSV with a header naming <code>text</code> and one of <code>label</code>,{" "}
        <code>category</code> or <code>intent</code>, or JSON <code>[{"{text, labels}"}]</code>. Its labels
        join the taxonomy (detected by the model), and the new version becomes the active one (
        <code>--no-activate</code> to look first). Without <code>--data</code>, it trains on the taxonomy's
        examples and the labels people set by hand. The new version appears here, with its evaluation.
      </p>
    </div>
  );
}
