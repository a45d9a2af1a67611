// Kubb's configuration for tests/clients (docs/frontend.md includes this file). INPUT: the contract.
import { defineConfig } from "@kubb/core";
import { pluginClient } from "@kubb/plugin-client";
import { pluginOas } from "@kubb/plugin-oas";
import { pluginTs } from "@kubb/plugin-ts";

export default defineConfig({
  input: { path: process.env.INPUT ?? "spec/openapi.yaml" },
  output: { path: "./gen", clean: true, format: false },
  plugins: [
    pluginOas({ generators: [] }),
    pluginTs(),
    // The project's own HTTP client (kubb_client.ts), each call's whole result, exported URLs.
    pluginClient({ importPath: "../../kubb_client", dataReturnType: "full", urlType: "export" }),
  ],
});
