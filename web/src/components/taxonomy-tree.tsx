import type { TaxonomyLabel } from "./taxonomy-types";

/** A `/` segment of label names: the label of that exact name, if any, and the deeper segments. */
interface Node {
  segment: string;
  path: string;
  label?: TaxonomyLabel;
  children: Map<string, Node>;
}

function buildTree(labels: readonly TaxonomyLabel[]): Node {
  const root: Node = { segment: "", path: "", children: new Map() };
  for (const label of labels) {
    let node = root;
    for (const segment of label.name.split("/")) {
      const path = node.path === "" ? segment : `${node.path}/${segment}`;
      let child = node.children.get(segment);
      if (!child) {
        child = { segment, path, children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.label = label;
  }
  return root;
}

const sorted = (node: Node) => [...node.children.values()].sort((a, b) => a.segment.localeCompare(b.segment));

function Words({ term, words, code }: { term: string; words: readonly string[]; code?: boolean }) {
  if (words.length === 0) return null;
  return (
    <>
      <dt>{term}</dt>
      <dd>
        {words.map((w, i) => (
          <span key={`${i}:${w}`} class="taxonomy-word">
            {code ? <code>{w}</code> : w}
          </span>
        ))}
      </dd>
    </>
  );
}

/** One label: what it is for, where it applies, and what applies it. */
function LabelDetails({ label }: { label: TaxonomyLabel }) {
  const { rules } = label;
  return (
    <div class="taxonomy-label" data-label={label.name}>
      <p>
        <code class="taxonomy-name">{label.name}</code>{" "}
        {label.applies_to.map((kind) => (
          <span key={kind} class="badge">
            {kind}
          </span>
        ))}
        {label.detect.includes("model") ? (
          <span class="badge">model{label.threshold === undefined ? "" : ` ≥ ${label.threshold}`}</span>
        ) : null}
      </p>
      {label.description ? <p class="taxonomy-description">{label.description}</p> : null}
      <dl class="taxonomy-rules">
        <Words term="Any of" words={rules.keywords} />
        <Words term="All of" words={rules.all_keywords} />
        <Words term="None of" words={rules.none_keywords} />
        <Words term="Regex" words={rules.regex} code />
        {rules.scope !== "any" ? (
          <>
            <dt>Scope</dt>
            <dd>{rules.scope}</dd>
          </>
        ) : null}
        {label.examples?.length ? (
          <>
            <dt>Examples</dt>
            <dd>{label.examples.length.toLocaleString()}</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}

function Branch({ node }: { node: Node }) {
  const children = sorted(node);
  if (children.length === 0) return node.label ? <LabelDetails label={node.label} /> : null;
  return (
    <details open>
      <summary>
        <span class="taxonomy-segment">{node.segment}/</span>{" "}
        <span class="muted">({children.length.toLocaleString()})</span>
      </summary>
      {node.label ? <LabelDetails label={node.label} /> : null}
      <ul>
        {children.map((child) => (
          <li key={child.path}>
            <Branch node={child} />
          </li>
        ))}
      </ul>
    </details>
  );
}

/** The labels nested by the `/` segments of their names, each with its description and rules. */
export function TaxonomyTree({ labels }: { labels: readonly TaxonomyLabel[] }) {
  if (labels.length === 0) return <p class="muted">The taxonomy has no labels yet.</p>;
  return (
    <div class="tree taxonomy-tree">
      <ul>
        {sorted(buildTree(labels)).map((node) => (
          <li key={node.path}>
            <Branch node={node} />
          </li>
        ))}
      </ul>
    </div>
  );
}
