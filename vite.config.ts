import { defineConfig } from "vite";

// The UI lives in ui/ and builds to ui/dist, which src-tauri/tauri.conf.json embeds.
export default defineConfig({
  root: "ui",
  // Relative asset URLs work both from the dev server and from Tauri's custom protocol.
  base: "./",
  // Keep Rust errors from the Tauri CLI visible in the same terminal.
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: "localhost",
    watch: {
      // The Rust side has its own watcher (the Tauri CLI).
      ignored: ["**/src-tauri/**", "**/crates/**", "**/target/**"],
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12 and newer) and WebView2 both handle ES2021.
    target: "es2021",
    sourcemap: false,
  },
});
