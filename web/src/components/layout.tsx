import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { useSession } from "../session";

const SECTIONS = [
  { name: "Overview", href: "/" },
  { name: "Items", href: "/items" },
  { name: "Taxonomy", href: "/taxonomy" },
  { name: "Jobs", href: "/jobs" },
  { name: "Queues", href: "/queues" },
  { name: "Models", href: "/models" },
];

function current(path: string, href: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

/** Every page: the navigation bar, then the page under its own <h1>. */
export function Layout({ title, children }: { title: string; children: ComponentChildren }) {
  const { path } = useLocation();
  const { scope, signOut } = useSession();
  document.title = `${title} · relabel`;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <nav aria-label="Main">
          <span class="brand">relabel</span>
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <a href={s.href} aria-current={current(path, s.href) ? "page" : undefined}>
                  {s.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted">{scope === "admin" ? "Admin" : "Ingest (read and label only)"}</span>
          <button type="button" class="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}
