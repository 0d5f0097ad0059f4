/** The taxonomy API's answers, as the Taxonomy page reads them (see /openapi.json). */

import type { RangeType } from "./range-fields";

export interface TaxonomyLabel {
  name: string;
  description?: string;
  applies_to: ("conversation" | "note")[];
  rules: {
    keywords: string[];
    all_keywords: string[];
    none_keywords: string[];
    regex: string[];
    scope: "any" | "subject" | "customer" | "agent";
  };
  examples?: string[];
  detect: ("rules" | "model")[];
  threshold?: number;
}

export interface Taxonomy {
  version: number;
  created_at: string | null;
  labels: TaxonomyLabel[];
}

export interface TaxonomyVersions {
  versions: { version: number; created_at: string; label_count: number }[];
}

/** One problem of an invalid taxonomy: `label` null for the document as a whole; `line` for a syntax error. */
export interface TaxonomyIssue {
  label: string | null;
  field: string;
  message: string;
  line?: number;
}

export type FieldValue = string | number | string[] | null;

export interface TaxonomyDiff {
  from: { version: number; created_at: string | null };
  to: { version: number; created_at: string | null };
  added: TaxonomyLabel[];
  removed: TaxonomyLabel[];
  changed: {
    name: string;
    changes: { field: string; before: FieldValue; after: FieldValue; added?: string[]; removed?: string[] }[];
  }[];
  unchanged: number;
}

export interface TaxonomyPreview {
  type: RangeType;
  from: string;
  until: string;
  current_version: number;
  model_version: number | null;
  items_in_range: number;
  items_examined: number;
  complete: boolean;
  capped_by: "items" | "text" | "time" | null;
  limits: { items: number; text_characters: number; time_ms: number };
  items_changed: number;
  changes: { label: string; gained: number; lost: number }[];
  samples: {
    type: "conversation" | "note";
    id: string;
    note_version: number | null;
    excerpt: string;
    before: string[];
    after: string[];
  }[];
  elapsed_ms: number;
}
