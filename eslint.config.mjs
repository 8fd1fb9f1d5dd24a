import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".demo/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Node-RED's own idiom: `const node = this` in a node constructor.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["node"] }],
      eqeqeq: ["error", "smart"],
      "no-console": "off",
    },
  },
);
