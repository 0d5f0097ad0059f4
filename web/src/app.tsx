import { useCallback, useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { api, get, onSignedOut } from "./api";
import { Loading } from "./components/problem";
import { ItemPage } from "./pages/item";
import { ItemsPage } from "./pages/items";
import { JobPage } from "./pages/job";
import { JobsPage } from "./pages/jobs";
import { ModelsPage } from "./pages/models";
import { NotFound } from "./pages/not-found";
import { OverviewPage } from "./pages/overview";
import { QueuesPage } from "./pages/queues";
import { SignIn } from "./pages/sign-in";
import { TaxonomyPage } from "./pages/taxonomy";
import { type Scope, SessionContext } from "./session";

type Who = { state: "checking" } | { state: "out" } | { state: "in"; scope: Scope };

export function App() {
  const [who, setWho] = useState<Who>({ state: "checking" });

  const check = useCallback(async () => {
    try {
      const me = await get<{ scope: Scope }>("/api/whoami");
      setWho({ state: "in", scope: me.scope });
    } catch {
      setWho({ state: "out" });
    }
  }, []);

  useEffect(() => {
    void check();
    return onSignedOut(() => setWho({ state: "out" }));
  }, [check]);

  const signOut = useCallback(async () => {
    await api("DELETE", "/console/session");
    setWho({ state: "out" });
  }, []);

  if (who.state === "checking") return <Loading what="relabel" />;
  if (who.state === "out") return <SignIn onSignedIn={() => void check()} />;
  return (
    <SessionContext.Provider value={{ scope: who.scope, signOut }}>
      <LocationProvider>
        <Router>
          <Route path="/" component={OverviewPage} />
          <Route path="/items" component={ItemsPage} />
          <Route path="/items/:type/:id" component={ItemPage} />
          <Route path="/taxonomy" component={TaxonomyPage} />
          <Route path="/jobs" component={JobsPage} />
          <Route path="/jobs/:id" component={JobPage} />
          <Route path="/queues" component={QueuesPage} />
          <Route path="/models" component={ModelsPage} />
          <Route default component={NotFound} />
        </Router>
      </LocationProvider>
    </SessionContext.Provider>
  );
}
