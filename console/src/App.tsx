import { Navigate, Route, Routes } from "react-router-dom";
import { useAuth } from "./api/auth";
import { Layout } from "./components/Layout";
import { Empty } from "./components/feedback";
import { SignInPage } from "./features/auth/pages/SignInPage";
import { AnalyticsPage } from "./features/analytics/pages/AnalyticsPage";
import { WorkflowAnalyticsTab } from "./features/analytics/pages/WorkflowAnalyticsTab";
import { BuilderPage } from "./features/builder/pages/BuilderPage";
import { EventsPage } from "./features/events/pages/EventsPage";
import { TemplatesPage } from "./features/templates/pages/TemplatesPage";
import { NotificationsPage } from "./features/notifications/pages/NotificationsPage";
import { RunPage } from "./features/runs/pages/RunPage";
import { RunsPage } from "./features/runs/pages/RunsPage";
import { VersionsTab } from "./features/workflows/pages/VersionsTab";
import { WorkflowFlowTab, WorkflowPage, WorkflowRunsTab } from "./features/workflows/pages/WorkflowPage";
import { WorkflowsPage } from "./features/workflows/pages/WorkflowsPage";

export function App() {
  const { signedIn } = useAuth();
  if (!signedIn) return <SignInPage />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/workflows" replace />} />
        <Route path="workflows" element={<WorkflowsPage />} />
        <Route path="workflows/new/builder" element={<BuilderPage />} />
        <Route path="workflows/:workflowId/builder" element={<BuilderPage />} />
        <Route path="workflows/:workflowId" element={<WorkflowPage />}>
          <Route index element={<WorkflowFlowTab />} />
          <Route path="runs" element={<WorkflowRunsTab />} />
          <Route path="versions" element={<VersionsTab />} />
          <Route path="analytics" element={<WorkflowAnalyticsTab />} />
        </Route>
        <Route path="runs" element={<RunsPage />} />
        <Route path="events" element={<EventsPage />} />
        <Route path="analytics" element={<AnalyticsPage />} />
        <Route path="templates" element={<TemplatesPage />} />
        <Route path="notifications" element={<NotificationsPage />} />
        <Route path="runs/:runId" element={<RunPage />} />
        <Route
          path="*"
          element={
            <Empty title="Page not found">
              <p>Choose a section above.</p>
            </Empty>
          }
        />
      </Route>
    </Routes>
  );
}
