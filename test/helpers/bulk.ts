import type { Database } from "../../src/db/database.js";
import { conversationContent } from "../../src/items/content.js";

/** Writes conversations straight into the table (a fixture: fast, and without their analysis messages). */
export async function insertConversations(
  database: Database,
  count: number,
  options: { prefix?: string; at?: (i: number) => number; text?: (i: number) => string } = {},
): Promise<void> {
  const { prefix = "bulk", at = () => Date.now() - 86_400_000, text = () => "please refund me" } = options;
  for (let start = 0; start < count; start += 2_000) {
    const rows = Array.from({ length: Math.min(2_000, count - start) }, (_, k) => {
      const i = start + k;
      return {
        fs_id: `${prefix}-${String(i).padStart(7, "0")}`,
        subject: "",
        messages: JSON.stringify([{ role: "customer", text: text(i), at: null }]),
        metadata: "{}",
        ...conversationContent("", [{ role: "customer", text: text(i) }], "{}"),
        created_at: at(i),
        updated_at: at(i),
      };
    });
    await database.db.insertInto("conversations").values(rows).execute();
  }
}
