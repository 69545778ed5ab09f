/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built to frontend/dist and served by Django under /static/app/ (see config/settings.py).
export default defineConfig({
  base: "/static/app/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/admin": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // The accessibility (axe) checks of the larger pages take seconds on a loaded 2-core machine.
    testTimeout: 30_000,
  },
});
