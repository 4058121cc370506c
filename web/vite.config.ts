import { defineConfig } from "vite";

// Built into dist/, which the gateway serves (--web_root); `npm run dev` proxies
// the API and the stream to a gateway on :8080 (make run).
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1200 },
  server: {
    proxy: {
      "/salesops.": "http://127.0.0.1:8080",
      "/v1/stream": "http://127.0.0.1:8080",
    },
  },
});
