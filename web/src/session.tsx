import { createContext } from "preact";
import { useContext } from "preact/hooks";

export type Scope = "admin" | "ingest";

/** Who is signed in: an admin sees the actions, an ingest token only items and labels. */
export const SessionContext = createContext<{ scope: Scope; signOut: () => Promise<void> }>({
  scope: "ingest",
  signOut: async () => {},
});

export const useSession = () => useContext(SessionContext);
export const useIsAdmin = () => useSession().scope === "admin";
