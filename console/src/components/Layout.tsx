import { NavLink, Outlet } from "react-router-dom";
import { useAuth } from "../api/auth";
import { useMe } from "../api/me";

const SECTIONS = [
  ["/workflows", "Workflows"],
  ["/runs", "Runs"],
  ["/events", "Events"],
  ["/analytics", "Analytics"],
  ["/templates", "Templates"],
  ["/notifications", "Notifications"],
] as const;

export function Layout() {
  const { signOut } = useAuth();
  const me = useMe().data;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Relay</span>
        <nav aria-label="Sections">
          {SECTIONS.map(([to, label]) => (
            <NavLink key={to} to={to}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="spacer" />
        {me && (
          <span className="whoami small" aria-label="Signed in as">
            {me.tenant_name} · {me.key_name} <span className="badge">{me.role}</span>
          </span>
        )}
        <a href="/docs" className="quiet">
          API docs
        </a>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
