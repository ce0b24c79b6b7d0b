import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The bundle is package data of the API (api/console_dist), served at "/" by the API itself.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: process.env.RELAY_CONSOLE_OUT ?? "../api/console_dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/v1": "http://127.0.0.1:8000" } },
});
