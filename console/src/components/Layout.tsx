import { NavLink, Outlet } from "react-router-dom";
import { useAuth } from "../api/auth";

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
